"""Demo tolerance cases (issue 5 point 8): cases of the demo county in every state of the workflow,
made through the tolerance services (as on the days they happened, :func:`services.as_of`), so that
deadlines, recommendations with their decision records, notifications and the audit chain are
exactly what the application makes.

Applications and an ex officio review; one waiting for acceptance and one whose acceptance is
overdue; one not accepted; an investigation extended once; an ex officio review overdue; one
awaiting its determination; exemptions (one for ``cadre_1``, with a correction plan, one item
overdue, and a follow-up visit; one closed); a lighter accountability; and a determination that
departs from the recommendation, with its reason.  Dates count back from today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from dandang.org.models import Cadre, Organization, User
from dandang.tolerance import services as tol
from dandang.tolerance.models import ToleranceCase

FACTS: dict[str, Any] = {
    "context": "reform_pilot",
    "explicit_prohibition_breached": False,
    "personal_gain": False,
    "collusion": False,
    "intentional": False,
    "procedure_followed": True,
    "objected_to_collective_decision": False,
    "force_majeure": False,
    "loss_recovered": "none",
    "cooperated_with_investigation": True,
    "repeat_after_correction": False,
    "obstructed_investigation": False,
    "consequence": "minor",
}
NARRATIVE = {
    "motivation_attitude": "出于推动改革的公心，积极主动担当作为，无谋取私利。",
    "objective_conditions": "上级政策边界尚不明确，时间紧、任务重，缺乏可借鉴的经验。",
    "procedure_method": "事前经班子会议集体研究决定，并按规定报告。",
    "nature_degree": "属于改革探索中的无意过失，情节较轻。",
    "consequences_recovery": "未造成重大损失，已主动采取措施消除影响。",
}
MITIGATED = {**FACTS, "context": "routine", "loss_recovered": "partial"}  # → lighter (从轻)

MATTERS = (
    "推进农村产权流转交易试点中，因政策边界不明确导致一宗交易程序瑕疵",
    "探索“一件事一次办”改革中，并联审批出现一起超时办结",
    "招商引资项目落地过程中先行先试，配套协议条款存在疏漏",
    "应急处置山洪险情时先行调用物资，事后补办手续",
    "国有资产盘活中对闲置厂房先行出租，评估程序后补",
    "推行村级集体经济入股合作社试点，部分分红未按期兑现",
    "防汛值守安排不到位被启动问责，同步开展容错审查",
    "营商环境改革中试行容缺受理，一宗材料事后未补齐",
    "智慧教育平台建设先行上线，部分功能验收滞后",
    "高标准农田建设中变更设计未及时报批",
)


@dataclass
class ToleranceReport:
    cases: int = 0


class _Demo:
    def __init__(self, county: Organization, units: dict[str, Organization]) -> None:
        names = ["zzb_staff", "jw_inspector", "cadre_1", "cadre_2"]
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.staff, self.discipline = self.users["zzb_staff"], self.users["jw_inspector"]
        taken = [pk for pk in User.objects.exclude(cadre__isnull=True).values_list("cadre_id", flat=True) if pk]
        pool: list[Cadre] = []
        for slug in ("nyncj", "town04", "jyj"):
            pool += list(Cadre.objects.filter(org=units[slug]).exclude(pk__in=taken).order_by("id")[5:9])
        self.pool = pool
        self.today = timezone.localdate()
        self.report = ToleranceReport()
        self.count = 0

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def cadre(self, username: str | None = None) -> Cadre:
        user = self.users.get(username or "")
        if user is not None and user.cadre is not None:
            return user.cadre
        cadre = self.pool[self.count % len(self.pool)]
        self.count += 1
        return cadre

    def apply(self, cadre: Cadre, matter: str, days_ago: int, number: int) -> ToleranceCase:
        with tol.as_of(self.day(days_ago)):
            applicant = User.objects.filter(cadre=cadre).first()
            case = tol.tolerance_case_apply(
                actor=applicant,
                cadre=cadre,
                matter=matter,
                matter_date=self.day(days_ago + 60),
                decision_reference=f"示范纪发〔{self.day(days_ago).year}〕{number}号",
                decision_date=self.day(days_ago + 12),
                statement="本人在推进改革中履职尽责，失误系缺乏经验所致，申请容错。",
            )
        self.report.cases += 1
        return case

    def accept(self, case: ToleranceCase, days_ago: int) -> ToleranceCase:
        with tol.as_of(self.day(days_ago)):
            return tol.tolerance_case_accept(actor=self.staff, case=case, note="经审核，符合受理条件，予以受理。")

    def propose(self, case: ToleranceCase, days_ago: int, facts: dict[str, Any] = FACTS) -> ToleranceCase:
        with tol.as_of(self.day(days_ago)):
            return tol.tolerance_case_propose(
                actor=self.staff,
                case=case,
                document={"facts": facts, "narrative": NARRATIVE},
                report="经查阅会议纪要、走访相关单位、个别谈话，事实清楚、证据充分。",
            )

    def determine(
        self, case: ToleranceCase, days_ago: int, outcome: str | None = None, reason: str = ""
    ) -> ToleranceCase:
        with tol.as_of(self.day(days_ago)):
            return tol.tolerance_case_determine(
                actor=self.discipline, case=case, outcome=outcome or case.recommended_outcome, reason=reason
            )

    def build(self) -> ToleranceReport:
        m = iter(MATTERS)
        # Waiting for acceptance; and one whose acceptance is overdue.
        self.apply(self.cadre("cadre_2"), next(m), 2, 101)
        self.apply(self.cadre(), next(m), 25, 102)
        # Not accepted.
        case = self.apply(self.cadre(), next(m), 40, 103)
        with tol.as_of(self.day(35)):
            tol.tolerance_case_refuse(actor=self.staff, case=case, note="申请事项不属于容错纠错范围，不予受理。")
        # Under investigation, extended once.
        case = self.accept(self.apply(self.cadre(), next(m), 45, 104), 40)
        with tol.as_of(self.day(12)):
            tol.tolerance_case_extend(actor=self.staff, case=case, reason="需调取上级审批资料，延长调查一个月。")
        # Awaiting the determination.
        self.propose(self.accept(self.apply(self.cadre(), next(m), 30, 105), 26), 3)
        # Exempt, for cadre_1: a correction plan (one item done, one overdue, one open) and a visit.
        case = self.determine(
            self.propose(self.accept(self.apply(self.cadre("cadre_1"), next(m), 70, 106), 66), 40), 35
        )
        with tol.as_of(self.day(34)):
            done = tol.correction_item_add(
                actor=self.staff, case=case, owner="县国资中心", task="补办资产评估手续", deadline=self.day(20)
            )
            tol.correction_item_add(
                actor=self.staff, case=case, owner="县国资中心", task="完善闲置资产出租管理办法", deadline=self.day(5)
            )
            tol.correction_item_add(
                actor=self.staff, case=case, owner="本人", task="提交书面整改报告", deadline=self.day(-20)
            )
        with tol.as_of(self.day(15)):
            tol.correction_item_done(actor=self.staff, item=done, done_on=self.day(18), note="已完成评估并备案")
            tol.follow_up_visit_add(
                actor=self.staff,
                case=case,
                visited_on=self.day(15),
                visitors="县委组织部干部科",
                notes="回访谈心，鼓励其放下包袱、继续担当作为。",
            )
        # Ex officio review, started with an accountability case, overdue.
        with tol.as_of(self.day(50)):
            tol.tolerance_review_open(
                actor=self.discipline,
                cadre=self.cadre(),
                matter_type="accountability_case",
                matter_id="DEMO-7",
                matter=next(m),
                matter_date=self.day(55),
            )
        self.report.cases += 1
        # Lighter accountability (mitigation), as recommended.
        self.determine(self.propose(self.accept(self.apply(self.cadre(), next(m), 60, 107), 55), 30, MITIGATED), 25)
        # A determination that departs from the recommendation (lighter recommended, reduced decided).
        self.determine(
            self.propose(self.accept(self.apply(self.cadre(), next(m), 58, 108), 54), 28, MITIGATED),
            22,
            outcome="reduced",
            reason="当事人事后全额挽回损失并积极配合调查，依规减轻处理。",
        )
        # Exempt and closed: the correction done, a follow-up visit.
        case = self.determine(self.propose(self.accept(self.apply(self.cadre(), next(m), 90, 109), 86), 60), 55)
        with tol.as_of(self.day(50)):
            item = tol.correction_item_add(
                actor=self.staff, case=case, owner="县农业农村局", task="修订设计变更报批流程", deadline=self.day(30)
            )
        with tol.as_of(self.day(20)):
            tol.correction_item_done(actor=self.staff, item=item, done_on=self.day(25), note="已印发新流程")
            tol.follow_up_visit_add(
                actor=self.staff,
                case=case,
                visited_on=self.day(20),
                visitors="县纪委监委",
                notes="回访教育，当事人已深刻总结经验。",
            )
            tol.tolerance_case_close(actor=self.staff, case=case, note="纠错事项全部完成，予以结案。")
        return self.report


def demo_tolerance_build(*, county: Organization, units: dict[str, Organization]) -> ToleranceReport:
    """Tolerance cases of the demo county in every state (``units``: the education bureau, the
    agriculture bureau and the town, by slug)."""
    return _Demo(county, units).build()
