"""Tolerance cases (容错案件, issue 5 points 4–6): the case with its workflow and deadlines, the
kernel's recommendation and the determination, the correction plan (纠错) and the follow-up
visits (回访教育).

Nothing here is ever deleted: a case is not accepted, or determined and closed.  The case is read
through the cadre's current jurisdiction (the dossier follows the cadre, DESIGN.md
"Jurisdiction").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dandang.core.models import DecisionRecord
from dandang.org.models import Cadre


class Origin(models.TextChoices):
    APPLICATION = "application", _("Application by the cadre")
    EX_OFFICIO = "ex_officio", _("Ex officio review")


class CaseStatus(models.TextChoices):
    APPLIED = "applied", _("Applied, acceptance pending")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    INVESTIGATING = "investigating", _("Under investigation")
    PROPOSED = "proposed", _("Proposed, determination pending")
    DETERMINED = "determined", _("Determined, correction under way")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (CaseStatus.APPLIED, CaseStatus.INVESTIGATING, CaseStatus.PROPOSED)


class Outcome(models.TextChoices):
    EXEMPT = "exempt", _("Exemption (免责)")
    REDUCED = "reduced", _("Reduced accountability (减轻)")
    LIGHTER = "lighter", _("Lighter accountability (从轻)")
    NOT_TOLERATED = "not_tolerated", _("Not tolerated (不予容错)")


class MatterType(models.TextChoices):
    """What the case concerns: a decision already made (an application names it), or a case of
    another capability that started ex officio review (the accountability case)."""

    DECISION = "decision", _("Accountability, discipline or handling decision")
    ACCOUNTABILITY_CASE = "accountability_case", _("Accountability case")


def _user_fk(verbose: Any, **kwargs: Any) -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        **kwargs,
    )


class ToleranceCase(models.Model):
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="tolerance_cases")
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    matter_type = models.CharField(_("matter type"), max_length=32, choices=MatterType.choices)
    # The matter's id in its own capability (the accountability case's id), or the reference of
    # the decision an application concerns (文号); empty when the decision has none.
    matter_id = models.CharField(_("matter reference"), max_length=64, blank=True)
    matter = models.TextField(_("matter"), max_length=2000)
    matter_date = models.DateField(_("date of the matter"))
    decision_reference = models.CharField(_("reference of the decision"), max_length=100, blank=True)
    decision_date = models.DateField(_("date of the decision"), null=True, blank=True)
    statement = models.TextField(_("statement of the applicant"), max_length=5000, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    # The deadline of the step the case waits for; provisional beyond the holiday table.
    due_date = models.DateField(_("due"), null=True, blank=True)
    due_provisional = models.BooleanField(_("due date provisional"), default=False)

    opened_by = _user_fk(_("opened by"))
    opened_on = models.DateField(_("opened on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    accepted_by = _user_fk(_("acceptance decided by"))
    accepted_on = models.DateField(_("acceptance decided on"), null=True, blank=True)
    acceptance_note = models.TextField(_("acceptance notice"), blank=True)

    extended_by = _user_fk(_("extended by"))
    extension_reason = models.TextField(_("reason for the extension"), blank=True)

    # The investigation's findings in the structure of dandang.tolerance.facts (facts, industry
    # item, narrative), as the kernel read them, and its recommendation.
    case_document = models.JSONField(_("case facts"), null=True, blank=True)
    recommendation = models.ForeignKey(
        DecisionRecord,
        verbose_name=_("recommendation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    recommended_outcome = models.CharField(_("recommended outcome"), max_length=16, choices=Outcome.choices, blank=True)
    proposed_by = _user_fk(_("proposed by"))
    proposed_on = models.DateField(_("proposed on"), null=True, blank=True)
    proposal_note = models.TextField(_("investigation report"), blank=True)

    outcome = models.CharField(_("determination"), max_length=16, choices=Outcome.choices, blank=True)
    departure_reason = models.TextField(_("reason for departing from the recommendation"), blank=True)
    determination_note = models.TextField(_("determination note"), blank=True)
    decided_by = _user_fk(_("determined by"))
    decided_on = models.DateField(_("determined on"), null=True, blank=True)

    closed_by = _user_fk(_("closed by"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        verbose_name = _("tolerance case")
        verbose_name_plural = _("tolerance cases")
        indexes = [
            models.Index(fields=["cadre", "status"], name="tolerance_case_cadre_idx"),
            models.Index(fields=["matter_type", "matter_id"], name="tolerance_case_matter_idx"),
            models.Index(fields=["status", "due_date"], name="tolerance_case_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id}: {self.matter[:40]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def departs(self) -> bool:
        return bool(self.outcome and self.recommended_outcome and self.outcome != self.recommended_outcome)


class CorrectionItem(models.Model):
    """纠错 — one item of the correction plan: who corrects what by when, and when it was done."""

    case = models.ForeignKey(
        ToleranceCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="correction_items"
    )
    owner = models.CharField(_("owner"), max_length=100)
    task = models.TextField(_("task"), max_length=2000)
    deadline = models.DateField(_("deadline"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("how it was done"), blank=True)
    created_by = _user_fk(_("recorded by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction item")
        verbose_name_plural = _("correction items")
        ordering = ["case_id", "deadline", "id"]

    def __str__(self) -> str:
        return f"{self.owner}: {self.task[:40]}"


class FollowUpVisit(models.Model):
    """回访教育 — a follow-up visit to the cadre after the determination."""

    case = models.ForeignKey(
        ToleranceCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    visited_on = models.DateField(_("date of the visit"))
    visitors = models.CharField(_("visited by"), max_length=200)
    notes = models.TextField(_("what was discussed"), max_length=5000)
    created_by = _user_fk(_("recorded by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["case_id", "visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.visited_on}"


# Name clearing (澄清正名) lives in its own module, imported here so that Django finds its models.
from dandang.tolerance.models_clearing import NameClearingCase  # noqa: E402, F401
