"""What the archive's pages and exports show: labels in the reader's language and the guard's flags
in words, with links to the other entries a flag names that the reader may open.

Presentation only: it reads through the viewer-scoped selectors and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.archive import formalism
from dandang.archive.flags import flag_reason
from dandang.archive.models import ArchiveEntry, ArchiveFlag
from dandang.archive.rules import ArchiveRules
from dandang.archive.selectors import entries_titled

# A short name of each flag (the reason says the rest).
FLAG_LABELS: dict[str, Promise] = {
    formalism.PROCESS_TRACE: _("Process trace, not a result"),
    formalism.NO_EVIDENCE: _("No evidence"),
    formalism.NO_METRIC: _("No measurable result"),
    formalism.NEAR_DUPLICATE: _("Near-duplicate"),
    formalism.OVER_CLAIMED: _("Over-claimed shares"),
    formalism.SHARED_EVIDENCE: _("Shared evidence file"),
}


def flag_choices() -> list[tuple[str, Any]]:
    return [(code, FLAG_LABELS[code]) for code in formalism.FLAG_CODES]


def in_language(texts: dict[str, str]) -> str:
    """The text of ``texts`` (language code → text) in the active language, else English."""
    if not texts:
        return ""
    language = (translation.get_language() or "zh-hans").lower()
    for code, text in texts.items():
        if code.lower() == language:
            return text
    for code, text in texts.items():
        if code.lower().split("-")[0] == language.split("-")[0]:
            return text
    return texts.get("en") or next(iter(texts.values()))


def kind_labels(rules: ArchiveRules) -> dict[str, str]:
    """Evidence kinds of the rulebook, code → label in the reader's language."""
    return {code: in_language(kind.label) for code, kind in rules.evidence_kinds.items()}


def kind_choices(rules: ArchiveRules) -> list[tuple[str, str]]:
    """Results first, process traces after them — the order a verifier reads them in."""
    labels = kind_labels(rules)
    kinds = sorted(rules.evidence_kinds.items(), key=lambda item: item[1].process_trace)
    return [(code, labels[code]) for code, _kind in kinds]


@dataclass(frozen=True)
class EntryLink:
    pk: int
    title: str
    cadre: str


@dataclass
class FlagView:
    code: str
    label: Any
    reason: str
    zeroes: bool  # the entry counts zero because of it
    links: list[EntryLink] = field(default_factory=list)


def _named_ids(code: str, params: dict[str, Any]) -> list[Any]:
    """The other entries a flag names (twins, co-claimants, holders of the same file)."""
    if code == formalism.SHARED_EVIDENCE:
        ids: list[Any] = []
        for item in params.get("files") or []:
            if isinstance(item, dict):
                ids.extend(item.get("entries") or [])
        return ids
    values = params.get("twins") or params.get("entries") or []
    out: list[Any] = []
    for value in values if isinstance(values, list | tuple) else []:
        out.append(value.get("id") if isinstance(value, dict) else value)
    return out


def flag_views(viewer: Any, flags: list[ArchiveFlag], rules: ArchiveRules, *, entry_id: int) -> list[FlagView]:
    """``flags`` (already limited to what the viewer may see) in words, each with links to the
    other entries it names that the viewer may open (one query for all of them)."""
    labels = kind_labels(rules)
    named = {f.pk: [i for i in _named_ids(f.code, f.params or {}) if str(i) != str(entry_id)] for f in flags}
    visible = entries_titled(viewer, [i for ids in named.values() for i in ids])
    out: list[FlagView] = []
    for f in flags:
        links: list[EntryLink] = []
        for i in named[f.pk]:
            other = visible.get(int(i)) if str(i).isdigit() else None
            if other is not None and all(link.pk != other.pk for link in links):
                links.append(EntryLink(pk=other.pk, title=other.title, cadre=other.cadre.name))
        out.append(
            FlagView(
                code=f.code,
                label=FLAG_LABELS.get(f.code, f.code),
                reason=flag_reason(f.code, f.params or {}, labels),
                zeroes=f.code in formalism.ZEROING,
                links=links,
            )
        )
    return out


def short_flags(flags: list[ArchiveFlag]) -> list[tuple[str, Any]]:
    """(code, short label) of flags, for tables."""
    return [(f.code, FLAG_LABELS.get(f.code, f.code)) for f in flags]


def entry_place(entry: ArchiveEntry) -> str:
    """Where the cadre served when it happened: organization and post."""
    post = entry.post.title if entry.post_id and entry.post is not None else ""
    return f"{entry.organization.name} {post}".strip()
