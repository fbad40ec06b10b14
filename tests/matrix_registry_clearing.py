"""The jurisdiction matrix's entries for name clearing (澄清正名) and the tolerance lists page
(issue 5), merged into :mod:`tests.matrix_registry` — see its docstring for the rules.

Name-clearing cases of cadre A1 (proposed by ``staff_a``, verified by ``discipline_a``) and of
cadre B1 (``staff_b``, ``discipline_b``), one per state, made on first use in each case's
savepoint.  Cases are read by discipline inspection, the organization department and auditors;
discipline inspection verifies and decides (never the proposer); a cleared allegation is shown to
every reader of the cadre's record and to the cadre.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from dandang.org.roles import Role as R
from dandang.testing import World
from dandang.tolerance import services_clearing as clearing
from dandang.tolerance.models_clearing import NameClearingCase
from tests.matrix_registry import CADRE_AND_SELF, INSIDE, OUTSIDE, Entry, cadre, side_key

CLEARING_VIEWERS = frozenset({R.DISCIPLINE, R.ORG_STAFF, R.AUDITOR})
PROPOSERS = frozenset({R.DISCIPLINE, R.ORG_STAFF})
DISCIPLINE = frozenset({R.DISCIPLINE})


def _case_of(w: World, side: str, state: str) -> NameClearingCase:
    who = cadre(w, side)
    reference = f"MX-{state}"
    found = NameClearingCase.objects.filter(cadre=who, report_reference=reference).first()
    if found is not None:
        return found
    key = side_key(side).lower()
    case = clearing.clearing_case_open(
        actor=w.users[f"staff_{key}"],
        cadre=who,
        allegation=f"矩阵举报 {state}",
        report_reference=reference,
        triggers=["career_affected"],
    )
    if state in ("verified", "cleared"):
        case = clearing.clearing_case_verify(
            actor=w.users[f"discipline_{key}"],
            case=case,
            finding="untrue",
            summary="矩阵核查",
            verified_on=timezone.localdate(),
        )
    if state == "cleared":
        case = clearing.clearing_case_clear(
            actor=w.users[f"discipline_{key}"], case=case, publication_scope="unit", published_on=timezone.localdate()
        )
    return NameClearingCase.objects.get(pk=case.pk)


def clearing_case(state: str) -> Callable[[World, str], Any]:
    def target(w: World, side: str) -> Any:
        both = {s: _case_of(w, s, state) for s in (INSIDE, OUTSIDE)}
        return both[side]

    return target


def _open_body(w: World, c: Any) -> dict[str, Any]:
    return {"cadre_id": c.pk, "allegation": "矩阵新举报", "report_reference": "MX-new", "triggers": ["rights_harmed"]}


def _verify_body(w: World, c: Any) -> dict[str, Any]:
    return {"version": c.version, "finding": "false", "summary": "矩阵核查", "verified_on": dt.date.today().isoformat()}


def _page(allowed: frozenset[str], readers: frozenset[str], denied: int) -> Callable[[str, str], int]:
    def expect(role: str, side: str) -> int:
        if side == OUTSIDE:
            return 404
        if role in allowed:
            return 200
        return denied if role in readers else 404

    return expect


def _case_mark(c: Any) -> str:
    return f'data-case="{c.pk}"'


API: dict[str, Entry] = {
    "dandang_tolerance_api_clearing_clearing_case_list": Entry(
        "list", CLEARING_VIEWERS, target=clearing_case("opened")
    ),
    "dandang_tolerance_api_clearing_clearing_case_detail": Entry(
        "detail", CLEARING_VIEWERS, target=clearing_case("opened"), params=lambda c: {"case_id": c.pk}
    ),
    "dandang_tolerance_api_clearing_clearing_case_open": Entry(
        "write", CADRE_AND_SELF, PROPOSERS, target=cadre, body=_open_body, ok=201
    ),
    "dandang_tolerance_api_clearing_clearing_case_verify": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("opened"),
        params=lambda c: {"case_id": c.pk},
        body=_verify_body,
    ),
    "dandang_tolerance_api_clearing_clearing_case_clear": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("verified"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {
            "version": c.version,
            "publication_scope": "party_organization",
            "published_on": dt.date.today().isoformat(),
        },
    ),
    "dandang_tolerance_api_clearing_clearing_case_refuse": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("opened"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "grounds": ["not_verifiable"], "note": "矩阵"},
    ),
    "dandang_tolerance_api_clearing_cadre_cleared_allegations": Entry(
        "detail",
        CADRE_AND_SELF,
        target=cadre,
        params=lambda c: {"cadre_id": c.pk},
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
}

WEB: dict[str, Entry] = {
    "tolerance_lists:lists": Entry("page", sides=(INSIDE,)),
    "tolerance_clearing:case_list": Entry(
        "list",
        CLEARING_VIEWERS,
        target=clearing_case("opened"),
        mark=_case_mark,
        expect=lambda role, side: 200 if role in CLEARING_VIEWERS else 404,
    ),
    "tolerance_clearing:case_detail": Entry(
        "detail",
        CLEARING_VIEWERS,
        target=clearing_case("opened"),
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.allegation,
    ),
    "tolerance_clearing:case_open": Entry(
        "detail",
        CADRE_AND_SELF,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        expect=_page(PROPOSERS, CADRE_AND_SELF, 403),
    ),
    "tolerance_clearing:case_verify": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("opened"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_verify_body,
        ok=302,
    ),
    "tolerance_clearing:case_clear": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("verified"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {
            "clear-version": c.version,
            "clear-publication_scope": "unit",
            "clear-published_on": dt.date.today().isoformat(),
        },
        ok=302,
    ),
    "tolerance_clearing:case_refuse": Entry(
        "write",
        CLEARING_VIEWERS,
        DISCIPLINE,
        target=clearing_case("opened"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {"refuse-version": c.version, "refuse-grounds": ["no_trigger"], "refuse-note": "矩阵"},
        ok=302,
    ),
    "tolerance_clearing:cadre_cleared": Entry(
        "detail",
        CADRE_AND_SELF,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
}

WEB_WRITES: dict[str, Entry] = {
    "tolerance_clearing:case_open": Entry(
        "write",
        CADRE_AND_SELF,
        PROPOSERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {
            "allegation": "矩阵网页举报",
            "report_reference": "MX-web",
            "triggers": ["repeated_reports"],
        },
        ok=302,
    ),
}
