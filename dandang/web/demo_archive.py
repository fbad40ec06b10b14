"""Demo data of the performance archive (issue 4, point 8): a year (2026) of entries for the cadres
of three units of the demo county — the education bureau, the agriculture bureau and a town — so
that the workflow, the counted scores and the formalism guard all show on the demo.

Every entry goes through the archive's services (record, evidence, submit, return, verify), so
that flags, counted values, scores and their decision records and the audit chain are exactly what
the application makes.  Besides mostly verified results with metrics and evidence, the year holds
entries submitted, returned and still in draft, negative entries recorded by discipline
inspection, entries whose only evidence is a process trace (a photo trail, a meeting held), two
cadres with nearly the same description, a task whose shares are over-claimed, and one evidence
file attached by two cadres.  The near-duplicate pass (:mod:`dandang.archive.duplicates`) runs at
the end over the county.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dandang.archive import services as archive
from dandang.archive.models import ArchiveEntry, ArchiveTask, Polarity
from dandang.org.models import Cadre, Organization, User

YEAR = 2026
CADRES_PER_UNIT = 10
UNITS = (("jyj", "leader_jyj"), ("nyncj", "leader_nyncj"), ("town04", "leader_town"))
SCORES = {"completion": 88, "authenticity": 90, "difficulty": 75, "contribution": 85}

# Achievements by unit: (category, difficulty, title, description with {n} and {m}, metric).
Achievement = tuple[str, str, str, str, tuple[str, str, int, int]]
_RESULTS: dict[str, tuple[Achievement, ...]] = {
    "jyj": (
        (
            "duties",
            "hard",
            "推进义务教育优质均衡",
            "牵头推进{n}所农村学校标准化改造，新增学位{m}个，城乡教师交流轮岗全面落实。",
            ("新增学位", "个", 0, 400),
        ),
        (
            "key_tasks",
            "very_hard",
            "完成校舍安全隐患整治",
            "排查整治校舍安全隐患{n}处，完成危房改造{m}平方米，全县校舍安全达标率100%。",
            ("整治隐患", "处", 0, 30),
        ),
        (
            "innovation",
            "hard",
            "建成县域智慧教育平台",
            "建成覆盖{n}所学校的智慧教育平台，开设同步课堂{m}节，薄弱学校共享优质课程。",
            ("同步课堂", "节", 0, 600),
        ),
        (
            "public",
            "ordinary",
            "化解教育领域信访积案",
            "化解学位、学籍类信访积案{n}件，群众满意率提升至{m}%。",
            ("化解积案", "件", 0, 12),
        ),
        (
            "duties",
            "ordinary",
            "落实学生资助政策",
            "精准资助家庭经济困难学生{n}人次，发放资助资金{m}万元，做到应助尽助。",
            ("资助学生", "人次", 0, 1500),
        ),
    ),
    "nyncj": (
        (
            "key_tasks",
            "very_hard",
            "完成高标准农田建设任务",
            "建成高标准农田{n}亩，新建灌排渠道{m}公里，粮食亩产提高约8%。",
            ("建成高标准农田", "亩", 0, 12000),
        ),
        (
            "duties",
            "hard",
            "发展茶叶特色产业",
            "推广茶叶良种{n}亩，带动{m}户农户增收，茶产业产值增长12%。",
            ("推广良种", "亩", 0, 3000),
        ),
        (
            "innovation",
            "hard",
            "创新农村产权流转交易",
            "建立农村产权流转交易平台，完成交易{n}宗、金额{m}万元。",
            ("完成交易", "宗", 0, 150),
        ),
        (
            "key_tasks",
            "hard",
            "做好生猪稳产保供",
            "新建改造规模猪场{n}个，全年生猪出栏{m}头，完成市定任务。",
            ("生猪出栏", "头", 50000, 60000),
        ),
        (
            "assigned",
            "ordinary",
            "完成农村人居环境整治",
            "完成农村户厕改造{n}户，建成垃圾分类示范村{m}个。",
            ("户厕改造", "户", 0, 800),
        ),
    ),
    "town04": (
        (
            "key_tasks",
            "very_hard",
            "完成征地拆迁攻坚任务",
            "完成重点项目征地{n}亩、房屋拆迁{m}户，未发生一起群体性事件。",
            ("完成征地", "亩", 0, 600),
        ),
        (
            "duties",
            "hard",
            "壮大村级集体经济",
            "指导{n}个村发展物业经济，村集体经营性收入平均增加{m}万元。",
            ("集体经营性收入增加", "万元", 0, 20),
        ),
        (
            "public",
            "hard",
            "调处基层矛盾纠纷",
            "调处矛盾纠纷{n}起，化解率{m}%，实现小事不出村、大事不出镇。",
            ("调处纠纷", "起", 0, 120),
        ),
        (
            "assigned",
            "ordinary",
            "推进美丽乡村建设",
            "建成美丽乡村精品线{n}条，整治房前屋后{m}处。",
            ("整治房前屋后", "处", 0, 500),
        ),
        (
            "innovation",
            "ordinary",
            "推行基层治理网格化",
            "划分治理网格{n}个，配备专兼职网格员{m}名，事件办结率98%。",
            ("划分网格", "个", 0, 60),
        ),
    ),
}
# How the work was done: two of these follow each description, so that two cadres' entries of one
# kind are not near-duplicates of each other (only the planted twins are).
_EXTRAS = (
    "建立周调度、月通报工作机制，召开现场推进会{a}次。",
    "协调解决资金缺口{a}万元，争取上级专项补助。",
    "深入一线蹲点调研{a}天，逐户摸清底数。",
    "组建{a}人工作专班，实行挂图作战、销号管理。",
    "针对群众反映集中的{a}个问题逐一制定整改措施。",
    "引入第三方机构开展评估，综合评分{a}分。",
    "创新采用“先建后补”方式，撬动社会资本{a}万元。",
    "牵头与{a}个部门建立联动机制，实现信息共享。",
    "克服汛期和疫情影响，倒排工期{a}天完成任务。",
    "经验做法被市级简报刊发，{a}个乡镇前来学习。",
    "培训基层骨干{a}人次，形成长效管护机制。",
    "全程公开公示，接受群众监督，满意度达到{a}%。",
    "对照年度目标逐项销号，提前{a}天完成。",
    "带领党员先锋队{a}人参与攻坚。",
    "建立问题清单{a}项，已全部整改到位。",
    "争取省级试点项目，获得奖补资金{a}万元。",
)
_EVIDENCE = ("statistics", "acceptance_report", "third_party", "financial_record", "audit_finding")
_TRACES = (
    ("学习贯彻会议精神", "组织召开专题会议{n}次，印发学习材料{m}份，拍照留档。", "meeting_held"),
    ("开展走访慰问活动", "带队走访慰问{n}户，拍摄活动照片{m}张并在工作群发布。", "photo_trail"),
    ("印发工作实施方案", "研究制定并印发实施方案{n}份，建立工作台账{m}本。", "document_issued"),
)
_NEGATIVE = (
    ("honours", "因安全生产监管不到位被通报批评", "辖区发生一起安全生产事故，监管责任落实不到位，被县委通报批评。"),
    ("public", "群众反映问题办理超期", "群众反映的{n}件问题未在规定时限内办结，被督查通报。"),
)
_TWIN = "牵头组织{place}防汛抢险，连续72小时驻守水库大坝，转移安置群众1260人，排除险情18处，全镇实现零伤亡。"
_SHARED = b"%PDF-1.4\n% demo: county work report 2026 (one file attached by two cadres)\n"


@dataclass
class ArchiveReport:
    entries: int = 0
    verified: int = 0
    flagged: int = 0


class _Demo:
    def __init__(self, rng: random.Random, county: Organization) -> None:
        self.rng = rng
        self.county = county
        self.users = {u.username: u for u in User.objects.filter(username__in=self._usernames())}
        self.staff = self.users["zzb_staff"]
        self.discipline = self.users["jw_inspector"]
        self.last = min(dt.date(YEAR, 10, 31), timezone.localdate())
        self.files = 0
        self.report = ArchiveReport()

    @staticmethod
    def _usernames() -> list[str]:
        return ["zzb_staff", "jw_inspector", "cadre_1", "cadre_2", *(leader for _unit, leader in UNITS)]

    def day(self) -> dt.date:
        first = dt.date(YEAR, 1, 5)
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (self.last - first).days)))

    def upload(self, content: bytes | None = None, name: str = "证明材料.pdf") -> SimpleUploadedFile:
        if content is None:
            self.files += 1
            content = f"%PDF-1.4\n% demo evidence {self.files}\n".encode()
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    def record(
        self,
        author: User,
        cadre: Cadre,
        achievement: Achievement,
        *,
        evidence: str | None = "statistics",
        content: bytes | None = None,
        polarity: str = Polarity.POSITIVE,
        task: ArchiveTask | None = None,
        share: int | None = None,
        description: str | None = None,
    ) -> ArchiveEntry:
        category, difficulty, title, text, (indicator, unit, baseline, top) = achievement
        n, m = self.rng.randint(3, 40), self.rng.randint(max(baseline + 1, top // 4), max(baseline + 2, top))
        metrics: list[dict[str, Any]] = []
        if indicator:
            metrics = [{"indicator": indicator, "unit": unit, "baseline": baseline, "target": top, "actual": m}]
        entry = archive.archive_entry_create(
            actor=author,
            cadre=cadre,
            occurred_on=self.day(),
            category=category,
            title=title,
            description=description or self.describe(text, n, m),
            polarity=polarity,
            difficulty=difficulty,
            task=task,
            share_percent=None if share is None else Decimal(share),
            metrics=metrics,
        )
        if evidence is not None:
            archive.archive_evidence_add(actor=author, entry=entry, upload=self.upload(content), kind=evidence)
        self.report.entries += 1
        return entry

    def describe(self, text: str, n: int, m: int) -> str:
        extras = "".join(e.format(a=self.rng.randint(2, 98)) for e in self.rng.sample(_EXTRAS, 2))
        return text.format(n=n, m=m) + extras

    def verify(self, entry: ArchiveEntry, verifier: User) -> ArchiveEntry:
        entry = archive.archive_entry_submit(actor=entry.author, entry=entry)
        scores = {k: v - self.rng.randint(0, 15) for k, v in SCORES.items()}
        method = self.rng.choice(["document_review", "site_visit", "individual_talk", "data_cross_check"])
        entry = archive.archive_entry_verify(actor=verifier, entry=entry, method=method, scores=scores)
        self.report.verified += 1
        return entry

    def build(self, units: dict[str, Organization]) -> ArchiveReport:
        rng = self.rng
        recorded: list[tuple[Cadre, User, User]] = []  # (cadre, author, verifier)
        self.slug: dict[int, str] = {}
        for slug, leader_name in UNITS:
            leader = self.users[leader_name]
            others = Cadre.objects.filter(org=units[slug]).exclude(pk=leader.cadre_id or 0)
            cadres = list(others.order_by("id")[:CADRES_PER_UNIT])
            for cadre in cadres:
                own = next((u for u in self.users.values() if u.cadre_id == cadre.pk), None)
                # A cadre with a login records their own entries, which their leader verifies; the
                # leader records for the others, and the organization department verifies.
                author, verifier = (own, leader) if own is not None else (leader, self.staff)
                recorded.append((cadre, author, verifier))
                self.slug[cadre.pk] = slug
                for achievement in rng.sample(_RESULTS[slug], 3):
                    entry = self.record(author, cadre, achievement, evidence=rng.choice(_EVIDENCE))
                    if rng.random() < 0.85:
                        self.verify(entry, verifier)
                    elif rng.random() < 0.5:
                        archive.archive_entry_submit(actor=author, entry=entry)
                    # else: a draft, still being written
        by_unit = [[r for r in recorded if self.slug[r[0].pk] == slug] for slug, _leader in UNITS]
        self._returned(recorded)
        self._traces(recorded)
        self._negatives(recorded)
        if len(by_unit[0]) >= 2 and by_unit[1] and len(by_unit[2]) >= 3:  # a county of at least a few hundred
            self._twins(by_unit[0][0], by_unit[1][0])
            self._over_claimed(by_unit[2][:3], units)
            self._shared_file(by_unit[0][1], by_unit[1][-1])
        return self.report

    def _returned(self, recorded: list[tuple[Cadre, User, User]]) -> None:
        for cadre, author, verifier in recorded[1::9]:
            entry = self.record(author, cadre, self.rng.choice(_RESULTS[self.slug[cadre.pk]]))
            entry = archive.archive_entry_submit(actor=author, entry=entry)
            archive.archive_entry_return(
                actor=verifier, entry=entry, note="请补充第三方验收报告，并说明本人在项目中的具体分工。"
            )

    def _traces(self, recorded: list[tuple[Cadre, User, User]]) -> None:
        """Entries whose only evidence is a process trace: verified, they count zero."""
        for i, (cadre, author, verifier) in enumerate(recorded[2::5]):
            title, text, kind = _TRACES[i % len(_TRACES)]
            achievement: Achievement = ("political", "ordinary", title, text, ("", "", 0, 20))
            entry = self.record(author, cadre, achievement, evidence=kind)
            self.verify(entry, verifier)

    def _negatives(self, recorded: list[tuple[Cadre, User, User]]) -> None:
        """Negative entries, recorded by discipline inspection and verified by the department."""
        for i, (cadre, _author, _verifier) in enumerate(recorded[3::8]):
            category, title, text = _NEGATIVE[i % len(_NEGATIVE)]
            achievement: Achievement = (category, "ordinary", title, text, ("超期办结", "件", 0, 5))
            entry = self.record(
                self.discipline, cadre, achievement, polarity=Polarity.NEGATIVE, evidence="audit_finding"
            )
            self.verify(entry, self.staff)

    def _twins(self, first: tuple[Cadre, User, User], second: tuple[Cadre, User, User]) -> None:
        """Two cadres of different units with nearly the same description."""
        for (cadre, author, verifier), place in ((first, "青山镇"), (second, "青杉镇")):
            achievement: Achievement = ("key_tasks", "very_hard", "防汛抢险", _TWIN, ("转移安置群众", "人", 0, 1260))
            entry = self.record(author, cadre, achievement, description=_TWIN.format(place=place))
            self.verify(entry, verifier)

    def _over_claimed(self, town: list[tuple[Cadre, User, User]], units: dict[str, Organization]) -> None:
        """Three cadres of the town claim 40% + 40% + 35% of one task."""
        task = archive.archive_task_create(
            actor=self.staff, organization=units["town04"], name="省道拓宽工程征迁", year=YEAR
        )
        achievement: Achievement = (
            "key_tasks",
            "very_hard",
            "完成省道拓宽工程征迁",
            "负责省道拓宽工程沿线{n}户房屋征迁协调，提前{m}天完成交地。",
            ("完成征迁", "户", 0, 90),
        )
        for (cadre, author, verifier), share in zip(town, (40, 40, 35), strict=False):
            entry = self.record(author, cadre, achievement, task=task, share=share)
            self.verify(entry, verifier)

    def _shared_file(self, *pair: tuple[Cadre, User, User]) -> None:
        """The same evidence file attached by two cadres."""
        for cadre, author, verifier in pair:
            achievement = self.rng.choice(_RESULTS[self.slug[cadre.pk]])
            entry = self.record(author, cadre, achievement, evidence="acceptance_report", content=_SHARED)
            self.verify(entry, verifier)


def demo_archive_build(*, seed: int, county: Organization, units: dict[str, Organization]) -> ArchiveReport:
    """The year of archive entries for the demo county (``units``: the organizations of the
    education bureau, the agriculture bureau and the town, by slug), then the near-duplicate pass."""
    from dandang.archive.duplicates import archive_near_duplicates_scan

    demo = _Demo(random.Random(f"{seed}/archive"), county)
    report = demo.build(units)
    archive_near_duplicates_scan(actor=None, organization=county)
    report.flagged = ArchiveEntry.objects.filter(cadre__org_path__startswith=county.path).exclude(flag_codes=[]).count()
    return report
