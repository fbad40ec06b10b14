"""The performance archive (实绩档案, issue 4): entries of what a cadre achieved — or failed at —
with their outcome metrics and evidence, verified before they count, and the counted scores.

Nothing here is ever deleted: an entry is withdrawn, returned, rejected or revoked.  The dossier
follows the cadre (DESIGN.md "Jurisdiction"): entries are read through the cadre's current
jurisdiction, while ``organization`` and ``post`` keep where the cadre served when it happened.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dandang.core.models import DecisionRecord
from dandang.org.models import Cadre, Organization, Post, Tenure


class Category(models.TextChoices):
    """The eight categories of POLICY.md §1."""

    POLITICAL = "political", _("Political performance and study")
    DUTIES = "duties", _("Main and assigned duties")
    KEY_TASKS = "key_tasks", _("Key, urgent, difficult and dangerous tasks")
    INNOVATION = "innovation", _("Innovative work")
    ASSIGNED = "assigned", _("Ad-hoc tasks assigned by leaders")
    PUBLIC = "public", _("Public evaluation and petitions")
    HONOURS = "honours", _("Commendations and sanctions")
    OTHER = "other", _("Other")


class Polarity(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")


class Difficulty(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    HARD = "hard", _("Hard")
    VERY_HARD = "very_hard", _("Very hard")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for more information")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked after verification")


class Method(models.TextChoices):
    """How the verifier checked the entry (POLICY.md §1)."""

    DOCUMENT_REVIEW = "document_review", _("Document review")
    SITE_VISIT = "site_visit", _("Site visit")
    INDIVIDUAL_TALK = "individual_talk", _("Individual talk")
    DATA_CROSS_CHECK = "data_cross_check", _("Data cross-check")
    PUBLIC_EVALUATION = "public_evaluation", _("Public evaluation")


class ArchiveTask(models.Model):
    """A task or project several cadres may claim a share of (a flood-relief operation, a road)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="archive_tasks"
    )
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task or project")
        verbose_name_plural = _("tasks and projects")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "name"], name="archive_task_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class ArchiveEntry(models.Model):
    # No index of its own: the (cadre, year, quarter) index serves lookups by cadre.
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="archive_entries", db_index=False
    )
    # Where the cadre served when it happened (from the tenure covering the date).
    tenure = models.ForeignKey(
        Tenure,
        verbose_name=_("tenure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never looked up by: one index fewer to maintain on a bulk import
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    occurred_on = models.DateField(_("date"))
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    quarter = models.PositiveSmallIntegerField(_("quarter"), editable=False)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    polarity = models.CharField(_("polarity"), max_length=8, choices=Polarity.choices, default=Polarity.POSITIVE)
    task = models.ForeignKey(
        ArchiveTask,
        verbose_name=_("task or project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    # The cadre's share of the task in percent; empty: the whole of it.
    share_percent = models.DecimalField(
        _("contribution share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    difficulty = models.CharField(
        _("difficulty"), max_length=16, choices=Difficulty.choices, default=Difficulty.ORDINARY
    )

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # The verifier's decision (verify, return, reject) and, later, a revocation.
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
    decision_note = models.TextField(_("verifier's note"), blank=True)
    method = models.CharField(_("verification method"), max_length=24, choices=Method.choices, blank=True)
    score_completion = models.PositiveSmallIntegerField(_("completion"), null=True, blank=True)
    score_authenticity = models.PositiveSmallIntegerField(_("authenticity"), null=True, blank=True)
    score_difficulty = models.PositiveSmallIntegerField(_("difficulty (review)"), null=True, blank=True)
    score_contribution = models.PositiveSmallIntegerField(_("contribution"), null=True, blank=True)
    # What the entry counts once verified (0 when the guard zeroes it; negative for a negative entry).
    counted_value = models.DecimalField(_("counted value"), max_digits=9, decimal_places=2, null=True, blank=True)
    # The guard's flags, as stored in ArchiveFlag, for filtering without a join.
    flag_codes = models.JSONField(_("flags"), default=list, blank=True)

    class Meta:
        verbose_name = _("archive entry")
        verbose_name_plural = _("archive entries")
        indexes = [
            models.Index(fields=["cadre", "year", "quarter"], name="archive_entry_cadre_year_idx"),
            # The verification queue (status "submitted"); a plain index, no pattern-ops twin.
            models.Index(fields=["status"], name="archive_entry_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_percent__isnull=True)
                | (models.Q(share_percent__gt=0) & models.Q(share_percent__lte=100)),
                name="archive_entry_share_range",
            ),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="archive_entry_quarter"),
        ]

    def __str__(self) -> str:
        return self.title


class OutcomeMetric(models.Model):
    """成效数字化 — a result in numbers: indicator, unit, baseline, target, actual."""

    entry = models.ForeignKey(ArchiveEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="metrics")
    indicator = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=32)
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4, null=True, blank=True)
    actual = models.DecimalField(_("actual"), max_digits=18, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("outcome metric")
        verbose_name_plural = _("outcome metrics")
        ordering = ["entry_id", "id"]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.actual} {self.unit}"


def evidence_path(instance: Evidence, filename: str) -> str:
    # Files are stored under their hash: the same file is stored once, whatever its name.
    return f"archive/evidence/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    entry = models.ForeignKey(ArchiveEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    # The kind the author declared, and the kind the verifier confirmed or corrected it to.
    kind = models.CharField(_("kind"), max_length=32)
    confirmed_kind = models.CharField(_("confirmed kind"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    dated = models.DateField(_("date of the evidence"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["entry_id", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def effective_kind(self) -> str:
        return self.confirmed_kind or self.kind


class ArchiveFlag(models.Model):
    """A flag of the formalism guard on an entry, with the parameters of its reason."""

    entry = models.ForeignKey(ArchiveEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("flag"), max_length=24)
    params = models.JSONField(_("details"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"), auto_now=True)

    class Meta:
        verbose_name = _("guard flag")
        verbose_name_plural = _("guard flags")
        constraints = [models.UniqueConstraint(fields=["entry", "code"], name="archive_flag_unique")]
        indexes = [models.Index(fields=["code"], name="archive_flag_code_idx")]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.code}"


class ArchiveScore(models.Model):
    """The counted score of a cadre for a quarter (1–4) or the whole year (quarter 0), from
    verified entries only, with the decision record that explains it.  Frozen at the annual
    assessment's sign-off (``archive_scores_freeze``): a frozen score is never recomputed."""

    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="archive_scores")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))  # 0: the whole year
    score = models.DecimalField(_("counted score"), max_digits=10, decimal_places=2)
    entries_counted = models.PositiveIntegerField(_("entries counted"))
    decision = models.ForeignKey(
        DecisionRecord, verbose_name=_("decision record"), on_delete=models.PROTECT, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed"), auto_now=True)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)

    class Meta:
        verbose_name = _("counted score")
        verbose_name_plural = _("counted scores")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year", "quarter"], name="archive_score_unique"),
            models.CheckConstraint(condition=models.Q(quarter__gte=0, quarter__lte=4), name="archive_score_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} {self.year}Q{self.quarter}: {self.score}"


class ArchiveBand(models.Model):
    """One LSH band key of a live entry's description (the near-duplicate rule,
    :mod:`dandang.archive.duplicates`): entries sharing a (band, key) are candidate twins, so that
    a new entry finds its candidates with one indexed query.  Kept for submitted, returned and
    verified entries only; rewritten when the entry is submitted or amended, removed when it
    leaves (withdrawn, rejected, revoked)."""

    # (entry, band) is the key: no surrogate id, one index fewer to maintain on a bulk rewrite.
    pk = models.CompositePrimaryKey("entry_id", "band")
    entry = models.ForeignKey(
        ArchiveEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    band = models.PositiveSmallIntegerField(_("band"))
    key = models.BigIntegerField(_("key"))

    class Meta:
        verbose_name = _("near-duplicate band")
        verbose_name_plural = _("near-duplicate bands")
        indexes = [models.Index(fields=["band", "key"], name="archive_band_key_idx")]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.band}: {self.key}"
