"""The guard's flags in words: each flag states its reason (issue 4, point 3), in the reader's
language, from the code and the parameters the kernel (:mod:`dandang.archive.formalism`) stored.

Shared by every interface that shows flags (the API, the pages, the exports).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from dandang.archive import formalism


def _ids(values: Any) -> str:
    if not isinstance(values, list | tuple):
        return ""
    return ", ".join(f"#{v}" for v in values if isinstance(v, int | str) and str(v).strip())


def flag_reason(code: str, params: dict[str, Any] | None, kind_labels: dict[str, str] | None = None) -> str:
    """The reason of a flag, in the active language.  ``kind_labels`` names evidence kinds (from
    the rulebook) in that language; without it the kinds are named by their codes."""
    params = params if isinstance(params, dict) else {}
    labels = kind_labels or {}
    if code == formalism.PROCESS_TRACE:
        kinds = ", ".join(labels.get(str(k), str(k)) for k in params.get("kinds") or [])
        return gettext("Process trace, not a result: the only evidence is %(kinds)s. The entry counts zero.") % {
            "kinds": kinds or "—"
        }
    if code == formalism.NO_EVIDENCE:
        return gettext("No evidence is attached: the verifier's own check is the only ground.")
    if code == formalism.NO_METRIC:
        return gettext("No measurable result: no outcome metric has an actual value.")
    if code == formalism.NEAR_DUPLICATE:
        twins = _ids(params.get("twins") or params.get("entries"))
        return gettext("The description is nearly the same as that of other cadres' entries: %(entries)s.") % {
            "entries": twins or "—"
        }
    if code == formalism.OVER_CLAIMED:
        return gettext(
            "The contribution shares claimed for this task add up to %(total)s%%, more than %(limit)s%% "
            "(entries %(entries)s)."
        ) % {
            "total": params.get("total", "?"),
            "limit": params.get("limit", "?"),
            "entries": _ids(params.get("entries")) or "—",
        }
    if code == formalism.SHARED_EVIDENCE:
        others: list[Any] = []
        for item in params.get("files") or []:
            if isinstance(item, dict):
                others.extend(item.get("entries") or [])
        return gettext("The same evidence file is attached to another cadre's entry: %(entries)s.") % {
            "entries": _ids(sorted(set(others), key=str)) or "—"
        }
    return code
