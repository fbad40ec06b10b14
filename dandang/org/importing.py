"""Roster import (issue 2, point 9): organizations, posts, cadres and tenures from .xlsx or .csv.

DESIGN.md "Nothing lost on bad input": every row is validated first and every error is reported
with sheet, row, column and reason; a file with any error changes nothing.  Only a file without a
single error is written — in one transaction, with set-based bulk inserts, and with one audit event
per county-level partition carrying a digest of the rows written there ("a bulk job writes one
event with a digest of its rows").

The work runs in three steps:

1. *read* — the file becomes :class:`Table` objects (sheet name, header row, data rows); a file that
   cannot be read at all raises :class:`ValidationFailed`;
2. *check* — cell by cell (types, choices, dates), then across rows and against the database
   (duplicates, references, tree levels, GB 11643 check digits, overlapping tenures, the
   importer's jurisdiction); every problem becomes a :class:`RowError`;
3. *write* — only with zero errors.

Existing rows are never updated: an organization code or ID number already registered is an
error.  Tenures may be added to cadres already registered (a tenures .csv on its own refers to
them); their current placement is then recomputed as :func:`services.tenure_start` does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.core import tabular
from dandang.core.audit import audit_bulk
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.tabular import (
    DATE_HELP,
    Column,
    ImportResult,
    RowError,
    SheetSpec,
    Table,
    choice_vocabulary,
    chunks,
    max_rows,
)
from dandang.org import services
from dandang.org.models import Cadre, Organization, Post, Tenure, User
from dandang.org.roles import Cap, roles_with
from dandang.org.selectors import has_any_capability, has_capability, viewer_grants

# Reading the file, the cell readers and the error records are shared with the other imports
# (dandang.core.tabular); this module holds the roster's format, its checks and its writes.
__all__ = ["KINDS", "SPECS", "ImportResult", "RowError", "roster_import", "roster_template_csv", "roster_template_xlsx"]

KINDS = ("organizations", "posts", "cadres", "tenures")
_BATCH = 1000

# --- the file format -----------------------------------------------------------------------
#
# Headers are bilingual in the template ("code 编码"); a header matches when any of its words is the
# English key or the Chinese name.  The Chinese names and the input aliases below are part of the
# file format (what people type in a county's spreadsheets), not interface text.


_DATE_HELP = DATE_HELP


SPECS: dict[str, SheetSpec] = {
    "organizations": SheetSpec(
        "organizations",
        "组织",
        ("organization", "orgs", "单位", "机构"),
        (
            Column("code", "编码", True, _("Unique code of the organization, without “/”.")),
            Column("name", "名称", True, _("Full name.")),
            Column(
                "parent_code",
                "上级编码",
                False,
                _("Code of the parent organization, in this file or already registered; empty for a top level."),
            ),
            Column("level", "层级", True, _("Level of the organization."), "level"),
            Column("kind", "类别", True, _("Kind of organization."), "kind"),
            Column("staff_size", "编制数", False, _("Authorized staff size, a whole number (default 0).")),
            Column("sector", "行业", False, _("Sector, free text.")),
        ),
    ),
    "posts": SheetSpec(
        "posts",
        "职务",
        ("post", "岗位"),
        (
            Column("post_key", "职务键", True, _("A key of your choice, unique in the file; tenures refer to it.")),
            Column(
                "organization_code",
                "组织编码",
                True,
                _("Code of the organization, in this file or already registered."),
            ),
            Column("title", "职务名称", True, _("Title of the post.")),
            Column("is_leading", "领导职务", False, _("Leading post?"), "bool"),
            Column("rank", "职级", False, _("Rank, free text.")),
            Column("is_hardship", "艰苦岗位", False, _("Hardship post?"), "bool"),
        ),
    ),
    "cadres": SheetSpec(
        "cadres",
        "干部",
        ("cadre", "人员"),
        (
            Column("id_number", "身份证号", True, _("National ID number, 18 characters; store it as text.")),
            Column("name", "姓名", True, _("Full name.")),
            Column("gender", "性别", True, _("Gender."), "gender"),
            Column("birth_date", "出生日期", True, _DATE_HELP),
            Column("ethnicity", "民族", True, _("Ethnic group, e.g. 汉族.")),
            Column("education", "学历", True, _("Highest education."), "education"),
            Column("party_join_date", "入党时间", False, _DATE_HELP),
            Column(
                "organization_code",
                "组织编码",
                True,
                _("Code of the organization holding the dossier when the cadre has no tenure."),
            ),
        ),
    ),
    "tenures": SheetSpec(
        "tenures",
        "任职",
        ("tenure", "任职经历", "履历"),
        (
            Column(
                "id_number",
                "身份证号",
                True,
                _("National ID number of the cadre, in this file or already registered."),
            ),
            Column("post_key", "职务键", False, _("Key of the post in the posts sheet of this file.")),
            Column(
                "organization_code",
                "组织编码",
                False,
                _("Without a post key: the code of the organization of the post."),
            ),
            Column("post_title", "职务名称", False, _("Without a post key: the title of the post.")),
            Column("start", "任职日期", True, _DATE_HELP),
            Column("end", "免职日期", False, _("Empty while the cadre holds the post.")),
            Column("start_reason", "任职原因", True, _("Reason for taking the post."), "reason"),
            Column(
                "end_reason", "免职原因", False, _("Reason for leaving the post; required with an end date."), "reason"
            ),
        ),
    ),
}

# Words people type for the choices, besides the English key and the labels in every language.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "level": {
        "province": ("省", "省级"),
        "city": ("市", "市级", "地市"),
        "county": ("县", "县级", "区", "县（市、区）"),
        "township": ("乡镇", "乡", "镇", "街道", "乡镇（街道）"),
        "village": ("村", "社区", "村（社区）"),
    },
    "kind": {
        "party_committee": ("党委", "党委部门", "党委机关"),
        "government_department": ("政府部门", "政府工作部门", "部门"),
        "township": ("乡镇", "乡镇（街道）", "街道"),
        "public_institution": ("事业单位",),
        "state_enterprise": ("国有企业", "国企"),
        "village": ("村", "社区", "村（社区）"),
    },
    "gender": {"male": ("男", "m"), "female": ("女", "f")},
    "education": {
        "secondary": ("中专", "高中", "中专及以下", "高中及以下"),
        "college": ("大专", "专科", "大学专科"),
        "bachelor": ("本科", "大学本科", "大学"),
        "master": ("硕士", "硕士研究生", "研究生"),
        "doctorate": ("博士", "博士研究生"),
    },
    "reason": {
        "appointment": ("任命", "任职", "聘任"),
        "transfer": ("调任", "调动", "交流", "转任"),
        "promotion": ("提拔", "晋升", "提任"),
        "rank_promotion": ("职级晋升", "晋升职级"),
        "adjustment": ("调整", "岗位调整"),
        "secondment": ("挂职", "借调"),
        "retirement": ("退休",),
        "resignation": ("辞职",),
        "removal": ("免职", "撤职"),
        "other": ("其他",),
    },
}
_CHOICES: dict[str, type[models.TextChoices]] = {
    "level": Organization.Level,
    "kind": Organization.Kind,
    "gender": Cadre.Gender,
    "education": Cadre.Education,
    "reason": Tenure.Reason,
}


def _vocabulary(name: str) -> dict[str, str]:
    """Every accepted spelling of a choice (normalized) → its key."""
    return choice_vocabulary(_CHOICES[name], _ALIASES.get(name, {}))


def allowed_values(vocabulary: str) -> list[str]:
    """What the template offers for a choice column: the first Chinese alias and the key."""
    if vocabulary == "bool":
        return ["是", "否", "yes", "no"]
    keys = list(_CHOICES[vocabulary].values)
    return [_ALIASES[vocabulary][k][0] for k in keys] + keys


def sheet_kind(name: str) -> str | None:
    """The kind a sheet (or the ``sheet`` option) names: "cadres", "干部", "cadres 干部" → "cadres"."""
    return tabular.sheet_kind(name, SPECS)


def column_header(kind: str, key: str) -> str:
    """The bilingual header of a column ("birth_date 出生日期"), or ``key`` when it is not one."""
    spec = SPECS.get(kind)
    if spec is None:
        return key
    return next((c.header for c in spec.columns if c.key == key), key)


# --- step 2: check, cell by cell -----------------------------------------------------------


class _Rows(tabular.Rows):
    """The shared cell readers, with the roster's choice lists and the national ID number."""

    def choice(  # type: ignore[override]
        self, row: int, key: str, raw: Any, vocabularies: dict[str, dict[str, str]]
    ) -> str | None:
        vocabulary = self.spec.column(key).vocabulary
        return super().choice(row, key, raw, vocabularies[vocabulary], allowed_values(vocabulary))

    def id_number(self, row: int, key: str, raw: Any) -> str | None:
        if raw is None:
            if self.needs(key):
                self.error(row, key, _("This field is required."))
            return None
        if isinstance(raw, float) or (isinstance(raw, int) and len(str(raw)) != 18):
            # Excel keeps 15 significant digits: a number cell has lost the last ones.
            self.error(
                row, key, _("The ID number is stored as a number and has lost digits: format the column as text.")
            )
            return None
        value = str(raw).strip().upper()
        problem = services.id_number_problem(value)
        if problem is not None:
            self.error(row, key, problem)
            return None
        return value


# --- step 2: check, across rows and against the database ----------------------------------


@dataclass
class _OrgRow:
    row: int
    code: str | None
    name: str | None
    parent_code: str | None
    level: str | None
    kind: str | None
    staff_size: int | None
    sector: str
    instance: Organization | None = None


@dataclass
class _PostRow:
    row: int
    key: str | None
    org_code: str | None
    title: str | None
    is_leading: bool | None
    rank: str
    is_hardship: bool | None
    instance: Post | None = None


@dataclass
class _CadreRow:
    row: int
    id_number: str | None
    name: str | None
    gender: str | None
    birth_date: dt.date | None
    ethnicity: str | None
    education: str | None
    party_join_date: dt.date | None
    org_code: str | None
    instance: Cadre | None = None


@dataclass
class _TenureRow:
    row: int
    id_number: str | None
    post_key: str | None
    org_code: str | None
    post_title: str | None
    start: dt.date | None
    end: dt.date | None
    start_reason: str | None
    end_reason: str
    post: Post | None = None
    instance: Tenure | None = None


@dataclass
class _Plan:
    orgs: list[_OrgRow] = field(default_factory=list)
    posts: list[_PostRow] = field(default_factory=list)
    cadres: list[_CadreRow] = field(default_factory=list)
    tenures: list[_TenureRow] = field(default_factory=list)
    sheets: dict[str, _Rows] = field(default_factory=dict)
    # Cadres already registered that receive tenures: pk → their (new) placement.
    moved: list[Cadre] = field(default_factory=list)
    moved_from: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    registered: dict[str, Cadre] = field(default_factory=dict)


def _parse(tables: list[Table], errors: list[RowError]) -> _Plan:
    plan = _Plan()
    vocabularies = {name: _vocabulary(name) for name in _CHOICES}
    for table in tables:
        if table.kind is None:
            errors.append(
                RowError(
                    table.sheet,
                    table.header_row,
                    "",
                    _(
                        "Cannot tell what this sheet holds: name it organizations, posts, cadres or tenures, "
                        "or use the template's headers."
                    ),
                )
            )
            continue
        if table.kind in plan.sheets:
            errors.append(
                RowError(
                    table.sheet, 0, "", _("A second sheet of %(kind)s; put them in one sheet."), {"kind": table.kind}
                )
            )
            continue
        rows = _Rows(table, SPECS[table.kind], errors)
        plan.sheets[table.kind] = rows
        if table.kind == "organizations":
            for n, cell in rows:
                plan.orgs.append(
                    _OrgRow(
                        n,
                        rows.code(n, "code", cell("code"), Organization, "code"),
                        rows.text(n, "name", cell("name"), Organization, "name"),
                        rows.code(n, "parent_code", cell("parent_code"), Organization, "code"),
                        rows.choice(n, "level", cell("level"), vocabularies),
                        rows.choice(n, "kind", cell("kind"), vocabularies),
                        rows.integer(n, "staff_size", cell("staff_size"), 0),
                        rows.text(n, "sector", cell("sector"), Organization, "sector") or "",
                    )
                )
        elif table.kind == "posts":
            for n, cell in rows:
                plan.posts.append(
                    _PostRow(
                        n,
                        rows.code(n, "post_key", cell("post_key"), Post, "title"),
                        rows.code(n, "organization_code", cell("organization_code"), Organization, "code"),
                        rows.text(n, "title", cell("title"), Post, "title"),
                        rows.boolean(n, "is_leading", cell("is_leading")),
                        rows.text(n, "rank", cell("rank"), Post, "rank") or "",
                        rows.boolean(n, "is_hardship", cell("is_hardship")),
                    )
                )
        elif table.kind == "cadres":
            for n, cell in rows:
                plan.cadres.append(
                    _CadreRow(
                        n,
                        rows.id_number(n, "id_number", cell("id_number")),
                        rows.text(n, "name", cell("name"), Cadre, "name"),
                        rows.choice(n, "gender", cell("gender"), vocabularies),
                        rows.date(n, "birth_date", cell("birth_date")),
                        rows.text(n, "ethnicity", cell("ethnicity"), Cadre, "ethnicity"),
                        rows.choice(n, "education", cell("education"), vocabularies),
                        rows.date(n, "party_join_date", cell("party_join_date")),
                        rows.code(n, "organization_code", cell("organization_code"), Organization, "code"),
                    )
                )
        else:
            if "post_key" not in rows.index and not {"organization_code", "post_title"} <= set(rows.index):
                rows.error(table.header_row, "post_key", _("This column is missing."))
            for n, cell in rows:
                end_raw = cell("end")
                t = _TenureRow(
                    n,
                    rows.id_number(n, "id_number", cell("id_number")),
                    rows.code(n, "post_key", cell("post_key"), Post, "title"),
                    rows.code(n, "organization_code", cell("organization_code"), Organization, "code"),
                    rows.text(n, "post_title", cell("post_title"), Post, "title"),
                    rows.date(n, "start", cell("start")),
                    rows.date(n, "end", end_raw),
                    rows.choice(n, "start_reason", cell("start_reason"), vocabularies),
                    rows.choice(n, "end_reason", cell("end_reason"), vocabularies) or "",
                )
                if end_raw is not None and t.end is None:
                    t.end = dt.date.min  # unreadable end date: reported; keep the row out of overlap checks
                plan.tenures.append(t)
    return plan


def _orgs_by_code(codes: set[str]) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    for chunk in chunks(sorted(codes)):
        found.update({o.code: o for o in Organization.objects.filter(code__in=chunk)})
    return found


# A tenure's period and its row in the file (None: already recorded).
_Span = tuple[dt.date, dt.date | None, int | None]


class _Checker:
    def __init__(self, plan: _Plan, actor: User | None) -> None:
        self.plan, self.actor = plan, actor
        self.file_orgs: dict[str, _OrgRow] = {}
        self.db_orgs: dict[str, Organization] = {}

    def allowed(self, org: Organization) -> bool:
        return self.actor is None or has_capability(self.actor, Cap.ROSTER_IMPORT, org)

    def error(self, kind: str, line: int, column: str, message: Promise, **params: Any) -> None:
        self.plan.sheets[kind].error(line, column, message, **params)

    def run(self) -> None:
        plan = self.plan
        codes = {r.code for r in plan.orgs if r.code} | {r.parent_code for r in plan.orgs if r.parent_code}
        codes |= {r.org_code for r in plan.posts if r.org_code} | {r.org_code for r in plan.cadres if r.org_code}
        codes |= {r.org_code for r in plan.tenures if r.org_code}
        self.db_orgs = _orgs_by_code(codes)
        self.check_orgs()
        self.check_posts()
        self.check_cadres()
        self.check_tenures()

    # An organization a row names: one in this file (its instance is None when its own row is
    # wrong) or one already registered within the importer's reach.  One outside is reported like
    # an unknown code, so that the file reveals nothing beyond the jurisdiction.
    def org_for(self, code: str) -> tuple[Organization | None, bool]:
        if code in self.file_orgs:
            return self.file_orgs[code].instance, True
        db = self.db_orgs.get(code)
        if db is not None and self.allowed(db):
            return db, True
        return None, False

    def check_orgs(self) -> None:
        for r in self.plan.orgs:
            if r.code is None:
                continue
            if r.code in self.file_orgs:
                self.error(
                    "organizations",
                    r.row,
                    "code",
                    _("The code %(code)s is also in row %(row)s."),
                    code=r.code,
                    row=self.file_orgs[r.code].row,
                )
            elif r.code in self.db_orgs:
                # Reported here; rows beneath it then hang under the registered organization.
                self.error(
                    "organizations",
                    r.row,
                    "code",
                    _("An organization with the code %(code)s already exists."),
                    code=r.code,
                )
            else:
                self.file_orgs[r.code] = r
        # Place parents before children, whatever the order of the rows: walk up each row's chain
        # of parents in the file, then place the chain from the top down.
        placed: set[str] = set()
        for r in self.plan.orgs:
            if r.code is None or self.file_orgs.get(r.code) is not r:
                continue
            chain: list[_OrgRow] = []
            on_chain: set[str] = set()
            current: _OrgRow | None = r
            while current is not None and current.code is not None and current.code not in placed:
                if current.code in on_chain:
                    for looped in chain[[x.code for x in chain].index(current.code) :]:
                        self.error("organizations", looped.row, "parent_code", _("The parent codes form a loop."))
                        placed.add(looped.code or "")
                    break
                on_chain.add(current.code)
                chain.append(current)
                parent_code = current.parent_code
                current = self.file_orgs.get(parent_code) if parent_code and parent_code != current.code else None
            for row in reversed(chain):
                if row.code is not None and row.code not in placed:
                    placed.add(row.code)
                    self.place_org(row)

    def place_org(self, r: _OrgRow) -> None:
        """Check one organization row whose parent row in the file (if any) is already placed."""
        assert r.code is not None
        parent: Organization | None = None
        ok = r.code not in self.db_orgs
        if r.parent_code is None:
            if self.actor is not None:
                self.error(
                    "organizations", r.row, "parent_code", _("Only the system can create a top-level organization.")
                )
                ok = False
        elif r.parent_code == r.code:
            self.error("organizations", r.row, "parent_code", _("An organization cannot be its own parent."))
            ok = False
        else:
            parent, found = self.org_for(r.parent_code)
            if not found:
                self.error(
                    "organizations",
                    r.row,
                    "parent_code",
                    _("No organization with the code %(code)s in this file or within your jurisdiction."),
                    code=r.parent_code,
                )
            ok = ok and parent is not None
        if not ok or r.name is None or r.level is None or r.kind is None or r.staff_size is None:
            return
        problem = services.organization_tree_problem(code=r.code, level=r.level, parent=parent)
        if problem is not None:
            self.error("organizations", r.row, problem[0], problem[1])
            return
        path, depth, partition = services.organization_tree_fields(code=r.code, level=r.level, parent=parent)
        if len(path) > (Organization._meta.get_field("path").max_length or 0):
            self.error("organizations", r.row, "parent_code", _("The tree is too deep here."))
            return
        r.instance = Organization(
            code=r.code,
            name=r.name,
            parent=parent,
            level=r.level,
            kind=r.kind,
            staff_size=r.staff_size,
            sector=r.sector,
            path=path,
            depth=depth,
            audit_partition=partition,
        )

    def check_posts(self) -> None:
        keys: dict[str, int] = {}
        for r in self.plan.posts:
            if r.key is not None:
                if r.key in keys:
                    self.error(
                        "posts",
                        r.row,
                        "post_key",
                        _("The key %(key)s is also in row %(row)s."),
                        key=r.key,
                        row=keys[r.key],
                    )
                else:
                    keys[r.key] = r.row
            if r.org_code is None:
                continue
            org, found = self.org_for(r.org_code)
            if not found:
                self.error(
                    "posts",
                    r.row,
                    "organization_code",
                    _("No organization with the code %(code)s in this file or within your jurisdiction."),
                    code=r.org_code,
                )
            elif org is not None and r.title is not None and r.is_leading is not None and r.is_hardship is not None:
                r.instance = Post(
                    organization=org, title=r.title, is_leading=r.is_leading, rank=r.rank, is_hardship=r.is_hardship
                )

    def check_cadres(self) -> None:
        seen: dict[str, int] = {}
        registered = _registered_ids({r.id_number for r in self.plan.cadres if r.id_number})
        for r in self.plan.cadres:
            if r.id_number is not None:
                if r.id_number in seen:
                    self.error(
                        "cadres", r.row, "id_number", _("This ID number is also in row %(row)s."), row=seen[r.id_number]
                    )
                    r.id_number = None
                else:
                    seen[r.id_number] = r.row
                    if r.id_number in registered:
                        self.error(
                            "cadres",
                            r.row,
                            "id_number",
                            _("A cadre with this national ID number is already registered."),
                        )
            if r.id_number and r.birth_date and r.id_number[6:14] != r.birth_date.strftime("%Y%m%d"):
                self.error("cadres", r.row, "birth_date", _("The birth date does not match the national ID number."))
            if r.birth_date and r.birth_date > dt.date.today():
                self.error("cadres", r.row, "birth_date", _("The birth date is in the future."))
            if r.birth_date and r.party_join_date and r.party_join_date < r.birth_date:
                self.error("cadres", r.row, "party_join_date", _("Party membership cannot begin before birth."))
            org: Organization | None = None
            if r.org_code is not None:
                org, found = self.org_for(r.org_code)
                if not found:
                    self.error(
                        "cadres",
                        r.row,
                        "organization_code",
                        _("No organization with the code %(code)s in this file or within your jurisdiction."),
                        code=r.org_code,
                    )
            if (
                r.id_number is None
                or r.name is None
                or r.gender is None
                or r.birth_date is None
                or r.ethnicity is None
                or r.education is None
                or org is None
            ):
                continue
            full, initials = services.pinyin_of(r.name)
            r.instance = Cadre(
                id_number=r.id_number,
                name=r.name,
                name_pinyin=full,
                name_initials=initials,
                gender=r.gender,
                birth_date=r.birth_date,
                ethnicity=r.ethnicity,
                education=r.education,
                party_join_date=r.party_join_date,
                org=org,
                org_path=org.path,
            )

    def check_tenures(self) -> None:
        plan = self.plan
        if not plan.tenures:
            return
        file_cadres = {r.id_number: r for r in plan.cadres if r.id_number}
        file_posts = {r.key: r for r in plan.posts if r.key}
        by_org_title: dict[tuple[str, str], list[Post | None]] = defaultdict(list)
        for p in plan.posts:
            if p.org_code and p.title:
                by_org_title[(p.org_code, p.title)].append(p.instance)
        wanted_titles = {
            (t.org_code, t.post_title)
            for t in plan.tenures
            if not t.post_key and t.org_code is not None and t.post_title is not None
        }
        for post in _posts_by_org_title(wanted_titles):
            if self.allowed(post.organization):
                by_org_title[(post.organization.code, post.title)].append(post)
        outside_ids = {t.id_number for t in plan.tenures if t.id_number and t.id_number not in file_cadres}
        db_cadres = {c.id_number: c for c in _cadres_by_id(outside_ids) if self.allowed(c.org)}
        db_tenures = _tenures_of([c.pk for c in db_cadres.values()])

        periods: dict[str, list[_Span]] = defaultdict(list)
        for number, cadre in db_cadres.items():
            for recorded in db_tenures.get(cadre.pk, []):
                periods[number].append((recorded.start, recorded.end, None))
        for t in plan.tenures:
            if t.start and t.end and t.end != dt.date.min and t.end < t.start:
                self.error("tenures", t.row, "end", _("A tenure cannot end before it starts."))
                t.end = dt.date.min
            if t.end and t.end != dt.date.min and not t.end_reason:
                self.error("tenures", t.row, "end_reason", _("Say why the tenure ended."))
            if t.id_number is not None and t.id_number not in file_cadres and t.id_number not in db_cadres:
                self.error(
                    "tenures",
                    t.row,
                    "id_number",
                    _("No cadre with this ID number in this file or within your jurisdiction."),
                )
            t.post = self.tenure_post(t, file_posts, by_org_title)
            if t.id_number and t.start and t.end != dt.date.min:
                periods[t.id_number].append((t.start, t.end, t.row))
        for spans in periods.values():
            spans.sort(key=lambda s: (s[0], s[2] or 0))
            reach: _Span | None = None
            for span in spans:
                if reach is not None and (reach[1] is None or span[0] <= reach[1]):
                    self.overlap(span, reach)
                if reach is None or (reach[1] is not None and (span[1] is None or span[1] > reach[1])):
                    reach = span
        self.plan.registered = db_cadres
        self.plan_placements(db_cadres, db_tenures, file_cadres)

    def overlap(
        self,
        one: _Span,
        other: _Span,
    ) -> None:
        """Report two overlapping periods on the file row (the later one when both are rows)."""
        if one[2] is None:
            one, other = other, one
        if one[2] is None:
            return  # both already recorded: not this file's doing
        if other[2] is None:
            self.error(
                "tenures",
                one[2],
                "start",
                _("Overlaps the tenure from %(start)s already recorded for this cadre."),
                start=other[0].isoformat(),
            )
        else:
            self.error("tenures", one[2], "start", _("Overlaps the tenure in row %(row)s."), row=other[2])

    def tenure_post(
        self, t: _TenureRow, file_posts: dict[str, _PostRow], by_org_title: dict[tuple[str, str], list[Post | None]]
    ) -> Post | None:
        if t.post_key:
            if t.post_key not in file_posts:
                self.error(
                    "tenures", t.row, "post_key", _("No post with the key %(key)s in the posts sheet."), key=t.post_key
                )
                return None
            return file_posts[t.post_key].instance
        if not t.org_code or not t.post_title:
            if t.org_code or t.post_title or "post_key" in self.plan.sheets["tenures"].index:
                self.error(
                    "tenures", t.row, "post_key", _("Give the post key, or the organization code and the post title.")
                )
            return None
        candidates = by_org_title.get((t.org_code, t.post_title), [])
        if not candidates:
            self.error(
                "tenures",
                t.row,
                "post_title",
                _("No post “%(title)s” in the organization %(code)s within your jurisdiction."),
                title=t.post_title,
                code=t.org_code,
            )
            return None
        if len(candidates) > 1:
            self.error("tenures", t.row, "post_title", _("Several posts have this title here: use a post key."))
            return None
        return candidates[0]

    def plan_placements(
        self, db_cadres: dict[str, Cadre], db_tenures: dict[int, list[Tenure]], file_cadres: dict[str, _CadreRow]
    ) -> None:
        """A cadre's organization and current post follow their open tenure that started last, or
        the last tenure they served when none is open (as ``services._refresh_cadre_placement``)."""
        new: dict[str, list[tuple[dt.date, dt.date | None, Post]]] = defaultdict(list)
        for t in self.plan.tenures:
            if t.id_number and t.start and t.post is not None and t.end != dt.date.min:
                new[t.id_number].append((t.start, t.end, t.post))
        for number, spans in new.items():
            if number in file_cadres:
                cadre = file_cadres[number].instance
                if cadre is not None:
                    _place(cadre, spans)
            elif number in db_cadres:
                cadre = db_cadres[number]
                before = (cadre.org_id, cadre.post_id)
                old = [(t.start, t.end, t.post) for t in db_tenures.get(cadre.pk, [])]
                _place(cadre, old + spans)
                post = cadre.post
                post_pk = post.pk if post is not None else None
                unsaved = cadre.org.pk is None or (post is not None and post_pk is None)
                if unsaved or (cadre.org.pk, post_pk) != before:
                    self.plan.moved.append(cadre)
                    self.plan.moved_from[cadre.pk] = before


def _place(cadre: Cadre, spans: list[tuple[dt.date, dt.date | None, Post]]) -> None:
    open_ = [s for s in spans if s[1] is None]
    if open_:
        post: Post | None = max(open_, key=lambda s: s[0])[2]
        org = post.organization if post is not None else None
    else:
        last = max(spans, key=lambda s: s[1] or dt.date.max)
        post, org = None, last[2].organization
    if org is None:
        return
    cadre.org = org
    cadre.org_path = org.path
    cadre.post = post


def _registered_ids(numbers: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(sorted(numbers)):
        found.update(Cadre.objects.filter(id_number__in=chunk).values_list("id_number", flat=True))
    return found


def _cadres_by_id(numbers: set[str]) -> list[Cadre]:
    out: list[Cadre] = []
    for chunk in chunks(sorted(numbers)):
        out.extend(Cadre.objects.filter(id_number__in=chunk).select_related("org", "post"))
    return out


def _tenures_of(cadre_ids: list[int]) -> dict[int, list[Tenure]]:
    out: dict[int, list[Tenure]] = defaultdict(list)
    for chunk in chunks(sorted(cadre_ids)):
        for t in Tenure.objects.filter(cadre_id__in=chunk).select_related("post__organization").order_by("start", "id"):
            out[t.cadre_id].append(t)
    return out


def _posts_by_org_title(pairs: set[tuple[str, str]]) -> list[Post]:
    codes = {c for c, _t in pairs if c}
    titles = {t for _c, t in pairs if t}
    out: list[Post] = []
    for chunk in chunks(sorted(codes)):
        qs = Post.objects.filter(organization__code__in=chunk, title__in=titles).select_related("organization")
        out.extend(p for p in qs if (p.organization.code, p.title) in pairs)
    return out


# --- step 3: write -------------------------------------------------------------------------


def digest_row(obj: models.Model) -> dict[str, Any]:
    """What the audit digest records of a written row (the same function rebuilds it from the
    database to check an event)."""
    if isinstance(obj, Organization):
        return {
            "type": "organization",
            "id": obj.pk,
            "code": obj.code,
            "name": obj.name,
            "parent": obj.parent_id,
            "path": obj.path,
            "level": obj.level,
            "kind": obj.kind,
            "staff_size": obj.staff_size,
            "sector": obj.sector,
        }
    if isinstance(obj, Post):
        return {
            "type": "post",
            "id": obj.pk,
            "organization": obj.organization_id,
            "title": obj.title,
            "is_leading": obj.is_leading,
            "rank": obj.rank,
            "is_hardship": obj.is_hardship,
        }
    if isinstance(obj, Cadre):
        return {
            "type": "cadre",
            "id": obj.pk,
            "id_number": obj.id_number,
            "name": obj.name,
            "gender": obj.gender,
            "birth_date": obj.birth_date,
            "ethnicity": obj.ethnicity,
            "education": obj.education,
            "party_join_date": obj.party_join_date,
            "org": obj.org_id,
            "post": obj.post_id,
        }
    if isinstance(obj, Tenure):
        return {
            "type": "tenure",
            "id": obj.pk,
            "cadre": obj.cadre_id,
            "post": obj.post_id,
            "start": obj.start,
            "end": obj.end,
            "start_reason": obj.start_reason,
            "end_reason": obj.end_reason,
        }
    raise TypeError(type(obj))


_ROW_ORDER = {"organization": 0, "post": 1, "cadre": 2, "tenure": 3, "cadre.placement": 4}


def digest_sort_key(row: dict[str, Any]) -> tuple[int, int]:
    return _ROW_ORDER[row["type"]], row["id"]


def _bulk(model: type[models.Model], objs: list[Any]) -> None:
    if objs:
        model._default_manager.bulk_create(objs, batch_size=_BATCH)


@transaction.atomic
def _write(plan: _Plan, *, actor: User | None, filename: str) -> dict[str, int]:
    orgs = [r.instance for r in plan.orgs if r.instance is not None]
    # Parents first: each generation is inserted once the one above has its keys.
    for depth in sorted({o.depth for o in orgs}):
        _bulk(Organization, [o for o in orgs if o.depth == depth])
    posts = [r.instance for r in plan.posts if r.instance is not None]
    _bulk(Post, posts)
    cadres = [r.instance for r in plan.cadres if r.instance is not None]
    _bulk(Cadre, cadres)
    by_number = plan.registered | {c.id_number: c for c in cadres}
    tenures: list[Tenure] = []
    for t in plan.tenures:
        assert t.id_number and t.start and t.start_reason and t.post is not None
        tenures.append(
            Tenure(
                cadre=by_number[t.id_number],
                post=t.post,
                start=t.start,
                end=t.end,
                start_reason=t.start_reason,
                end_reason=t.end_reason,
            )
        )
    _bulk(Tenure, tenures)
    if plan.moved:
        Cadre.objects.bulk_update(plan.moved, ["org", "org_path", "post"], batch_size=_BATCH)

    # One audit event per county-level partition, with a digest of the rows written there.
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    written: list[tuple[str, str, models.Model]] = [
        *(("organizations", o.audit_partition, o) for o in orgs),
        *(("posts", p.organization.audit_partition, p) for p in posts),
        *(("cadres", c.org.audit_partition, c) for c in cadres),
        *(("tenures", t.post.organization.audit_partition, t) for t in tenures),
    ]
    for kind, partition, obj in written:
        rows[partition].append(digest_row(obj))
        counts[partition][kind] += 1
    for cadre in plan.moved:
        before_org, before_post = plan.moved_from[cadre.pk]
        rows[cadre.org.audit_partition].append(
            {
                "type": "cadre.placement",
                "id": cadre.pk,
                "org": cadre.org_id,
                "post": cadre.post_id,
                "before_org": before_org,
                "before_post": before_post,
            }
        )
    for partition in sorted(rows):
        audit_bulk(
            actor=actor,
            action="roster.import",
            partition=partition,
            rows=sorted(rows[partition], key=digest_sort_key),
            after={"file": filename[-200:], "counts": counts[partition]},
        )
    return {kind: sum(c[kind] for c in counts.values()) for kind in KINDS}


# --- the service ---------------------------------------------------------------------------


def roster_import(*, actor: User | None, filename: str, data: bytes, sheet: str | None = None) -> ImportResult:
    """Import a roster file (DESIGN.md "Nothing lost on bad input").  Row errors are returned, not
    raised; a file that cannot be read raises :class:`ValidationFailed`; an actor without the roster
    import capability anywhere, :class:`PermissionDenied`.  ``actor=None`` is the system (the
    command run without ``--user``)."""
    if actor is not None and not has_any_capability(actor, Cap.ROSTER_IMPORT):
        raise PermissionDenied(_("Your role does not allow importing a roster."))
    only: str | None = None
    if sheet:
        only = sheet_kind(sheet)
        if only is None:
            message = _("Unknown kind of rows “%(sheet)s”: use organizations, posts, cadres or tenures.") % {
                "sheet": sheet
            }
            raise ValidationFailed(message, detail={"sheet": [message]})
    tables = tabular.read_tables(filename, data, SPECS, only)
    errors: list[RowError] = []
    plan = _parse(tables, errors)
    _Checker(plan, actor).run()
    if errors:
        tabular.sort_errors(errors, tables, SPECS)
        return ImportResult(errors=errors)
    try:
        counts = _write(plan, actor=actor, filename=filename)
    except IntegrityError:
        raise Conflict(_("The roster changed while the file was being checked; import it again.")) from None
    return ImportResult(counts=counts)


# --- the template --------------------------------------------------------------------------


def _example_rows(parent: Organization | None, *, for_csv: bool = False) -> dict[str, list[Any]]:
    """One example row per kind, under ``parent`` (so that the template imports as it is).  A CSV
    file holds one kind, so its tenure names the post by organization and title, not by key."""
    parent_code = parent.code if parent is not None else "330102"
    level = parent.level if parent is not None else Organization.Level.COUNTY
    code = f"{parent_code}-EX01"
    region = parent_code[:6] if parent_code[:6].isdigit() and len(parent_code) >= 6 else "330102"
    body = f"{region}19850615901"
    id_number = body + services.id_number_check_digit(body)
    level_alias = _ALIASES["level"][level][0]
    return {
        "organizations": [code, "示例单位", parent_code, level_alias, "政府部门", 12, "综合"],
        "posts": ["P1", code, "主任", "是", "正科级", "否"],
        "cadres": [id_number, "李明华", "男", dt.date(1985, 6, 15), "汉族", "大学本科", dt.date(2008, 7, 1), code],
        "tenures": [id_number, "", code, "主任", dt.date(2021, 3, 1), None, "任命", ""]
        if for_csv
        else [id_number, "P1", "", "", dt.date(2021, 3, 1), None, "任命", ""],
    }


def _notes_rows() -> list[list[str]]:
    rows: list[list[str]] = []
    for spec in SPECS.values():
        for column in spec.columns:
            with translation.override("en"):
                english = str(column.help)
            with translation.override("zh-hans"):
                chinese = str(column.help)
            allowed = "、".join(allowed_values(column.vocabulary)) if column.vocabulary else ""
            rows.append(
                [spec.title, column.header, "是 yes" if column.required else "否 no", english, chinese, allowed]
            )
    return rows


def roster_template_xlsx(*, parent: Organization | None = None) -> bytes:
    """The import template: the four sheets with bilingual headers and one example row each (under
    ``parent``, so that the template imports as it is), a notes sheet, and drop-down lists for the
    choice columns."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    examples = _example_rows(parent)
    first = True
    for spec in SPECS.values():
        ws = book.active if first else book.create_sheet()
        first = False
        assert ws is not None
        ws.title = spec.title
        ws.append([c.header for c in spec.columns])
        ws.append(examples[spec.kind])
        for position, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(position)
            ws.cell(row=1, column=position).font = Font(bold=True)
            ws.column_dimensions[letter].width = max(14, len(column.header) + 6)
            if column.key in {"code", "parent_code", "organization_code", "id_number", "post_key"}:
                # Codes and ID numbers stay text: Excel would drop leading zeros and round long numbers.
                ws.column_dimensions[letter].number_format = "@"
                ws.cell(row=2, column=position).number_format = "@"
            if column.key.endswith("date") or column.key in {"start", "end"}:
                ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
                ws.cell(row=2, column=position).number_format = "yyyy-mm-dd"
            if column.vocabulary:
                dv = DataValidation(
                    type="list",
                    formula1='"' + ",".join(allowed_values(column.vocabulary)) + '"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorStyle="warning",
                )
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{max_rows() + 1}")
        ws.freeze_panes = "A2"
    notes = book.create_sheet("notes 说明")
    notes.append(["sheet 工作表", "column 列", "required 必填", "English", "中文", "allowed 可选值"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in _notes_rows():
        notes.append(row)
    for letter, width in zip("ABCDEF", (18, 28, 14, 60, 40, 60), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_template_csv(kind: str, *, parent: Organization | None = None) -> bytes:
    """The template of one kind as CSV, UTF-8 with a byte-order mark so that Excel shows Chinese."""
    spec = SPECS[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in spec.columns])
    writer.writerow(
        [
            "" if v is None else v.isoformat() if isinstance(v, dt.date) else v
            for v in _example_rows(parent, for_csv=True)[kind]
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_parent(actor: User | None) -> Organization | None:
    """Where the template's example organization goes: the top of the actor's import jurisdiction."""
    if actor is None:
        return None
    grants = [g for g in viewer_grants(actor) if g.role in roles_with(Cap.ROSTER_IMPORT) and g.include_descendants]
    return min((g.organization for g in grants), key=lambda o: o.path, default=None)
