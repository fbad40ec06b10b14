import datetime as dt
import hashlib
import itertools
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from dandang.archive.models import ArchiveEntry, ArchiveFlag, ArchiveScore
from dandang.core.audit import audit_verify
from dandang.core.models import AuditEvent
from dandang.org import services
from dandang.org.models import Cadre, Organization, Post, RoleGrant, Tenure, User
from dandang.org.roles import Role
from dandang.web.demo import DEMO_PASSWORD, DEMO_USERS, demo_build

L = Organization.Level
K = Organization.Kind


def digest_of_people() -> str:
    h = hashlib.sha256()
    for row in Cadre.objects.order_by("id").values_list("name", "id_number", "birth_date", "org__code", "post__title"):
        h.update(repr(row).encode())
    for row in Tenure.objects.order_by("id").values_list("cadre__id_number", "post__title", "start", "end"):
        h.update(repr(row).encode())
    return h.hexdigest()


def id_number_is_valid(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and services.id_number_check_digit(number[:17]) == number[17]


@pytest.fixture(scope="class")
def county(django_db_setup, django_db_blocker, tmp_path_factory):
    """The county demo, built once for the class and rolled back after it (its evidence files kept
    under a temporary media root)."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), transaction.atomic(), media:
        out = StringIO()
        call_command("demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("county")
class TestCountyDemo:
    def test_sizes(self):
        county = Organization.objects.get(level=L.COUNTY, parent__level=L.CITY)
        assert county.name == "示范县"
        assert county.path == "330000/331200/331221/"
        assert Organization.objects.get(level=L.PROVINCE).name == "浙江省"
        assert Organization.objects.get(level=L.CITY).name == "示范市"
        assert 10 <= Organization.objects.filter(level=L.TOWNSHIP).count() <= 14
        departments = Organization.objects.filter(
            level=L.COUNTY, kind__in=[K.GOVERNMENT_DEPARTMENT, K.PUBLIC_INSTITUTION, K.STATE_ENTERPRISE]
        )
        assert 25 <= departments.count() <= 35
        assert {"示范县委组织部", "示范县纪委监委", "示范县委办公室", "示范县人民医院"} <= set(
            Organization.objects.values_list("name", flat=True)
        )
        assert departments.filter(kind=K.STATE_ENTERPRISE).exists()
        assert 180 <= Organization.objects.filter(level=L.VILLAGE).count() <= 220
        assert 1400 <= Cadre.objects.count() <= 1600

    def test_tree_fields_are_those_the_services_compute(self):
        for org in Organization.objects.select_related("parent"):
            assert (org.path, org.depth, org.audit_partition) == services.organization_tree_fields(
                code=org.code, level=org.level, parent=org.parent
            )
            assert org.staff_size >= org.cadres.count()
        assert set(Organization.objects.values_list("audit_partition", flat=True)) == {"330000", "331200", "331221"}

    def test_cadres_look_real(self):
        cadres = list(Cadre.objects.select_related("org", "post"))
        for cadre in cadres:
            assert 2 <= len(cadre.name) <= 4
            assert (cadre.name_pinyin, cadre.name_initials) == services.pinyin_of(cadre.name)
            assert cadre.org_path == cadre.org.path
            assert cadre.post.organization_id == cadre.org_id
            if cadre.party_join_date:
                assert cadre.party_join_date >= cadre.birth_date.replace(year=cadre.birth_date.year + 18, day=1)
        surnames = Counter(c.name[0] for c in cadres)
        assert {s for s, _ in surnames.most_common(4)} <= {"王", "陈", "张", "李", "吴", "徐", "周"}
        ethnicities = Counter(c.ethnicity for c in cadres)
        assert ethnicities.most_common(1)[0][0] == "汉族"
        assert len(ethnicities) > 1
        assert len(Counter(c.education for c in cadres)) >= 4
        assert 0.2 < sum(c.gender == Cadre.Gender.FEMALE for c in cadres) / len(cadres) < 0.5
        assert Post.objects.filter(is_hardship=True).exists()
        assert Post.objects.filter(is_hardship=False).exists()

    def test_id_numbers_are_valid_and_match_the_person(self):
        for number, birth, gender in Cadre.objects.values_list("id_number", "birth_date", "gender"):
            assert id_number_is_valid(number), number
            assert number[6:14] == f"{birth:%Y%m%d}"
            assert int(number[16]) % 2 == (1 if gender == Cadre.Gender.MALE else 0)
        assert Cadre.objects.filter(id_number__startswith="331221").count() > Cadre.objects.count() * 0.7

    def test_careers_one_open_tenure_no_overlap(self):
        tenures = defaultdict(list)
        for t in Tenure.objects.select_related("post").order_by("start"):
            tenures[t.cadre_id].append(t)
        cadres = {c.pk: c for c in Cadre.objects.all()}
        assert set(tenures) == set(cadres)
        moved = 0
        for cadre_id, career in tenures.items():
            cadre = cadres[cadre_id]
            assert 2 <= len(career) <= 5
            open_ = [t for t in career if t.end is None]
            assert len(open_) == 1 and open_[0] is career[-1]
            assert open_[0].post_id == cadre.post_id
            assert career[0].start >= cadre.birth_date.replace(year=cadre.birth_date.year + 22, day=1)
            assert career[0].start_reason == Tenure.Reason.APPOINTMENT
            for before, after in itertools.pairwise(career):
                assert before.end == after.start - dt.timedelta(days=1)
                assert before.end_reason == after.start_reason
                assert before.post_id != after.post_id
                moved += before.post.organization_id != after.post.organization_id
        assert moved > len(cadres) / 2  # transfers between units are common
        reasons = set(Tenure.objects.values_list("start_reason", flat=True))
        assert {Tenure.Reason.PROMOTION, Tenure.Reason.TRANSFER, Tenure.Reason.RANK_PROMOTION} <= reasons

    def test_every_head_post_has_one_holder(self):
        heads = Counter(
            Cadre.objects.filter(post__title__in=["县委书记", "党委书记"]).values_list("post_id", flat=True)
        )
        assert heads and set(heads.values()) == {1}

    def test_every_role_has_a_user_with_the_demo_password(self):
        roles = set(RoleGrant.objects.filter(revoked_at__isnull=True).values_list("role", flat=True))
        if User.objects.filter(cadre__isnull=False).exists():
            roles.add(Role.CADRE)
        assert roles == set(Role.values)
        users = User.objects.filter(username__in=[u.username for u in DEMO_USERS])
        assert users.count() == len(DEMO_USERS)
        assert all(u.check_password(DEMO_PASSWORD) for u in users)
        staff = RoleGrant.objects.get(user__username="zzb_staff")
        assert (staff.role, staff.organization.name, staff.include_descendants) == (Role.ORG_STAFF, "示范县", True)
        leader = User.objects.get(username="leader_jyj")
        assert leader.cadre.post.title == "局长" and leader.cadre.org.name == "示范县教育局"

    def test_audit_chains_verify_with_one_event_per_partition_and_kind(self):
        checked, broken = audit_verify()
        assert broken == [] and checked >= 3
        county_events = Counter(AuditEvent.objects.filter(partition="331221").values_list("action", flat=True))
        for kind in ("organizations", "posts", "cadres", "tenures"):
            assert county_events[f"demo.{kind}"] == 1
        event = AuditEvent.objects.get(partition="331221", action="demo.cadres")
        assert event.row_count == Cadre.objects.count() and len(event.digest) == 64

    def test_name_clearing_cases_in_every_state(self):
        from dandang.tolerance.models_clearing import ClearingStatus, NameClearingCase
        from dandang.tolerance.selectors_clearing import cleared_allegations

        states = Counter(NameClearingCase.objects.values_list("status", flat=True))
        assert set(states) == set(ClearingStatus.values) and states["refused"] == 2
        cadre = User.objects.get(username="cadre_1").cadre
        cleared = list(cleared_allegations(cadre))
        assert len(cleared) == 1 and cleared[0].verifying_body.name == "示范县"
        assert cleared[0].opened_by.username == "zzb_staff" and cleared[0].decided_by.username == "jw_inspector"
        assert cadre.user.notifications.filter(message="clearing_cleared").count() == 1

    def test_tolerance_cases_in_every_state(self):
        from dandang.tolerance.models import CaseStatus, ToleranceCase
        from dandang.tolerance.selectors import tolerance_shields

        cases = ToleranceCase.objects.select_related("cadre")
        assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
        assert set(cases.exclude(outcome="").values_list("outcome", flat=True)) >= {"exempt", "lighter", "reduced"}
        assert cases.filter(origin="ex_officio").exists() and cases.filter(departure_reason__gt="").exists()
        today = dt.date.today()
        assert cases.filter(status__in=["applied", "investigating"], due_date__lt=today).exists()  # overdue
        cadre_1 = User.objects.get(username="cadre_1").cadre
        mine = cases.get(cadre=cadre_1)
        assert mine.outcome == "exempt" and mine.correction_items.count() == 3 and mine.follow_up_visits.exists()
        assert [s.case_id for s in tolerance_shields(cadre_1, mine.matter_date.year)] == [mine.pk]
        assert {c.cadre.org_path[:21] for c in cases} == {"330000/331200/331221/"}

    def test_a_year_of_the_archive_with_every_flag_of_the_guard(self):
        entries = ArchiveEntry.objects.filter(year=2026)
        assert entries.count() == ArchiveEntry.objects.count() >= 90
        assert {e.cadre.org_path[:21] for e in entries.select_related("cadre")} == {"330000/331200/331221/"}
        statuses = Counter(entries.values_list("status", flat=True))
        assert statuses["verified"] > entries.count() * 0.6
        assert statuses["submitted"] and statuses["returned"] and statuses["draft"]
        assert entries.filter(polarity="negative", status="verified", counted_value__lt=0).exists()
        verified = entries.filter(status="verified")
        assert all(e.metrics.exists() for e in verified if "no_metric" not in e.flag_codes)
        assert all(e.evidence.exists() for e in verified)
        codes = Counter(ArchiveFlag.objects.values_list("code", flat=True))
        assert codes["near_duplicate"] == 2 and codes["over_claimed"] == 3 and codes["shared_evidence"] == 2
        assert codes["process_trace"] >= 3
        traces = [e for e in verified if "process_trace" in e.flag_codes]
        assert traces and {e.counted_value for e in traces} == {Decimal(0)}
        twins = ArchiveFlag.objects.filter(code="near_duplicate").select_related("entry")
        assert len({f.entry.cadre_id for f in twins}) == 2
        assert sum(e.share_percent for e in entries if "over_claimed" in e.flag_codes) > 100
        # Scores of the verified entries' cadres, each with its decision record.
        cadres = set(verified.values_list("cadre_id", flat=True))
        scores = ArchiveScore.objects.filter(year=2026, quarter=0)
        assert set(scores.values_list("cadre_id", flat=True)) == cadres
        assert all(s.decision_id for s in scores)
        assert audit_verify()[1] == []

    def test_logins_table(self):
        out = StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        assert "DEMO" in text
        for spec in DEMO_USERS:
            assert spec.username in text
        assert DEMO_PASSWORD in text

    def test_if_empty_does_nothing_the_second_time(self):
        counts = (Organization.objects.count(), Cadre.objects.count(), AuditEvent.objects.count())
        out = StringIO()
        with translation.override("en"):
            call_command("demo", if_empty=True, stdout=out)
        assert "not loaded" in out.getvalue()
        with pytest.raises(CommandError):
            call_command("demo", stdout=StringIO())
        assert (Organization.objects.count(), Cadre.objects.count(), AuditEvent.objects.count()) == counts


@pytest.mark.django_db
def test_same_seed_same_people_other_seed_other_people():
    digests = []
    for seed in (7, 7, 8):
        sid = transaction.savepoint()
        demo_build(seed=seed, cadres=300, archive=False)
        digests.append(digest_of_people())
        transaction.savepoint_rollback(sid)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


@pytest.mark.django_db
def test_province_scale_small(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", scale="province", cadres=3000, stdout=StringIO())
    assert Cadre.objects.count() == 3000
    assert Organization.objects.filter(level=L.CITY).count() >= 2
    counties = Organization.objects.filter(level=L.COUNTY, parent__level=L.CITY)
    assert counties.count() >= 2
    assert len(set(counties.values_list("name", flat=True))) == counties.count()
    for county in counties:
        assert Cadre.objects.filter(org_path__startswith=county.path).count() > 1000
        assert AuditEvent.objects.filter(partition=county.code, action="demo.tenures").count() == 1
    assert len(set(Cadre.objects.values_list("id_number", flat=True))) == 3000
    assert audit_verify()[1] == []


@pytest.mark.django_db
def test_bad_options_change_nothing():
    with pytest.raises(CommandError):
        call_command("demo", cadres=5, stdout=StringIO())
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()
