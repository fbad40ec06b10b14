"""Jurisdiction tree, posts, cadres, tenures, users and role grants (C1)."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dandang.org.roles import Role


class Organization(models.Model):
    """组织 — a node of the jurisdiction tree, stored with a materialized path of codes so that
    "everything under X" is one indexed prefix query."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")
        VILLAGE = "village", _("Village")

    class Kind(models.TextChoices):
        PARTY_COMMITTEE = "party_committee", _("Party committee")
        GOVERNMENT_DEPARTMENT = "government_department", _("Government department")
        TOWNSHIP = "township", _("Township or street")
        PUBLIC_INSTITUTION = "public_institution", _("Public institution")
        STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
        VILLAGE = "village", _("Village or community")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=400, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    staff_size = models.PositiveIntegerField(_("staff size"), default=0)
    sector = models.CharField(_("sector"), max_length=64, blank=True)
    audit_partition = models.CharField(_("audit partition"), max_length=32, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "name"], name="org_parent_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """职务 — a post within an organization."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="posts"
    )
    title = models.CharField(_("title"), max_length=100)
    is_leading = models.BooleanField(_("leading post"), default=False)
    rank = models.CharField(_("rank"), max_length=64, blank=True)
    is_hardship = models.BooleanField(_("hardship post"), default=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["organization_id", "id"]

    def __str__(self) -> str:
        return f"{self.organization.name} {self.title}"


class Cadre(models.Model):
    """干部 — a person whose career the system follows.  ``org``/``org_path`` mirror the current
    (or last) tenure and decide which jurisdiction holds the dossier."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Education(models.TextChoices):
        SECONDARY = "secondary", _("Secondary school")
        COLLEGE = "college", _("Junior college")
        BACHELOR = "bachelor", _("Bachelor's degree")
        MASTER = "master", _("Master's degree")
        DOCTORATE = "doctorate", _("Doctorate")

    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, editable=False, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=32)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    party_join_date = models.DateField(_("Party membership date"), null=True, blank=True)
    id_number = models.CharField(_("national ID number"), max_length=18, unique=True)
    org = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="cadres"
    )
    org_path = models.CharField(_("organization path"), max_length=400, editable=False)
    post = models.ForeignKey(
        Post, verbose_name=_("current post"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        indexes = [
            models.Index(fields=["org_path", "name"], name="cadre_path_idx", opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["name"], name="cadre_name_idx"),
            # The cadre list's order (a pattern_ops index cannot give it): a page of a wide search
            # is read in index order and the scan stops once the page is full, instead of sorting
            # every match.  (PostgreSQL also has a GIN index on the name's characters: migration 0002.)
            models.Index(fields=["org_path", "name", "id"], name="cadre_list_order_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Tenure(models.Model):
    """任职 — a cadre in a post from ``start`` to ``end`` (open while current)."""

    class Reason(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        TRANSFER = "transfer", _("Transfer")
        PROMOTION = "promotion", _("Promotion")
        RANK_PROMOTION = "rank_promotion", _("Rank promotion")
        ADJUSTMENT = "adjustment", _("Adjustment")
        SECONDMENT = "secondment", _("Secondment")
        RETIREMENT = "retirement", _("Retirement")
        RESIGNATION = "resignation", _("Resignation")
        REMOVAL = "removal", _("Removal")
        OTHER = "other", _("Other")

    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="tenures")
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="tenures")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    start_reason = models.CharField(_("reason for taking the post"), max_length=32, choices=Reason.choices)
    end_reason = models.CharField(_("reason for leaving the post"), max_length=32, choices=Reason.choices, blank=True)

    class Meta:
        verbose_name = _("tenure")
        verbose_name_plural = _("tenures")
        ordering = ["cadre_id", "start", "id"]
        indexes = [models.Index(fields=["cadre", "start"], name="tenure_cadre_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="tenure_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} @ {self.post_id} {self.start}–{self.end or ''}"


class User(AbstractUser):
    """A person who logs in; linked to their cadre record when they are one."""

    cadre = models.OneToOneField(
        Cadre, verbose_name=_("cadre"), null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        help_text=_("Empty: follow the browser."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    """角色授权 — a role held over an organization, optionally with everything beneath it."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="grants"
    )
    include_descendants = models.BooleanField(_("includes subordinate organizations"), default=True)
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=models.Q(revoked_at__isnull=True),
                name="active_grant_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} @ {self.organization_id}"


class ApiToken(models.Model):
    """API token; only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "dd_" + secrets.token_urlsafe(32)
