import datetime as dt

import pytest

from dandang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent
from dandang.org import selectors, services
from dandang.org.models import Cadre, Organization, Tenure
from dandang.testing import fresh, make_id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def test_materialized_path_and_partition(world):
    village = world.orgs["A-t1-v1"]
    assert village.path == "330100/330102/330102001/330102001001/"
    assert village.depth == 3
    assert village.audit_partition == "330102"
    assert world.orgs["A-bureau"].audit_partition == "330102"
    assert world.orgs["city"].audit_partition == "330100"


def test_every_write_is_audited_in_its_partition(world):
    before = AuditEvent.objects.filter(partition="330102").count()
    services.post_create(actor=world.user("staff_a"), organization=world.orgs["A-t2"], title="党委委员")
    events = AuditEvent.objects.filter(partition="330102").order_by("-seq")
    assert events.count() == before + 1
    assert events[0].action == "post.create"
    assert events[0].actor_id == world.user("staff_a").pk


def test_staff_of_other_county_cannot_write_and_nothing_changes(world):
    count = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.post_create(actor=world.user("staff_b"), organization=world.orgs["A-t2"], title="党委委员")
    assert AuditEvent.objects.count() == count
    assert not world.orgs["A-t2"].posts.exists()


def test_level_rules(world):
    with pytest.raises(ValidationFailed):
        services.organization_create(
            actor=world.user("staff_a"),
            code="X1",
            name="错误",
            parent=world.orgs["A-t1-v1"],
            level=Organization.Level.TOWNSHIP,
            kind=Organization.Kind.TOWNSHIP,
        )
    assert not Organization.objects.filter(code="X1").exists()


def test_id_number_check_digit_and_uniqueness(world):
    birth = dt.date(1990, 1, 1)
    good = make_id_number(900, birth)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    kwargs = {
        "actor": world.user("staff_a"),
        "name": "赵敏",
        "gender": "female",
        "birth_date": birth,
        "ethnicity": "汉族",
        "education": "master",
        "organization": world.orgs["A-t1"],
    }
    with pytest.raises(ValidationFailed) as exc:
        services.cadre_create(id_number=bad, **kwargs)
    assert "id_number" in exc.value.detail
    services.cadre_create(id_number=good, **kwargs)
    with pytest.raises(Conflict):
        services.cadre_create(id_number=good, **kwargs)
    assert Cadre.objects.filter(name="赵敏").count() == 1


def test_pinyin_initials(world):
    cadre = world.cadres["A1"]
    assert cadre.name_pinyin == "zhangweijun"
    assert cadre.name_initials == "zwj"


def test_transfer_moves_dossier_and_new_jurisdiction_sees_whole_career(world):
    cadre = world.cadres["A2"]
    staff_a, staff_b, staff_city = world.user("staff_a"), world.user("staff_b"), world.user("staff_city")
    with pytest.raises(NotFound):
        selectors.cadre_get(staff_b, cadre.pk)
    # County B staff cannot pull a cadre out of county A; the city can transfer.
    with pytest.raises(PermissionDenied):
        services.tenure_start(
            actor=staff_b, cadre=cadre, post=world.posts["B-clerk"], start=dt.date(2024, 1, 1), reason="transfer"
        )
    services.tenure_start(
        actor=staff_city, cadre=cadre, post=world.posts["B-clerk"], start=dt.date(2024, 1, 1), reason="transfer"
    )
    moved = fresh(cadre)
    assert moved.org == world.orgs["B-bureau"]
    career = selectors.cadre_career(staff_b, moved)
    assert [t.post.organization.code for t in career] == ["330103-B1", "330102001"]
    assert career[1].end == dt.date(2023, 12, 31)
    with pytest.raises(NotFound):
        selectors.cadre_get(staff_a, cadre.pk)


def test_tenure_must_start_after_current(world):
    cadre = world.cadres["A3"]
    n = Tenure.objects.count()
    with pytest.raises(ValidationFailed):
        services.tenure_start(
            actor=world.user("staff_a"),
            cadre=cadre,
            post=world.posts["A-head"],
            start=dt.date(2017, 1, 1),
            reason="transfer",
        )
    assert Tenure.objects.count() == n


def test_grant_to_self_refused(world):
    staff = world.user("staff_a")
    with pytest.raises(PermissionDenied):
        services.role_grant_create(actor=staff, user=staff, role="discipline", organization=world.orgs["A"])


def test_scoping_and_masking(world):
    leader = world.user("leader_a")
    visible = set(selectors.cadres_visible(leader).values_list("name", flat=True))
    assert "张伟军" in visible and "陈静" not in visible
    cadre = world.cadres["A1"]
    assert selectors.cadre_id_number_for(world.user("staff_a"), cadre) == cadre.id_number
    masked = selectors.cadre_id_number_for(leader, cadre)
    assert masked.startswith(cadre.id_number[:6]) and "********" in masked and masked.endswith(cadre.id_number[-4:])
    own = world.user("cadre_a1")
    assert list(selectors.cadres_visible(own)) == [cadre]
    assert not selectors.cadres_visible(world.user("nobody")).exists()


def test_search_by_initials_and_name(world):
    staff = world.user("staff_city")
    assert [c.name for c in selectors.cadre_search(staff, q="zwj")] == ["张伟军"]
    assert [c.name for c in selectors.cadre_search(staff, q="ZhangW")] == ["张伟军"]
    assert [c.name for c in selectors.cadre_search(staff, q="王")] == ["王芳"]


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("曾国强", "zengguoqiang", "zgq"),
        ("单田芳", "shantianfang", "stf"),
        ("尉迟敬德", "yuchijingde", "ycjd"),
        ("王芳", "wangfang", "wf"),
    ],
)
def test_surnames_read_as_surnames(name, full, initials):
    assert services.pinyin_of(name) == (full, initials)
