"""The near-duplicate rule at the service level: bands stored, twins flagged on both sides with
their reason, cleared when an entry leaves the game, the rulebook's numbers, the batch pass equal
to the incremental result, its permissions and its audit."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from dandang.archive import duplicates, services
from dandang.archive.models import ArchiveBand, ArchiveEntry, ArchiveFlag
from dandang.archive.tests.archive_helpers import entry, submitted, verified
from dandang.archive.tests.archive_helpers import media as media  # fixture
from dandang.core.errors import PermissionDenied
from dandang.core.models import AuditEvent
from dandang.core.rulebooks import rulebook_publish
from dandang.testing import row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

FLOOD = (
    "2024年7月强降雨期间，牵头组织青山镇防汛抢险，连续72小时驻守东湖水库大坝，"
    "转移安置群众1260人，加固堤防3.5公里，排除险情11处，全镇实现零伤亡。"
)
FLOOD_ONE_CHAR = FLOOD.replace("1260人", "1280人")
INVEST = (
    "全年招商引资签约项目8个，其中亿元以上项目3个，引进浙江某新材料企业落户开发区，"
    "实际到位资金4.2亿元，新增就业岗位650个，带动园区产值增长18%。"
)
INVEST_VARIANT = INVEST.replace("签约项目8个", "签约项目9个")
PETITION = (
    "化解信访积案17件，其中越级访5件，对王某某土地征收补偿纠纷开展包案化解，"
    "三次入户走访，协调落实补偿款23万元，当事人签署息访承诺书。"
)


def flag(e: ArchiveEntry) -> ArchiveFlag | None:
    return ArchiveFlag.objects.filter(entry=e, code="near_duplicate").first()


def codes(e: ArchiveEntry) -> list[str]:
    return ArchiveEntry.objects.get(pk=e.pk).flag_codes


def test_twins_of_different_cadres_are_flagged_on_both_sides_with_their_reason(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    assert flag(a) is None
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    assert "near_duplicate" in b.flag_codes  # the caller's instance sees it
    fa, fb = flag(a), flag(b)
    assert fa is not None and fb is not None
    assert fa.params["twins"] == [b.pk] and fb.params["twins"] == [a.pk]
    assert fa.params["similarity"] == fb.params["similarity"] == fa.params["similarities"][0]
    assert "0.80" <= fa.params["similarity"] <= "1.00"
    assert fa.params["threshold"] == "0.8" and fa.params["shingle_size"] == 3
    assert "near_duplicate" in codes(a) and "near_duplicate" in codes(b)
    assert ArchiveBand.objects.filter(entry=a).count() == ArchiveBand.objects.filter(entry=b).count() == 9


def test_different_achievements_are_not_twins(world, media):
    entries = [
        submitted(world, cadre=c, actor=who, description=t)
        for c, who, t in (("A3", "leader_a", FLOOD), ("A4", "leader_a", INVEST), ("A2", "staff_a", PETITION))
    ]
    assert all(flag(e) is None and "near_duplicate" not in codes(e) for e in entries)


def test_the_same_cadres_entries_are_not_twins(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A3", description=FLOOD)
    assert flag(a) is None and flag(b) is None


def test_a_draft_is_nobodys_twin_until_submitted(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    draft = entry(world, cadre="A4", description=FLOOD_ONE_CHAR)
    assert flag(a) is None and flag(draft) is None
    assert not ArchiveBand.objects.filter(entry=draft).exists()
    services.archive_entry_submit(actor=draft.author, entry=draft)
    assert flag(a).params["twins"] == [draft.pk]


def test_twins_across_counties_are_found(world, media):
    a = submitted(world, cadre="A3", description=INVEST)
    b = submitted(world, cadre="B1", actor="leader_b", description=INVEST_VARIANT)
    assert flag(a).params["twins"] == [b.pk]
    assert flag(b).params["twins"] == [a.pk]


def test_three_twins_each_list_the_other_two(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    c = submitted(world, cadre="B1", actor="leader_b", description=FLOOD)
    assert flag(a).params["twins"] == sorted([b.pk, c.pk])
    assert flag(b).params["twins"] == sorted([a.pk, c.pk])
    assert flag(c).params["twins"] == sorted([a.pk, b.pk])
    assert dict(zip(flag(a).params["twins"], flag(a).params["similarities"], strict=True))[c.pk] == "1.00"


def test_withdrawal_clears_the_twin_flag_on_both_sides(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    services.archive_entry_withdraw(actor=b.author, entry=b, reason="重复填报")
    assert flag(a) is None and flag(b) is None
    assert "near_duplicate" not in codes(a) and "near_duplicate" not in codes(b)
    assert not ArchiveBand.objects.filter(entry=b).exists()
    assert ArchiveBand.objects.filter(entry=a).exists()


def test_rejection_and_revocation_clear_the_twin(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    c = verified(world, cadre="B1", actor="leader_b", verifier="staff_b", description=FLOOD)
    assert flag(a).params["twins"] == sorted([b.pk, c.pk])
    services.archive_entry_reject(actor=world.user("staff_a"), entry=b, note="与他人材料雷同")
    assert flag(a).params["twins"] == [c.pk] and flag(c).params["twins"] == [a.pk]
    services.archive_entry_revoke(actor=world.user("staff_b"), entry=c, note="经核查系抄袭")
    assert flag(a) is None and flag(c) is None
    assert "near_duplicate" not in codes(a)


def test_a_returned_entry_amended_to_another_text_loses_its_twin(world, media):
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    services.archive_entry_return(actor=world.user("staff_a"), entry=b, note="请写明本人的具体工作")
    b.refresh_from_db()
    assert flag(a) is not None  # a returned entry is still in play
    services.archive_entry_update(actor=b.author, entry=b, description=PETITION)
    assert flag(a) is None and flag(b) is None


def _override(**near: object) -> dict:
    doc = yaml.safe_load((settings.DANDANG_RULEBOOK_DIR / "archive.yaml").read_text(encoding="utf-8"))
    doc["content"]["near_duplicate"].update(near)
    return doc


def test_a_higher_threshold_in_the_rulebook_unflags_the_pair(world, media):
    rulebook_publish(actor=None, document=_override(threshold="0.99"), organization=world.orgs["A"])
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=FLOOD_ONE_CHAR)
    assert flag(a) is None and flag(b) is None
    # The same texts twice are twins under any threshold.
    c = submitted(world, cadre="A2", actor="staff_a", description=FLOOD)
    assert flag(c).params["twins"] == [a.pk]
    assert flag(c).params["threshold"] == "0.99"


def test_a_larger_shingle_size_in_the_rulebook_unflags_the_pair(world, media):
    # Two changed characters: 3-shingles alike 0.89, 8-shingles 0.75.
    changed = FLOOD.replace("青山镇", "绿水镇")
    a = submitted(world, cadre="A3", description=FLOOD)
    b = submitted(world, cadre="A4", description=changed)
    assert flag(b) is not None
    services.archive_entry_withdraw(actor=b.author, entry=b)
    rulebook_publish(actor=None, document=_override(shingle_size=8), organization=world.orgs["A"])
    services.archive_entry_withdraw(actor=a.author, entry=a)
    c = submitted(world, cadre="A3", description=FLOOD)
    d = submitted(world, cadre="A4", description=changed)
    assert flag(c) is None and flag(d) is None


def _flag_state() -> dict[int, tuple[list[int], list[str], list[str]]]:
    out = {}
    for f in ArchiveFlag.objects.filter(code="near_duplicate"):
        out[f.entry_id] = (f.params["twins"], f.params["similarities"], codes(f.entry))
    return out


def _bands() -> set[tuple[int, int, int]]:
    return set(ArchiveBand.objects.values_list("entry_id", "band", "key"))


def _several(world) -> list[ArchiveEntry]:
    made = [
        submitted(world, cadre="A3", description=FLOOD),
        submitted(world, cadre="A4", description=FLOOD_ONE_CHAR),
        submitted(world, cadre="B1", actor="leader_b", description=FLOOD),
        submitted(world, cadre="A2", actor="staff_a", description=INVEST),
        submitted(world, cadre="B2", actor="staff_b", description=INVEST_VARIANT),
        submitted(world, cadre="A3", description=PETITION),
        entry(world, cadre="A4", description=PETITION),  # a draft
    ]
    services.archive_entry_withdraw(actor=made[1].author, entry=made[1])
    return made


def test_the_scan_gives_the_incremental_result(world, media):
    _several(world)
    incremental, bands = _flag_state(), _bands()
    assert len(incremental) == 4
    # Wipe bands and flags, as after a bulk load: the scan rebuilds the same.
    ArchiveBand.objects.all().delete()
    ArchiveFlag.objects.filter(code="near_duplicate").delete()
    ArchiveEntry.objects.update(flag_codes=[])
    for e in ArchiveEntry.objects.all():
        services.archive_guard_refresh(entries=[e])
    result = duplicates.archive_near_duplicates_scan(actor=None)
    assert result.entries == 5 and result.pairs == 2 and result.flagged == 4
    assert _flag_state() == incremental
    assert _bands() == bands
    # Run again: nothing changes.
    duplicates.archive_near_duplicates_scan(actor=None)
    assert _flag_state() == incremental and _bands() == bands


def test_a_county_scan_keeps_the_twins_across_the_border(world, media):
    made = _several(world)
    incremental, bands = _flag_state(), _bands()
    result = duplicates.archive_near_duplicates_scan(actor=world.user("staff_a"), organization=world.orgs["A"])
    assert result.entries == 3
    assert _flag_state() == incremental and _bands() == bands
    # Stale flags of the county (a twin listed that is no longer) are repaired.
    ArchiveFlag.objects.filter(entry=made[0]).update(params={"twins": [made[1].pk], "similarities": ["0.90"]})
    ArchiveFlag.objects.filter(entry=made[2]).delete()
    duplicates.archive_near_duplicates_scan(actor=world.user("staff_a"), organization=world.orgs["A"])
    assert _flag_state() == incremental


def test_the_scan_audits_one_bulk_event_per_county(world, media):
    _several(world)
    before = AuditEvent.objects.count()
    duplicates.archive_near_duplicates_scan(actor=None)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert sorted(e.partition for e in events) == sorted(
        [world.orgs["A"].audit_partition, world.orgs["B"].audit_partition]
    )
    assert {e.action for e in events} == {"archive.near_duplicates.scan"}
    a = next(e for e in events if e.partition == world.orgs["A"].audit_partition)
    assert a.row_count == 2 and a.after["entries"] == 3 and a.after["flagged"] == 2


@pytest.mark.parametrize(
    ("actor", "org"), [("staff_b", "A"), ("leader_a", "A"), ("cadre_a1", "A"), ("staff_a", None), ("staff_city", None)]
)
def test_the_scan_is_refused_outside_the_organization_departments_jurisdiction(world, media, actor, org):
    _several(world)
    counts = row_counts()
    with pytest.raises(PermissionDenied):
        duplicates.archive_near_duplicates_scan(actor=world.user(actor), organization=world.orgs[org] if org else None)
    assert row_counts() == counts


def test_the_management_command_scans_everything_or_one_jurisdiction(world, media):
    _several(world)
    incremental = _flag_state()
    ArchiveFlag.objects.filter(code="near_duplicate").delete()
    out = StringIO()
    call_command("archive_near_duplicates", stdout=out)
    assert "5" in out.getvalue()
    assert _flag_state() == incremental
    out = StringIO()
    call_command("archive_near_duplicates", organization=world.orgs["B"].code, stdout=out)
    assert _flag_state() == incremental


@pytest.mark.postgres_only
def test_a_whole_scan_on_postgresql_truncates_and_rebuilds_the_band_index(world, media, monkeypatch):
    from django.db import connection

    _several(world)
    incremental, bands = _flag_state(), _bands()
    truncated = []
    real = duplicates._truncate_bands
    monkeypatch.setattr(duplicates, "_truncate_bands", lambda: truncated.append(real()) or truncated[-1])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: TRUNCATE is allowed
    duplicates.archive_near_duplicates_scan(actor=None)
    assert truncated == [True]
    assert _flag_state() == incremental and _bands() == bands
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'archive_band_key_idx'")
        assert "(band, key)" in cursor.fetchone()[0]
