"""Demo data of name clearing (澄清正名, issue 5 point 7): cases in every state for the demo county,
made through the services — proposed by the organization department (``zzb_staff``), verified and
decided by the county's discipline inspection (``jw_inspector``), so that the proposer and the
decider differ and the body that verified clears.

* cleared — the cadre behind the ``cadre_1`` login: an allegation found untrue, published within
  the unit (the cadre finds it on their record and in their inbox);
* verified — a report found fabricated, waiting for the decision;
* opened — a report just proposed for clearing;
* refused — one found "unproven but not excluded", and one that came to routine interviews only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from dandang.org.models import Cadre, Organization, User
from dandang.tolerance import services_clearing as clearing
from dandang.tolerance.models_clearing import NameClearingCase


@dataclass
class ClearingReport:
    cases: int = 0
    cleared: int = 0


def _cadres(unit: Organization, count: int, exclude: set[int]) -> list[Cadre]:
    qs = Cadre.objects.filter(org=unit).exclude(pk__in=exclude).order_by("id")
    return list(qs[:count])


def demo_clearing_build(*, county: Organization, units: dict[str, Organization]) -> ClearingReport:
    """Name-clearing cases for the demo county (``units``: the education bureau, the agriculture
    bureau and the town by slug)."""
    staff = User.objects.get(username="zzb_staff")
    inspector = User.objects.get(username="jw_inspector")
    today = timezone.localdate()
    report = ClearingReport()
    own = User.objects.filter(username="cadre_1").values_list("cadre_id", flat=True).first()
    taken: set[int] = {own} if own else set()
    first = Cadre.objects.get(pk=own) if own else _cadres(units["jyj"], 1, taken)[0]
    taken.add(first.pk)
    jyj, nyncj, town = (_cadres(units[slug], 2, taken) for slug in ("jyj", "nyncj", "town04"))

    def opened(
        cadre: Cadre, allegation: str, reference: str, triggers: list[str], note: str, days: int
    ) -> NameClearingCase:
        report.cases += 1
        return clearing.clearing_case_open(
            actor=staff,
            cadre=cadre,
            allegation=allegation,
            report_reference=reference,
            report_received_on=today - dt.timedelta(days=days),
            triggers=triggers,
            trigger_note=note,
        )

    def verified(case: NameClearingCase, finding: str, summary: str, days: int) -> NameClearingCase:
        return clearing.clearing_case_verify(
            actor=inspector,
            case=case,
            finding=finding,
            summary=summary,
            verified_on=today - dt.timedelta(days=days),
        )

    case = opened(
        first,
        "反映其在2025年教师招聘中为亲属打招呼、优亲厚友。",
        "示纪信〔2026〕012号",
        ["career_affected"],
        "举报期间其提拔考察程序暂停。",
        60,
    )
    case = verified(case, "untrue", "调取招聘全过程资料、询问考官和考生12人，反映问题失实，其亲属未参加该次招聘。", 20)
    clearing.clearing_case_clear(
        actor=inspector,
        case=case,
        publication_scope="unit",
        published_on=today - dt.timedelta(days=10),
        note="在县教育局干部大会上予以澄清。",
    )
    report.cleared += 1

    case = opened(
        jyj[0],
        "反映其利用职务之便在校舍改造工程中收受施工方财物。",
        "示纪信〔2026〕031号",
        ["rights_harmed", "repeated_reports"],
        "同一内容已核查了结后又被多次匿名举报，并在网络上传播。",
        45,
    )
    verified(case, "fabricated", "经核查工程款支付和银行流水，举报人捏造事实，已移送有关部门处理。", 5)

    opened(
        nyncj[0],
        "反映其在高标准农田项目验收中弄虚作假。",
        "示纪信〔2026〕047号",
        ["career_affected"],
        "影响其年度评先评优。",
        15,
    )

    case = opened(
        town[0],
        "反映其在征地补偿中优亲厚友。",
        "示纪信〔2026〕019号",
        ["career_affected"],
        "影响其换届提名。",
        50,
    )
    clearing.clearing_case_refuse(
        actor=inspector,
        case=case,
        grounds=["finding_unproven"],
        note="核查后查无实据但不能排除，不符合澄清正名条件。",
    )

    case = opened(
        nyncj[1] if len(nyncj) > 1 else town[1],
        "反映其工作作风简单粗暴。",
        "示纪信〔2026〕055号",
        ["repeated_reports"],
        "",
        30,
    )
    clearing.clearing_case_refuse(
        actor=inspector,
        case=case,
        grounds=["routine_interview"],
        note="仅作谈话提醒，未造成不良影响，无需澄清。",
    )
    return report
