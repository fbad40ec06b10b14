"""The exemption notice (免责通报) of a tolerance case, as a PDF in Chinese (WeasyPrint with the
vendored Noto Sans SC, :mod:`dandang.core.pdf`): the cadre, the matter and the decision it
concerns, the determination and its grounds (the recommendation's explanation, in Chinese), and
the effects of the exemption (POLICY.md §5).  Only a determined exemption has one."""

from __future__ import annotations

from django.utils import timezone, translation

from dandang.core.errors import NotFound
from dandang.core.pdf import pdf_render
from dandang.tolerance.models import CaseStatus, Outcome, ToleranceCase

NOTICE_LANGUAGE = "zh-hans"


def has_notice(case: ToleranceCase) -> bool:
    return case.outcome == Outcome.EXEMPT and case.status in (CaseStatus.DETERMINED, CaseStatus.CLOSED)


def exemption_notice_pdf(case: ToleranceCase) -> bytes:
    """The notice of a case read through a scoped selector; NotFound when it has none."""
    if not has_notice(case):
        raise NotFound(translation.gettext("This case has no exemption notice: only a determined exemption has one."))
    record = case.recommendation
    explanation = ""
    if record is not None and isinstance(record.explanation, dict):
        explanation = str(record.explanation.get(NOTICE_LANGUAGE) or "")
    with translation.override(NOTICE_LANGUAGE):
        return pdf_render(
            "tolerance/notice_pdf.html",
            {
                "case": case,
                "cadre": case.cadre,
                "explanation_lines": [line for line in explanation.splitlines() if line.strip()],
                "issued": timezone.localdate(),
                "follows": case.departs,
            },
        )
