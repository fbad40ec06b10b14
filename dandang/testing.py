"""A small shared fixture world for tests, built through the real services (as Zulip does).

City 330100 with two counties (A: 330102, B: 330103); each county has a Party committee
organization department, a bureau, two townships and two villages per township.  Named users hold
one role each over county A (``staff_a``, ``leader_a``…) or B (``staff_b``); ``cadre_a1`` is the
login of the first cadre in county A.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dandang.org import services
from dandang.org.models import Cadre, Organization, Post, User
from dandang.org.roles import Role

L = Organization.Level
K = Organization.Kind


def make_id_number(seq: int, birth: dt.date, region: str = "330102") -> str:
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + services.id_number_check_digit(body)


@dataclass
class World:
    orgs: dict[str, Organization] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    cadres: dict[str, Cadre] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]

    def reloaded(self) -> World:
        """The same world re-read from the database, in four queries: fresh objects, so that no
        Python-side state (such as the grants cached on a user) passes from one test to the next
        when the world is built once for several tests (the ``shared_world`` fixture)."""

        def again(model: Any, objects: dict[str, Any]) -> dict[str, Any]:
            by_pk = model.objects.in_bulk([o.pk for o in objects.values()])
            return {key: by_pk[o.pk] for key, o in objects.items()}

        return World(
            orgs=again(Organization, self.orgs),
            posts=again(Post, self.posts),
            cadres=again(Cadre, self.cadres),
            users=again(User, self.users),
        )


NAMES_A = ["张伟军", "王芳", "李娜", "刘洋"]
NAMES_B = ["陈静", "杨帆"]


def build_world() -> World:
    w = World()
    city = services.organization_create(
        actor=None, code="330100", name="示范市", parent=None, level=L.CITY, kind=K.PARTY_COMMITTEE
    )
    w.orgs["city"] = city
    seq = 0
    for key, code, name, names in (("A", "330102", "甲县", NAMES_A), ("B", "330103", "乙县", NAMES_B)):
        county = services.organization_create(
            actor=None, code=code, name=name, parent=city, level=L.COUNTY, kind=K.PARTY_COMMITTEE, staff_size=40
        )
        w.orgs[key] = county
        bureau = services.organization_create(
            actor=None,
            code=f"{code}-B1",
            name=f"{name}农业农村局",
            parent=county,
            level=L.COUNTY,
            kind=K.GOVERNMENT_DEPARTMENT,
            staff_size=30,
            sector="agriculture",
        )
        w.orgs[f"{key}-bureau"] = bureau
        for t in (1, 2):
            town = services.organization_create(
                actor=None,
                code=f"{code}{t:03d}",
                name=f"{name}第{t}镇",
                parent=county,
                level=L.TOWNSHIP,
                kind=K.TOWNSHIP,
            )
            w.orgs[f"{key}-t{t}"] = town
            for v in (1, 2):
                w.orgs[f"{key}-t{t}-v{v}"] = services.organization_create(
                    actor=None,
                    code=f"{code}{t:03d}{v:03d}",
                    name=f"{name}第{t}镇第{v}村",
                    parent=town,
                    level=L.VILLAGE,
                    kind=K.VILLAGE,
                )
        head = services.post_create(actor=None, organization=bureau, title="局长", is_leading=True, rank="正科级")
        clerk = services.post_create(actor=None, organization=bureau, title="科员", rank="一级科员")
        town_post = services.post_create(
            actor=None,
            organization=w.orgs[f"{key}-t1"],
            title="副镇长",
            is_leading=True,
            rank="副科级",
            is_hardship=True,
        )
        w.posts[f"{key}-head"], w.posts[f"{key}-clerk"], w.posts[f"{key}-town"] = head, clerk, town_post
        for i, name_ in enumerate(names, start=1):
            seq += 1
            birth = dt.date(1975 + i, i, 10 + i)
            cadre = services.cadre_create(
                actor=None,
                name=name_,
                gender=Cadre.Gender.MALE if i % 2 else Cadre.Gender.FEMALE,
                birth_date=birth,
                ethnicity="汉族",
                education=Cadre.Education.BACHELOR,
                id_number=make_id_number(seq, birth, code),
                organization=bureau,
                party_join_date=dt.date(2000 + i, 7, 1),
            )
            post = head if i == 1 else (town_post if i == 2 else clerk)
            services.tenure_start(actor=None, cadre=cadre, post=post, start=dt.date(2018, 3, 1), reason="appointment")
            cadre.refresh_from_db()
            w.cadres[f"{key}{i}"] = cadre
    roles = {
        "staff": Role.ORG_STAFF,
        "leader": Role.UNIT_LEADER,
        "discipline": Role.DISCIPLINE,
        "county_leader": Role.COUNTY_LEADER,
        "auditor": Role.AUDITOR,
        "security": Role.SECURITY_ADMIN,
        "sysadmin": Role.SYSTEM_ADMIN,
        "reporter": Role.GRASSROOTS_REPORTER,
    }
    for key in ("A", "B"):
        for prefix, role in roles.items():
            name = f"{prefix}_{key.lower()}"
            user = services.user_create(actor=None, username=name, password="pw-" + name, display_name=name)
            org = w.orgs[f"{key}-bureau"] if role == Role.UNIT_LEADER else w.orgs[key]
            services.role_grant_create(actor=None, user=user, role=role, organization=org)
            w.users[name] = user
    # One user for each remaining role, over county A only (the jurisdiction matrix needs every role).
    roles_a = {
        "committee_a": Role.COMMITTEE_MEMBER,
        "party_office_a": Role.PARTY_OFFICE,
        "issuing_a": Role.ISSUING_DEPARTMENT,
        "commander_a": Role.TASK_COMMANDER,
        "team_a": Role.ASSESSMENT_TEAM,
        "care_a": Role.CARE_OFFICER,
        "audit_admin_a": Role.AUDIT_ADMIN,
    }
    for name, role in roles_a.items():
        user = services.user_create(actor=None, username=name, password="pw-" + name, display_name=name)
        services.role_grant_create(actor=None, user=user, role=role, organization=w.orgs["A"])
        w.users[name] = user
    w.users["staff_city"] = services.user_create(actor=None, username="staff_city", password="pw-staff_city")
    services.role_grant_create(actor=None, user=w.users["staff_city"], role=Role.ORG_STAFF, organization=city)
    w.users["cadre_a1"] = services.user_create(
        actor=None, username="cadre_a1", password="pw-cadre_a1", cadre=w.cadres["A1"]
    )
    w.users["nobody"] = services.user_create(actor=None, username="nobody", password="pw-nobody")
    return w


def pdf_fonts_and_text(pdf: bytes) -> tuple[set[str], str]:
    """The font families embedded in ``pdf`` and the characters their ToUnicode maps name (the
    text a reader can copy out).  Enough of PDF for WeasyPrint's output: compressed streams,
    hexadecimal bfchar / bfrange entries."""
    import re
    import zlib

    families: set[str] = set()
    chars: list[str] = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            data = zlib.decompressobj().decompress(pdf[match.end() :])
        except zlib.error:
            continue
        families.update(f.decode("latin-1") for f in re.findall(rb"/FontFamily \(([^)]*)\)", data))
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for _code, uni in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                chars.append(bytes.fromhex(uni.decode()).decode("utf-16-be"))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for lo, hi, uni in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                start = int(uni, 16)
                chars.extend(chr(start + i) for i in range(int(hi, 16) - int(lo, 16) + 1))
    families.update(f.decode("latin-1") for f in re.findall(rb"/FontFamily \(([^)]*)\)", pdf))
    return families, "".join(chars)


def fresh(obj: Any) -> Any:
    """The object re-read from the database (to assert that nothing changed)."""
    return type(obj).objects.get(pk=obj.pk)


def row_counts() -> dict[str, int]:
    """The number of rows of every table of every installed model, in one query — to assert that
    a refused action changed nothing."""
    from django.apps import apps
    from django.db import connection

    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed})
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {quote(t)}" for t in tables)  # noqa: S608 - table names
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


T = TypeVar("T")


def built_for_module(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """For a module-scoped fixture: what ``build`` makes, inside a transaction opened before it and
    rolled back after the module (the tests of the module run in savepoints of it)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
