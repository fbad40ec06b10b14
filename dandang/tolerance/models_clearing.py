"""Name clearing (澄清正名, issue 5 point 7; POLICY.md §5): a case that clears one specific
allegation against a cadre once the report behind it was verified and found seriously untrue,
untrue, fabricated or false.

Workflow::

    opened ──verify (finding)──▶ verified ──clear (publication scope)──▶ cleared
       │                            │
       └────────refuse──────────────┴──────────────────────────────────▶ refused

A case is never deleted; it carries a version number so that two deciders cannot both win.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dandang.org.models import Cadre, Organization


class ClearingStatus(models.TextChoices):
    OPENED = "opened", _("Opened")
    VERIFIED = "verified", _("Verified")
    CLEARED = "cleared", _("Cleared (澄清正名)")
    REFUSED = "refused", _("Refused")


class Finding(models.TextChoices):
    """What the verification of the report found.  Only the first four qualify for clearing."""

    SERIOUSLY_UNTRUE = "seriously_untrue", _("Seriously untrue (严重失实)")
    UNTRUE = "untrue", _("Untrue (失实)")
    FABRICATED = "fabricated", _("Fabricated (诬告)")
    FALSE = "false", _("False (错告)")
    UNPROVEN = "unproven", _("Unproven but not excluded (查无实据但不能排除)")
    SUBSTANTIATED = "substantiated", _("Substantiated (属实)")


QUALIFYING_FINDINGS = (Finding.SERIOUSLY_UNTRUE, Finding.UNTRUE, Finding.FABRICATED, Finding.FALSE)


class Trigger(models.TextChoices):
    """Why the name needs clearing (POLICY.md §5): at least one must be recorded."""

    CAREER_AFFECTED = "career_affected", _("Affects selection, election, transfer or commendation")
    RIGHTS_HARMED = "rights_harmed", _("Harms personal or property rights")
    REPEATED_REPORTS = "repeated_reports", _("Repeated reports after a conclusion")


class Exclusion(models.TextChoices):
    """When name clearing does not apply (Jiangxi): any one refuses it."""

    NO_ADVERSE_EFFECT = "no_adverse_effect", _("No adverse effect yet")
    NOT_VERIFIABLE = "not_verifiable", _("Not yet verifiable")
    ROUTINE_INTERVIEW = "routine_interview", _("Only routine interviews or letters of inquiry")


class RefusalGround(models.TextChoices):
    """Why a case was refused: a finding that does not qualify, no trigger, or an exclusion."""

    FINDING_UNPROVEN = "finding_unproven", _("The report was found unproven but not excluded")
    FINDING_SUBSTANTIATED = "finding_substantiated", _("The report was found substantiated")
    NO_TRIGGER = "no_trigger", _("No trigger: the report had no effect that needs clearing")
    NO_ADVERSE_EFFECT = Exclusion.NO_ADVERSE_EFFECT.value, Exclusion.NO_ADVERSE_EFFECT.label
    NOT_VERIFIABLE = Exclusion.NOT_VERIFIABLE.value, Exclusion.NOT_VERIFIABLE.label
    ROUTINE_INTERVIEW = Exclusion.ROUTINE_INTERVIEW.value, Exclusion.ROUTINE_INTERVIEW.label


class PublicationScope(models.TextChoices):
    UNIT = "unit", _("Within the cadre's unit")
    PARTY_ORGANIZATION = "party_organization", _("Within the Party organization")
    PUBLIC_NOTICE = "public_notice", _("Public notice")


class NameClearingCase(models.Model):
    """澄清正名案件 — one allegation (one report reference) against one cadre."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="name_clearing_cases"
    )
    allegation = models.TextField(_("allegation"), max_length=2000)
    report_reference = models.CharField(_("report reference"), max_length=100)
    report_received_on = models.DateField(_("report received"), null=True, blank=True)
    triggers = models.JSONField(_("triggers"), default=list)
    trigger_note = models.TextField(_("how the report affected the cadre"), max_length=2000, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=ClearingStatus.choices, default=ClearingStatus.OPENED)
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)

    # The verification: the finding and the body that verified ("谁核实、谁澄清").
    finding = models.CharField(_("finding"), max_length=24, choices=Finding.choices, blank=True)
    verification_summary = models.TextField(_("verification summary"), max_length=5000, blank=True)
    verified_on = models.DateField(_("verification concluded"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    verifying_body = models.ForeignKey(
        Organization,
        verbose_name=_("verifying body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    # The decision: cleared (with where and when it is made known) or refused (with why).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    publication_scope = models.CharField(
        _("publication scope"), max_length=24, choices=PublicationScope.choices, blank=True
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    refusal_grounds = models.JSONField(_("refusal grounds"), default=list, blank=True)
    decision_note = models.TextField(_("decision note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("name-clearing case")
        verbose_name_plural = _("name-clearing cases")
        indexes = [models.Index(fields=["cadre", "status"], name="clearing_cadre_status_idx")]

    def __str__(self) -> str:
        return f"{self.report_reference}: {self.allegation[:40]}"
