"""Demo data: one deterministic county (``manage.py demo``), or a province of them for benchmarks.

浙江省 › 示范市 › 示范县: the county Party committee with its organs (组织部, 纪委监委, 县委办 …),
30 departments, public institutions and state enterprises, 12 townships and streets with 200
villages and communities, about 1,500 cadres with careers of two to five tenures, and a user for
every role.  The same seed always gives the same people, ID numbers and careers.

The volume rows are generated in Python and written with ``bulk_create`` in batches, never one
service call per row; every computed field is computed as the services compute it (tree path,
depth and audit partition by :func:`~dandang.org.services.organization_tree_fields`, pinyin by
:func:`~dandang.org.services.pinyin_of`, placement from the open tenure) and each bulk write
appends one audit event per partition and kind with a digest of its rows, so the audit chains
verify.  The few users and role grants go through the ordinary services.

DEMO ONLY: every demo user's password is :data:`DEMO_PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from dandang.core.audit import GLOBAL_PARTITION, audit_bulk
from dandang.core.errors import Conflict, ValidationFailed
from dandang.org import services
from dandang.org.models import Cadre, Organization, Post, RoleGrant, Tenure, User
from dandang.org.roles import Role
from dandang.web import demo_data as D
from dandang.web.demo_archive import demo_archive_build
from dandang.web.demo_clearing import demo_clearing_build
from dandang.web.demo_tolerance import demo_tolerance_build

DEMO_PASSWORD = "dandang-demo"  # demo only: printed by ``manage.py demo_logins``
DEFAULT_SEED = 2025
AS_OF = dt.date(2025, 6, 30)  # careers are generated up to this day, so a seed always gives the same data
BATCH_SIZE = 5000
COUNTY_CADRES = 1500
PROVINCE_CADRES = 200_000
TOWNSHIPS_PER_COUNTY = 12
VILLAGES_PER_COUNTY = 200
COUNTIES_PER_CITY = 12
MAX_CITIES = 11

L = Organization.Level
K = Organization.Kind
R = Tenure.Reason
Progress = Callable[[str], None]


# --- plan --------------------------------------------------------------------------------------


@dataclass
class Rung:
    """A post of a unit and its place on the career ladder."""

    title: str
    rank: str
    grade: int
    leading: bool
    holders: int = 0  # leading posts: how many hold it at once; 0: a non-leading rank (weighted)
    weight: int = 0
    head: bool = False  # held by one person at a time: never used for an earlier tenure
    hardship: bool = False
    post: Post | None = None


@dataclass
class Unit:
    org: Organization
    track: str  # committee | civil | institution | enterprise | village
    rungs: list[Rung]
    weight: float
    slug: str = ""
    township: int = -1  # villages: the index of their township in the county
    size: int = 0
    by_grade: dict[int, list[Rung]] = field(default_factory=dict)  # posts open to an earlier tenure


@dataclass
class CountyPlan:
    org: Organization
    units: list[Unit]
    neighbours: list[str]  # region codes of ID numbers issued elsewhere

    def unit(self, slug: str) -> Unit:
        return next(u for u in self.units if u.slug == slug)


@dataclass
class BuildReport:
    seed: int
    scale: str
    organizations: int = 0
    posts: int = 0
    cadres: int = 0
    tenures: int = 0
    users: int = 0
    archive_entries: int = 0
    seconds: float = 0.0


@dataclass
class _Builder:
    seed: int
    scale: str
    progress: Progress
    report: BuildReport
    taken_ids: set[str] = field(default_factory=set)
    pinyin: dict[str, tuple[str, str]] = field(default_factory=dict)
    surnames: list[str] = field(default_factory=lambda: [s for s, _w in D.SURNAMES])
    surname_cum: list[float] = field(default_factory=lambda: list(itertools.accumulate(w for _s, w in D.SURNAMES)))
    ethnic: list[str] = field(default_factory=lambda: [e for e, _w in D.ETHNICITIES])
    ethnic_cum: list[float] = field(default_factory=lambda: list(itertools.accumulate(w for _e, w in D.ETHNICITIES)))

    # --- people ----------------------------------------------------------------------------

    def person_name(self, rng: random.Random, female: bool, birth_year: int) -> str:
        surname = rng.choices(self.surnames, cum_weights=self.surname_cum)[0]
        era = "old" if birth_year < 1975 else ("mid" if birth_year < 1988 else "young")
        singles, firsts, seconds = (D.FEMALE_GIVEN if female else D.MALE_GIVEN)[era]
        r = rng.random()
        if female and era != "old" and r < 0.03:
            return surname + rng.choice(D.FEMALE_DOUBLED)
        if r < {"old": 0.3, "mid": 0.22, "young": 0.12}[era] or len(surname) == 2:
            return surname + rng.choice(singles)
        first = rng.choice(firsts)
        second = rng.choice(seconds)
        while second == first:
            second = rng.choice(seconds)
        return surname + first + second

    def id_number(self, rng: random.Random, region: str, birth: dt.date, female: bool) -> str:
        """GB 11643: region, birth date, a sequence whose last digit is odd for men, check digit."""
        while True:
            seq = rng.randrange(1 if female else 0, 500) * 2 + (0 if female else 1)
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = body + services.id_number_check_digit(body)
            if number not in self.taken_ids:
                self.taken_ids.add(number)
                return number

    def pinyin_of(self, name: str) -> tuple[str, str]:
        cached = self.pinyin.get(name)
        if cached is None:
            cached = self.pinyin[name] = services.pinyin_of(name)
        return cached


def _tree(org: Organization) -> Organization:
    """Path, depth and audit partition exactly as ``organization_create`` computes them."""
    org.path, org.depth, org.audit_partition = services.organization_tree_fields(
        code=org.code, level=org.level, parent=org.parent
    )
    return org


def _unique_name(rng: random.Random, syllables: tuple[str, str], suffix: str, taken: set[str]) -> str:
    first, second = syllables
    while True:
        a, b = rng.choice(first), rng.choice(second)
        name = f"{a}{b}{suffix}"
        if a != b and name not in taken:
            taken.add(name)
            return name


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), deterministically."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    sizes = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _ranks(ranks: Iterable[tuple[str, int, int]]) -> list[Rung]:
    return [Rung(title=t, rank=t, grade=g, leading=False, weight=w) for t, g, w in ranks]


def _unit_rungs(track: str, spec: D.UnitSpec | None, township_kind: str = "") -> list[Rung]:
    if track == "committee":
        return [
            Rung(title=t, rank=r, grade=g, leading=True, holders=n, head=n == 1) for t, r, g, n in D.COUNTY_LEADERSHIP
        ]
    if track == "village":
        village = township_kind == "village"
        pre = "村" if village else "社区"
        committee = "村民委员会" if village else "社区居民委员会"
        return [
            Rung(title=f"{pre}党组织书记", rank="", grade=3, leading=True, holders=1, head=True),
            Rung(title=f"{committee}主任", rank="", grade=2, leading=True, holders=1, head=True),
            Rung(title=f"{pre}党组织副书记", rank="", grade=1, leading=False, weight=1),
            Rung(title=f"{committee}委员", rank="", grade=0, leading=False, weight=4),
        ]
    if track == "township":
        head_title = {"town": "镇长", "xiang": "乡长", "street": "街道办事处主任"}[township_kind]
        deputy = {"town": "副镇长", "xiang": "副乡长", "street": "街道办事处副主任"}[township_kind]
        congress = "人大工委主任" if township_kind == "street" else "人大主席"
        return [
            Rung(title="党委书记", rank="正科级", grade=5, leading=True, holders=1, head=True),
            Rung(title=f"党委副书记、{head_title}", rank="正科级", grade=5, leading=True, holders=1, head=True),
            Rung(title="党委副书记", rank="副科级", grade=4, leading=True, holders=1),
            Rung(title="纪委书记", rank="副科级", grade=4, leading=True, holders=1),
            Rung(title=congress, rank="副科级", grade=4, leading=True, holders=1),
            Rung(title=deputy, rank="副科级", grade=4, leading=True, holders=3),
            *_ranks(D.CIVIL_RANKS),
        ]
    assert spec is not None
    if track == "organ":
        return [
            Rung(title=spec.head, rank="副处级", grade=6, leading=True, holders=1, head=True),
            Rung(title=spec.deputy, rank="正科级", grade=5, leading=True, holders=3),
            *_ranks(D.CIVIL_RANKS),
        ]
    if track == "enterprise":
        return [
            Rung(title=spec.head, rank="", grade=5, leading=True, holders=1, head=True),
            Rung(title="总经理", rank="", grade=5, leading=True, holders=1, head=True),
            Rung(title=spec.deputy, rank="", grade=4, leading=True, holders=3),
            *_ranks(D.ENTERPRISE_RANKS),
        ]
    ranks = D.INSTITUTION_RANKS if track == "institution" else D.CIVIL_RANKS
    return [
        Rung(title=spec.head, rank="正科级", grade=5, leading=True, holders=1, head=True),
        Rung(title=spec.deputy, rank="副科级", grade=4, leading=True, holders=4),
        *_ranks(ranks),
    ]


_KIND_TRACK: dict[str, str] = {
    K.GOVERNMENT_DEPARTMENT: "civil",
    K.PUBLIC_INSTITUTION: "institution",
    K.STATE_ENTERPRISE: "enterprise",
}


def _plan_county(
    rng: random.Random, *, city: Organization, code: str, name: str, cadres: int, neighbours: list[str]
) -> CountyPlan:
    county = _tree(Organization(code=code, name=name, parent=city, level=L.COUNTY, kind=K.PARTY_COMMITTEE, sector=""))
    units: list[Unit] = [Unit(org=county, track="committee", rungs=_unit_rungs("committee", None), weight=0)]
    for spec in D.PARTY_ORGANS:
        org = Organization(
            code=f"{code}-{spec.slug}", name=f"{name}{spec.name}", parent=county, level=L.COUNTY, kind=spec.kind
        )
        org.sector = spec.sector
        rungs = _unit_rungs("organ", spec)
        units.append(Unit(org=_tree(org), track="civil", rungs=rungs, weight=spec.weight, slug=spec.slug))
    for spec in D.DEPARTMENTS:
        org = Organization(
            code=f"{code}-{spec.slug}", name=f"{name}{spec.name}", parent=county, level=L.COUNTY, kind=spec.kind
        )
        org.sector = spec.sector
        track = _KIND_TRACK[spec.kind]
        rungs = _unit_rungs(track, spec)
        units.append(Unit(org=_tree(org), track=track, rungs=rungs, weight=spec.weight, slug=spec.slug))

    # Townships: three streets round the county seat, six towns, three remote 乡 (hardship posts),
    # one of the towns up in the mountains as well.
    kinds = ["street"] * 3 + ["town"] * 6 + ["xiang"] * 3
    streets = rng.sample(D.STREET_NAMES, 3)
    taken: set[str] = set()
    villages_per = _allocate(VILLAGES_PER_COUNTY, [1.0] * TOWNSHIPS_PER_COUNTY)
    rng.shuffle(villages_per)
    mountain_town = rng.randrange(3, 9)
    village_names: set[str] = set()
    townships: list[tuple[Unit, str, bool, int]] = []
    counters = {"street": 1, "town": 100, "xiang": 200}
    for index, kind in enumerate(kinds):
        if kind == "street":
            tname = f"{streets[index]}街道"
        else:
            tname = _unique_name(rng, D.TOWNSHIP_SYLLABLES, "镇" if kind == "town" else "乡", taken)
        tcode = f"{code}{counters[kind]:03d}"
        counters[kind] += 1
        org = _tree(Organization(code=tcode, name=tname, parent=county, level=L.TOWNSHIP, kind=K.TOWNSHIP))
        rungs = _unit_rungs("township", None, kind)
        unit = Unit(org=org, track="civil", rungs=rungs, weight=35, slug=f"town{index + 1:02d}")
        hardship = kind == "xiang" or index == mountain_town
        units.append(unit)
        townships.append((unit, kind, hardship, villages_per[index]))
    for t_index, (town, kind, hardship, count) in enumerate(townships):
        communities = count if kind == "street" else (rng.randint(1, 2) if kind == "town" else 0)
        for v in range(count):
            community = v < communities
            vname = _unique_name(rng, D.VILLAGE_SYLLABLES, "社区" if community else "村", village_names)
            vcode = f"{town.org.code}{(v + 1) if community else (200 + v + 1 - communities):03d}"
            org = _tree(Organization(code=vcode, name=vname, parent=town.org, level=L.VILLAGE, kind=K.VILLAGE))
            rungs = _unit_rungs("village", None, "community" if community else "village")
            units.append(Unit(org=org, track="village", rungs=rungs, weight=1.5, township=t_index))
        if hardship:
            for unit in [town, *(u for u in units if u.township == t_index)]:
                for rung in unit.rungs:
                    rung.hardship = True

    committee_size = sum(r.holders for r in units[0].rungs)
    units[0].size = min(committee_size, cadres)
    sizes = _allocate(cadres - units[0].size, [u.weight for u in units[1:]])
    for unit, size in zip(units[1:], sizes, strict=True):
        unit.size = size
    for unit in units:
        unit.org.staff_size = unit.size + (
            rng.randint(2, 6) if unit.track == "village" else rng.randint(0, 2 + unit.size // 5)
        )
    return CountyPlan(org=county, units=units, neighbours=neighbours)


# --- careers -----------------------------------------------------------------------------------

_BIRTH_YEARS = {0: (1992, 2001), 1: (1988, 1999), 2: (1982, 1996), 3: (1978, 1993), 4: (1972, 1990)}
_BIRTH_YEARS.update({5: (1967, 1986), 6: (1966, 1980), 7: (1966, 1976)})
_EDUCATION = list(Cadre.Education.values)  # secondary, college, bachelor, master, doctorate
_EDU_WEIGHTS = {
    "older": (6, 34, 52, 8, 0),
    "civil": (1, 12, 67, 18, 2),
    "village": (30, 42, 26, 2, 0),
}
_TENURE_COUNTS = {"village": ((2, 3), (65, 35)), "other": ((2, 3, 4, 5), (30, 35, 22, 13))}
_PARTY_SHARE = {"leading": 0.98, "civil": 0.82, "institution": 0.72, "enterprise": 0.7, "village": 0.75}


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _days(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=rng.randint(0, max(0, (high - low).days)))


@dataclass
class _Pools:
    """Where a cadre of each track may have served before: (unit, rung) by grade."""

    by_track: dict[str, dict[int, list[tuple[Unit, Rung]]]]
    by_township: dict[int, dict[int, list[tuple[Unit, Rung]]]]

    @classmethod
    def of(cls, units: list[Unit]) -> _Pools:
        by_track: dict[str, dict[int, list[tuple[Unit, Rung]]]] = {}
        by_township: dict[int, dict[int, list[tuple[Unit, Rung]]]] = {}
        for unit in units:
            for rung in unit.rungs:
                if rung.head:
                    continue
                unit.by_grade.setdefault(rung.grade, []).append(rung)
                if unit.track == "village":
                    by_township.setdefault(unit.township, {}).setdefault(rung.grade, []).append((unit, rung))
                    continue
                # A county leader may have served anywhere in the county's civil service before.
                for track in [unit.track, "committee"] if unit.track == "civil" else [unit.track]:
                    by_track.setdefault(track, {}).setdefault(rung.grade, []).append((unit, rung))
        return cls(by_track=by_track, by_township=by_township)

    def earlier(
        self, rng: random.Random, unit: Unit, grade: int, next_unit: Unit, next_rung: Rung
    ) -> tuple[Unit, Rung]:
        """A post of ``grade`` (or the nearest lower one) held before ``next_rung`` in
        ``next_unit``: in the same unit if the dice say so and it has one, else elsewhere on the
        track of the cadre's current ``unit``."""
        pool = self.by_township[unit.township] if unit.track == "village" else self.by_track[unit.track]
        stay = rng.random() < (0.6 if unit.track == "village" else 0.4)
        for g in range(grade, -1, -1):
            if stay:
                same = [r for r in next_unit.by_grade.get(g, []) if r is not next_rung]
                if same:
                    return next_unit, rng.choice(same)
            options = pool.get(g)
            if not options:
                continue
            for _attempt in range(8):
                u, r = rng.choice(options)
                if u is not next_unit:
                    return u, r
            rest = [(u, r) for u, r in options if r is not next_rung]
            if rest:
                return rng.choice(rest)
        raise ValidationFailed(_("The demo county has no post for an earlier tenure."))


def _reason(prev: tuple[Unit, Rung], nxt: tuple[Unit, Rung]) -> str:
    (pu, pr), (nu, nr) = prev, nxt
    if nr.grade > pr.grade:
        if nr.leading:
            return R.PROMOTION
        return R.RANK_PROMOTION if pu is nu else R.TRANSFER
    return R.ADJUSTMENT if pu is nu else R.TRANSFER


@dataclass
class _Person:
    cadre: Cadre
    career: list[tuple[Post, dt.date, str]]  # (post, start, start reason), oldest first


def _make_person(b: _Builder, rng: random.Random, plan: CountyPlan, pools: _Pools, unit: Unit, rung: Rung) -> _Person:
    village = unit.track == "village"
    if village:
        low, high = (1965, 1990) if rung.grade >= 2 else (1965, 1996)
        female_share = 0.15 if rung.head else 0.4
    else:
        low, high = _BIRTH_YEARS[rung.grade]
        female_share = 0.15 if rung.head else (0.3 if rung.leading else 0.45)
    female = rng.random() < female_share
    year = rng.randint(low, high)
    birth = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    name = b.person_name(rng, female, year)
    edu_weights = _EDU_WEIGHTS["village" if village else ("older" if year < 1975 else "civil")]
    education = rng.choices(_EDUCATION, weights=edu_weights)[0]

    counts, weights = _TENURE_COUNTS["village" if village else "other"]
    k = rng.choices(counts, weights=weights)[0]
    study = {"master": 3, "doctorate": 6}.get(education, 0)
    earliest = _add_years(birth, 22 + study)
    if earliest > AS_OF - dt.timedelta(days=400):  # too young for that degree: a bachelor
        education, earliest = Cadre.Education.BACHELOR, _add_years(birth, 22)
    while k > 2 and earliest > AS_OF - dt.timedelta(days=200 * k + 200):
        k -= 1
    first = _days(rng, earliest, min(_add_years(earliest, 4), AS_OF - dt.timedelta(days=200 * k + 200)))

    # k tenures: each at least 180 days, the rest of the span shared at random; the last is open.
    span = (AS_OF - first).days
    shares = [rng.uniform(0.6, 1.4) for _tenure in range(k)]
    spare = span - 180 * k
    starts = [first]
    for share in shares[:-1]:
        starts.append(starts[-1] + dt.timedelta(days=180 + int(spare * share / sum(shares))))

    # Grades climb towards the current post; posts are chosen backwards from it.
    grades = [rung.grade]
    for _step in range(k - 1):
        grades.insert(0, max(0, grades[0] - rng.choices((0, 1, 2), weights=(35, 50, 15))[0]))
    steps: list[tuple[Unit, Rung]] = [(unit, rung)]
    for grade in reversed(grades[:-1]):
        next_unit, next_rung = steps[0]
        steps.insert(0, pools.earlier(rng, unit, grade, next_unit, next_rung))
    career: list[tuple[Post, dt.date, str]] = []
    for i, ((_u, r), start) in enumerate(zip(steps, starts, strict=True)):
        assert r.post is not None
        career.append((r.post, start, R.APPOINTMENT if i == 0 else _reason(steps[i - 1], steps[i])))

    member_share = 1.0 if (village and rung.grade >= 1) else _PARTY_SHARE["leading" if rung.leading else unit.track]
    party = None
    if rng.random() < member_share:
        low_day = max(_add_years(birth, 18), first - dt.timedelta(days=6 * 365))
        high_day = min(first + dt.timedelta(days=12 * 365), AS_OF - dt.timedelta(days=60))
        party = _days(rng, low_day, max(low_day, high_day))

    region = plan.org.code if rng.random() < 0.85 else rng.choice(plan.neighbours)
    full, initials = b.pinyin_of(name)
    assert rung.post is not None
    cadre = Cadre(
        name=name,
        name_pinyin=full,
        name_initials=initials,
        gender=Cadre.Gender.FEMALE if female else Cadre.Gender.MALE,
        birth_date=birth,
        ethnicity=rng.choices(b.ethnic, cum_weights=b.ethnic_cum)[0],
        education=education,
        party_join_date=party,
        id_number=b.id_number(rng, region, birth, female),
        org_id=unit.org.pk,
        org_path=unit.org.path,
        post_id=rung.post.pk,
    )
    return _Person(cadre=cadre, career=career)


def _holders(rng: random.Random, unit: Unit) -> list[Rung]:
    """The current post of each of the unit's ``size`` cadres: leading posts first, in order."""
    out: list[Rung] = []
    for rung in unit.rungs:
        if rung.leading:
            out.extend([rung] * min(rung.holders, unit.size - len(out)))
    rest = [r for r in unit.rungs if not r.leading]
    if rest and unit.size > len(out):
        out.extend(rng.choices(rest, weights=[r.weight for r in rest], k=unit.size - len(out)))
    return out


# --- writing -----------------------------------------------------------------------------------


def _bulk(model: type[models.Model], rows: list[Any]) -> None:
    for i in range(0, len(rows), BATCH_SIZE):
        model.objects.bulk_create(rows[i : i + BATCH_SIZE], batch_size=BATCH_SIZE)  # type: ignore[attr-defined]


def _audit(kind: str, partition: str, rows: Iterable[Any], seed: int) -> None:
    audit_bulk(
        actor=None,
        action=f"demo.{kind}",
        partition=partition,
        rows=rows,
        reason="demo data",
        after={"seed": seed, "columns": ["id", *_COLUMNS[kind]]},
    )


_COLUMNS = {
    "organizations": services.ORG_FIELDS,
    "posts": services.POST_FIELDS,
    "cadres": services.CADRE_FIELDS,
    "tenures": services.TENURE_FIELDS,
    "users": ["username", "display_name", "cadre"],
    "grants": ["user", "role", "organization", "include_descendants"],
}


def _rows(kind: str, objects: Iterable[models.Model]) -> Iterable[list[Any]]:
    """The audited columns of each written row, as a plain list (dates in ISO form) — lists of
    plain values keep the digest of a province's million rows quick."""
    attnames: list[str] | None = None
    for obj in objects:
        if attnames is None:
            attnames = [obj._meta.get_field(name).attname for name in _COLUMNS[kind]]  # type: ignore[union-attr]
        row: list[Any] = [obj.pk]
        for attname in attnames:
            value = getattr(obj, attname)
            row.append(value.isoformat() if isinstance(value, dt.date) else value)
        yield row


def _write_county(b: _Builder, rng: random.Random, plan: CountyPlan) -> None:
    units = plan.units
    _bulk(Organization, [plan.org])
    _bulk(Organization, [u.org for u in units if u.org.parent is plan.org])
    _bulk(Organization, [u.org for u in units if u.track == "village"])
    orgs = [u.org for u in units]
    partition = plan.org.audit_partition
    _audit("organizations", partition, _rows("organizations", orgs), b.seed)

    posts: list[Post] = []
    for unit in units:
        for rung in unit.rungs:
            rung.post = Post(
                organization=unit.org,
                title=rung.title,
                is_leading=rung.leading,
                rank=rung.rank,
                is_hardship=rung.hardship,
            )
            posts.append(rung.post)
    _bulk(Post, posts)
    _audit("posts", partition, _rows("posts", posts), b.seed)

    pools = _Pools.of(units)
    people = [_make_person(b, rng, plan, pools, unit, rung) for unit in units for rung in _holders(rng, unit)]
    cadres = [p.cadre for p in people]
    _bulk(Cadre, cadres)
    _audit("cadres", partition, _rows("cadres", cadres), b.seed)  # ID numbers stay out of the audit

    tenures: list[Tenure] = []
    for person in people:
        career = person.career
        for i, (post, start, reason) in enumerate(career):
            last = i == len(career) - 1
            tenures.append(
                Tenure(
                    cadre_id=person.cadre.pk,
                    post_id=post.pk,
                    start=start,
                    end=None if last else career[i + 1][1] - dt.timedelta(days=1),
                    start_reason=reason,
                    # As tenure_start does: the previous tenure ends for the reason the next began.
                    end_reason="" if last else career[i + 1][2],
                )
            )
    _bulk(Tenure, tenures)
    _audit("tenures", partition, _rows("tenures", tenures), b.seed)

    b.report.organizations += len(orgs)
    b.report.posts += len(posts)
    b.report.cadres += len(cadres)
    b.report.tenures += len(tenures)


# --- users -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str  # Role value; "cadre" means a login linked to a cadre, without a grant
    scope: str  # province | city | county | <unit slug>
    link: str = ""  # "head": linked to the head of the scope unit; "staff": to one of its staff


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("zzb_staff", Role.ORG_STAFF, "county"),
    DemoUser("zzb_city", Role.ORG_STAFF, "city"),
    DemoUser("zzb_province", Role.ORG_STAFF, "province"),
    DemoUser("committee_member", Role.COMMITTEE_MEMBER, "county"),
    DemoUser("jw_inspector", Role.DISCIPLINE, "county"),
    DemoUser("xw_office", Role.PARTY_OFFICE, "county"),
    DemoUser("leader_jyj", Role.UNIT_LEADER, "jyj", link="head"),
    DemoUser("leader_nyncj", Role.UNIT_LEADER, "nyncj", link="head"),
    DemoUser("leader_town", Role.UNIT_LEADER, "town04", link="head"),
    DemoUser("cadre_1", Role.CADRE, "jyj", link="staff"),
    DemoUser("cadre_2", Role.CADRE, "town04", link="staff"),
    DemoUser("issuing_dept", Role.ISSUING_DEPARTMENT, "nyncj"),
    DemoUser("reporter_town", Role.GRASSROOTS_REPORTER, "town04"),
    DemoUser("task_commander", Role.TASK_COMMANDER, "county"),
    DemoUser("assessment_team", Role.ASSESSMENT_TEAM, "county"),
    DemoUser("care_officer", Role.CARE_OFFICER, "county"),
    DemoUser("county_leader", Role.COUNTY_LEADER, "county"),
    DemoUser("auditor", Role.AUDITOR, "county"),
    DemoUser("sysadmin", Role.SYSTEM_ADMIN, "province"),
    DemoUser("secadmin", Role.SECURITY_ADMIN, "province"),
    DemoUser("auditadmin", Role.AUDIT_ADMIN, "province"),
)


def _create_users(
    b: _Builder, rng: random.Random, province: Organization, city: Organization, plan: CountyPlan
) -> None:
    """One user per entry of :data:`DEMO_USERS`, written in bulk like the rest: the password is
    hashed once (argon2 is slow on purpose) and the users and grants are audited by digest."""
    scopes = {"province": province, "city": city, "county": plan.org}
    password = make_password(DEMO_PASSWORD)
    users: list[User] = []
    grants: list[RoleGrant] = []
    for spec in DEMO_USERS:
        cadre: Cadre | None = None
        if spec.link:
            unit = plan.unit(spec.scope)
            qs = Cadre.objects.filter(org=unit.org).order_by("id")
            if spec.link == "head":
                qs = qs.filter(post__in=[r.post for r in unit.rungs if r.head and r.post is not None])
            else:
                qs = qs.filter(post__is_leading=False)
            cadre = qs.first()
        display = cadre.name if cadre else b.person_name(rng, rng.random() < 0.4, rng.randint(1970, 1995))
        user = User(username=spec.username, display_name=display, cadre=cadre, password=password)
        user.is_staff = spec.role == Role.SYSTEM_ADMIN  # the admin site, for reference data only
        users.append(user)
        if spec.role != Role.CADRE:
            org = scopes.get(spec.scope) or plan.unit(spec.scope).org
            grants.append(RoleGrant(user=user, role=spec.role, organization=org, include_descendants=True))
    _bulk(User, users)
    _audit("users", GLOBAL_PARTITION, _rows("users", users), b.seed)
    _bulk(RoleGrant, grants)
    for partition in sorted({g.organization.audit_partition for g in grants}):
        chunk = [g for g in grants if g.organization.audit_partition == partition]
        _audit("grants", partition, _rows("grants", chunk), b.seed)
    b.report.users += len(users)


# --- entry points ------------------------------------------------------------------------------


def demo_database_is_empty() -> bool:
    return not Organization.objects.exists()


def _city_layout(scale: str, cadres: int) -> list[int]:
    """How many counties each city has."""
    if scale == "county":
        return [1]
    counties = max(2, round(cadres / COUNTY_CADRES))
    cities = min(MAX_CITIES, max(2, math.ceil(counties / COUNTIES_PER_CITY)))
    return _allocate(counties, [1.0] * cities)


@transaction.atomic
def demo_build(
    *,
    seed: int = DEFAULT_SEED,
    scale: str = "county",
    cadres: int | None = None,
    progress: Progress | None = None,
    archive: bool = True,
) -> BuildReport:
    """Build the demo province into an empty database, all or nothing.

    ``scale="county"``: 浙江省 › 示范市 › 示范县 with ``cadres`` (default 1,500) cadres.
    ``scale="province"``: the same county first, then as many more counties of about 1,500 cadres,
    under up to eleven cities, as make ``cadres`` (default 200,000).  ``archive``: a year of the
    performance archive for the demo county (:mod:`dandang.web.demo_archive`), with name-clearing
    cases in every state (:mod:`dandang.web.demo_clearing`)."""
    if scale not in ("county", "province"):
        raise ValidationFailed(_("Some fields are not valid."), detail={"scale": [str(_("Unknown scale."))]})
    if not demo_database_is_empty():
        raise Conflict(_("The database already holds organizations; demo data loads only into an empty database."))
    total = cadres if cadres is not None else (COUNTY_CADRES if scale == "county" else PROVINCE_CADRES)
    if total < 100:
        raise ValidationFailed(_("Some fields are not valid."), detail={"cadres": [str(_("At least 100 cadres."))]})
    began = time.monotonic()
    say = progress or (lambda _message: None)
    report = BuildReport(seed=seed, scale=scale)
    b = _Builder(seed=seed, scale=scale, progress=say, report=report)
    rng = random.Random(seed)

    province = _tree(
        Organization(code=D.PROVINCE[0], name=D.PROVINCE[1], parent=None, level=L.PROVINCE, kind=K.PARTY_COMMITTEE)
    )
    _bulk(Organization, [province])
    _audit("organizations", province.audit_partition, _rows("organizations", [province]), seed)

    layout = _city_layout(scale, total)
    city_names: set[str] = {D.FIRST_CITY}
    county_names: set[str] = {D.FIRST_COUNTY}
    cities: list[Organization] = []
    for i in range(len(layout)):
        name = D.FIRST_CITY if i == 0 else _unique_name(rng, D.CITY_SYLLABLES, "市", city_names)
        cities.append(
            _tree(
                Organization(
                    code=f"{D.FIRST_CITY_CODE + i}00", name=name, parent=province, level=L.CITY, kind=K.PARTY_COMMITTEE
                )
            )
        )
    _bulk(Organization, cities)
    for city in cities:
        _audit("organizations", city.audit_partition, _rows("organizations", [city]), seed)
    report.organizations += 1 + len(cities)

    county_sizes = _allocate(total, [1.0] * sum(layout))
    done = 0
    first_plan: CountyPlan | None = None
    for city, count in zip(cities, layout, strict=True):
        codes = [f"{city.code[:4]}{21 + j:02d}" for j in range(count)]
        for j, code in enumerate(codes):
            name = D.FIRST_COUNTY if done == 0 else _unique_name(rng, D.COUNTY_SYLLABLES, "县", county_names)
            neighbours = [c for c in (*codes, f"{city.code[:4]}02", f"{city.code[:4]}81") if c != code]
            county_rng = random.Random(f"{seed}/{code}")
            plan = _plan_county(
                county_rng, city=city, code=code, name=name, cadres=county_sizes[done], neighbours=neighbours
            )
            _write_county(b, county_rng, plan)
            first_plan = first_plan or plan
            done += 1
            if scale == "province" or j == 0:
                say(
                    f"county {done}/{len(county_sizes)} {name} ({code}): {report.cadres:,} cadres, "
                    f"{report.tenures:,} tenures, {time.monotonic() - began:.1f} s"
                )
    assert first_plan is not None
    _create_users(b, random.Random(f"{seed}/users"), province, cities[0], first_plan)
    if archive:  # a year of the performance archive for the demo county, through the archive's services
        units = {slug: first_plan.unit(slug).org for slug in ("jyj", "nyncj", "town04")}
        made = demo_archive_build(seed=seed, county=first_plan.org, units=units)
        report.archive_entries = made.entries
        say(f"archive: {made.entries} entries, {made.verified} verified, {made.flagged} flagged")
        cleared = demo_clearing_build(county=first_plan.org, units=units)
        say(f"name clearing: {cleared.cases} cases, {cleared.cleared} cleared")
        tolerance = demo_tolerance_build(county=first_plan.org, units=units)
        say(f"tolerance: {tolerance.cases} cases in every state")
    report.seconds = time.monotonic() - began
    return report


@dataclass(frozen=True)
class DemoLogin:
    username: str
    roles: list[str]  # Role values
    organization: str
    password: str


def demo_logins() -> list[DemoLogin]:
    """The demo users that exist, in a fixed order, with their roles and where they hold them."""
    wanted = [u.username for u in DEMO_USERS]
    users = {u.username: u for u in User.objects.filter(username__in=wanted).select_related("cadre__org")}
    grants: dict[int, list[RoleGrant]] = {}
    for grant in RoleGrant.objects.filter(user__in=users.values(), revoked_at__isnull=True).select_related(
        "organization"
    ):
        grants.setdefault(grant.user_id, []).append(grant)
    out = []
    for username in wanted:
        user = users.get(username)
        if user is None:
            continue
        held = sorted(grants.get(user.pk, []), key=lambda g: g.pk)
        roles = [g.role for g in held] + ([Role.CADRE.value] if user.cadre_id else [])
        orgs = [g.organization.name for g in held] or ([user.cadre.org.name] if user.cadre else [])
        out.append(DemoLogin(username=username, roles=roles, organization=", ".join(orgs), password=DEMO_PASSWORD))
    return out


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "BuildReport", "demo_build", "demo_database_is_empty", "demo_logins"]
