"""A cadre's archive card (实绩档案卡) as PDF (WeasyPrint, with the vendored Noto Sans SC so that
Chinese renders on any server) and as .xlsx (openpyxl), in the reader's language.

The card is read through the viewer-scoped selectors: entries the viewer may see, flags only for
those who may see flags.  Drafts and withdrawn entries are not part of the record and are left out.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dandang.archive import services
from dandang.archive.display import FLAG_LABELS, kind_labels
from dandang.archive.models import ArchiveEntry, OutcomeMetric, Status
from dandang.archive.selectors import can_view_flags, entry_flags_for, entry_list, scores_for
from dandang.core.pdf import pdf_render
from dandang.org.models import Cadre, Tenure
from dandang.org.selectors import cadre_career

LEFT_OUT = (Status.DRAFT, Status.WITHDRAWN)


@dataclass
class CardEntry:
    entry: ArchiveEntry
    metrics: list[OutcomeMetric]
    kinds: list[str]  # of the evidence, as confirmed by the verifier or else as declared
    flags: list[str]


@dataclass
class Card:
    cadre: Cadre
    career: list[Tenure]
    entries: list[CardEntry]
    scores: list[Any]
    may_see_flags: bool
    generated_at: dt.datetime
    viewer_name: str


def card_read(viewer: Any, cadre: Cadre) -> Card:
    """What the card shows (``cadre`` was read through a scoped selector)."""
    entries = list(entry_list(viewer, cadre=cadre).exclude(status__in=LEFT_OUT).prefetch_related("metrics", "evidence"))
    flags = entry_flags_for(viewer, entries)
    _book, rules = services.archive_rules(cadre.org)
    labels = kind_labels(rules)
    return Card(
        cadre=cadre,
        career=cadre_career(viewer, cadre),
        entries=[
            CardEntry(
                entry=e,
                metrics=list(e.metrics.all()),
                kinds=[labels.get(i.effective_kind, i.effective_kind) for i in e.evidence.all()],
                flags=[str(FLAG_LABELS.get(f.code, f.code)) for f in flags.get(e.pk, [])],
            )
            for e in entries
        ],
        scores=list(scores_for(viewer, cadre)),
        may_see_flags=can_view_flags(viewer, cadre),
        generated_at=timezone.localtime(),
        viewer_name=str(viewer),
    )


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def metric_text(m: OutcomeMetric) -> str:
    parts = [f"{m.indicator}: {_number(m.actual) or '—'} {m.unit}"]
    if m.target is not None:
        parts.append(_("target %(value)s") % {"value": _number(m.target)})
    if m.baseline is not None:
        parts.append(_("baseline %(value)s") % {"value": _number(m.baseline)})
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


# --- PDF ---------------------------------------------------------------------------------------


def card_pdf(card: Card) -> bytes:
    return pdf_render(
        "archive/card_pdf.html",
        {
            "card": card,
            "rows": [(c, [metric_text(m) for m in c.metrics]) for c in card.entries],
            "score_years": _score_table(card.scores),
        },
    )


def _score_table(scores: list[Any]) -> list[dict[str, Any]]:
    years: dict[int, dict[int, Any]] = {}
    for s in scores:
        years.setdefault(s.year, {})[s.quarter] = s
    return [
        {
            "year": year,
            "quarters": [quarters.get(q) for q in (1, 2, 3, 4)],
            "whole": quarters.get(0),
            "frozen": any(s.frozen_at for s in quarters.values()),
        }
        for year, quarters in sorted(years.items())
    ]


# --- Excel -------------------------------------------------------------------------------------


def card_xlsx(card: Card) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = _("Archive card")[:31]
    facts = [
        (_("Cadre"), card.cadre.name),
        (_("Organization"), card.cadre.org.name),
        (_("Current post"), card.cadre.post.title if card.cadre.post_id and card.cadre.post else ""),
        (_("Exported"), card.generated_at.strftime("%Y-%m-%d %H:%M")),
        (_("Exported by"), card.viewer_name),
    ]
    for label, value in facts:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    sheet.append([_("Tenure history")])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([_("From"), _("To"), _("Organization"), _("Post"), _("Rank")])
    for tenure in card.career:
        sheet.append(
            [
                tenure.start,
                tenure.end,
                tenure.post.organization.name,
                tenure.post.title,
                tenure.post.rank,
            ]
        )
    for column, width in zip("ABCDE", (16, 16, 28, 20, 14), strict=True):
        sheet.column_dimensions[column].width = width

    entries = wb.create_sheet(_("Entries")[:31])
    headers = [
        _("Date"),
        _("Year"),
        _("Quarter"),
        _("Category"),
        _("Title"),
        _("Description"),
        _("Positive or negative"),
        _("Organization"),
        _("Post"),
        _("Task or project"),
        _("Contribution share (%)"),
        _("Difficulty"),
        _("Status"),
        _("Counted value"),
        _("Outcome metrics"),
        _("Evidence kinds"),
    ]
    if card.may_see_flags:
        headers.append(_("Guard flags"))
    entries.append(headers)
    for cell in entries[1]:
        cell.font = bold
    for c in card.entries:
        e = c.entry
        row: list[Any] = [
            e.occurred_on,
            e.year,
            e.quarter,
            e.get_category_display(),
            e.title,
            e.description,
            e.get_polarity_display(),
            e.organization.name,
            e.post.title if e.post_id and e.post else "",
            e.task.name if e.task_id and e.task else "",
            e.share_percent,
            e.get_difficulty_display(),
            e.get_status_display(),
            e.counted_value,
            "\n".join(metric_text(m) for m in c.metrics),
            ", ".join(c.kinds),
        ]
        if card.may_see_flags:
            row.append(", ".join(c.flags))
        entries.append(row)
    for index, width in enumerate((12, 7, 7, 18, 30, 50, 10, 24, 14, 24, 10, 10, 12, 10, 40, 30, 30), start=1):
        entries.column_dimensions[get_column_letter(index)].width = width
    for row_cells in entries.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in entries["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    entries.freeze_panes = "A2"

    scores = wb.create_sheet(_("Counted scores")[:31])
    scores.append([_("Year"), _("Period"), _("Counted score"), _("Entries counted"), _("Frozen")])
    for cell in scores[1]:
        cell.font = bold
    for s in card.scores:
        period = _("Whole year") if s.quarter == 0 else f"Q{s.quarter}"
        scores.append([s.year, period, s.score, s.entries_counted, _("yes") if s.frozen_at else _("no")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
