"""Cross-cutting records: the audit chains, the dossier access log, the inbox, published
rulebook versions and decision records.  None of them is ever updated or deleted by a service."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditChainHead(models.Model):
    """The tip of one partition's hash chain; locked row-wise while an event is appended, so
    appends in different county-level partitions never wait on each other."""

    partition = models.CharField(_("partition"), max_length=64, primary_key=True)
    seq = models.BigIntegerField(_("sequence"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default="")

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"{self.partition}#{self.seq}"


class AuditEvent(models.Model):
    """审计事件 — one write, chained to the previous event of the same partition."""

    partition = models.CharField(_("partition"), max_length=64)
    seq = models.BigIntegerField(_("sequence"))
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    digest = models.CharField(_("digest of bulk rows"), max_length=64, blank=True)
    row_count = models.IntegerField(_("rows"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [models.UniqueConstraint(fields=["partition", "seq"], name="audit_partition_seq_unique")]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        ordering = ["partition", "seq"]

    def __str__(self) -> str:
        return f"{self.partition}#{self.seq} {self.action}"


class AccessLog(models.Model):
    """档案查阅记录 — reads of a cadre's dossier, kept outside the audit chains."""

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("viewer"), on_delete=models.PROTECT)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    what = models.CharField(_("what was read"), max_length=64)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier access")
        verbose_name_plural = _("dossier accesses")
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="access_object_idx")]

    def __str__(self) -> str:
        return f"{self.viewer_id} {self.what} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """收件箱 — a to-do or notice for one user.  The text is a message key with parameters,
    rendered in the reader's language when shown."""

    class Kind(models.TextChoices):
        TODO = "todo", _("To-do")
        NOTICE = "notice", _("Notice")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    message = models.CharField(_("message key"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="inbox_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.message}"


class PublishedRulebook(models.Model):
    """规则手册版本 — a published override of a national rulebook.  Never edited: a change is
    a new version."""

    rulebook_id = models.CharField(_("rulebook"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    organization = models.ForeignKey(
        "org.Organization",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty for a deployment-wide version."),
    )
    content = models.JSONField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    source_name = models.CharField(_("source file"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.PROTECT
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("published rulebook")
        verbose_name_plural = _("published rulebooks")
        constraints = [
            models.UniqueConstraint(fields=["rulebook_id", "version"], name="rulebook_version_unique"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"{self.rulebook_id}@{self.version}"


class DecisionRecord(models.Model):
    """决策记录 — what a kernel decided, from which inputs, under which rulebook version, with
    which rules firing and why; so a decision can be re-explained years later."""

    kernel = models.CharField(_("kernel"), max_length=64)
    subject_type = models.CharField(_("subject type"), max_length=64, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    inputs = models.JSONField(_("inputs"))
    rulebook_id = models.CharField(_("rulebook"), max_length=64)
    rulebook_version = models.PositiveIntegerField(_("rulebook version"))
    fired = models.JSONField(_("rules fired"), default=list)
    outcome = models.JSONField(_("outcome"))
    explanation = models.JSONField(_("explanation"), help_text=_("The explanation in every language."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision record")
        verbose_name_plural = _("decision records")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="decision_subject_idx")]

    def __str__(self) -> str:
        return f"{self.kernel} {self.subject_type}:{self.subject_id}"
