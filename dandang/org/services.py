"""Writes of the jurisdiction tree, posts, cadres, tenures, users and role grants.

Every service is atomic, takes keyword-only arguments and an explicit ``actor`` (None for the
system itself: demo data, imports run from the command line), checks the actor's jurisdiction,
validates, writes, and appends its audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

from dandang.core.audit import GLOBAL_PARTITION, audit_record
from dandang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.core.validation import clean_or_fail, snapshot
from dandang.org.models import ApiToken, Cadre, Organization, Post, RoleGrant, Tenure, User
from dandang.org.roles import Cap, Role
from dandang.org.selectors import forget_grants, has_capability, require_capability

ORG_FIELDS = ["code", "name", "parent", "level", "kind", "staff_size", "sector"]
POST_FIELDS = ["organization", "title", "is_leading", "rank", "is_hardship"]
CADRE_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "party_join_date",
    "org",
    "post",
]
TENURE_FIELDS = ["cadre", "post", "start", "end", "start_reason", "end_reason"]
GRANT_FIELDS = ["user", "role", "organization", "include_descendants", "revoked_at"]

# Levels a child may have under a parent of a given level (departments sit at their parent's
# level: a county bureau is county level).
_CHILD_LEVELS: dict[str, set[str]] = {
    Organization.Level.PROVINCE: {Organization.Level.PROVINCE, Organization.Level.CITY},
    Organization.Level.CITY: {Organization.Level.CITY, Organization.Level.COUNTY},
    Organization.Level.COUNTY: {Organization.Level.COUNTY, Organization.Level.TOWNSHIP},
    Organization.Level.TOWNSHIP: {Organization.Level.TOWNSHIP, Organization.Level.VILLAGE},
    Organization.Level.VILLAGE: {Organization.Level.VILLAGE},
}
_PARTITION_LEVELS = {Organization.Level.PROVINCE, Organization.Level.CITY, Organization.Level.COUNTY}


def partition_for(org: Organization | None) -> str:
    return org.audit_partition if org is not None else GLOBAL_PARTITION


def pinyin_of(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower case, without spaces: 张伟军 → ("zhangweijun", "zwj")."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def _computed_tree_fields(org: Organization) -> None:
    parent = org.parent
    if "/" in org.code:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"code": [str(_("A code may not contain “/”."))]}
        )
    if parent is None:
        org.path = f"{org.code}/"
        org.depth = 0
    else:
        allowed = _CHILD_LEVELS.get(parent.level, set())
        if org.level not in allowed:
            raise ValidationFailed(
                _("Some fields are not valid."),
                detail={"level": [str(_("This level cannot sit under an organization of that level."))]},
            )
        org.path = f"{parent.path}{org.code}/"
        org.depth = parent.depth + 1
    if org.level in _PARTITION_LEVELS:
        # Each county-level (or higher) organization with its own level heads a chain; departments
        # of a county share their county's chain.
        if parent is not None and parent.level == org.level:
            org.audit_partition = parent.audit_partition
        else:
            org.audit_partition = org.code
    else:
        org.audit_partition = parent.audit_partition if parent is not None else org.code


@transaction.atomic
def organization_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    parent: Organization | None,
    level: str,
    kind: str,
    staff_size: int = 0,
    sector: str = "",
) -> Organization:
    """Add an organization under ``parent``.  A root (no parent) is created only by the system."""
    if parent is None:
        if actor is not None:
            raise PermissionDenied(_("Only the system can create a top-level organization."))
    elif actor is not None:
        require_capability(actor, Cap.ORG_WRITE, parent)
    org = Organization(
        code=code.strip(),
        name=name.strip(),
        parent=parent,
        level=level,
        kind=kind,
        staff_size=staff_size,
        sector=sector.strip(),
    )
    _computed_tree_fields(org)
    clean_or_fail(org)
    org.save()
    audit_record(
        actor=actor,
        action="organization.create",
        partition=org.audit_partition,
        object_type="organization",
        object_id=org.pk,
        after=snapshot(org, ORG_FIELDS),
    )
    return org


@transaction.atomic
def organization_update(*, actor: User | None, organization: Organization, **changes: Any) -> Organization:
    """Change name, kind, staff size or sector.  Code, parent and level are fixed once created."""
    allowed = {"name", "kind", "staff_size", "sector"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if actor is not None:
        require_capability(actor, Cap.ORG_WRITE, organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = snapshot(org, ORG_FIELDS)
    for key, value in changes.items():
        setattr(org, key, value.strip() if isinstance(value, str) else value)
    clean_or_fail(org)
    org.save()
    audit_record(
        actor=actor,
        action="organization.update",
        partition=org.audit_partition,
        object_type="organization",
        object_id=org.pk,
        before=before,
        after=snapshot(org, ORG_FIELDS),
    )
    return org


@transaction.atomic
def post_create(
    *,
    actor: User | None,
    organization: Organization,
    title: str,
    is_leading: bool = False,
    rank: str = "",
    is_hardship: bool = False,
) -> Post:
    if actor is not None:
        require_capability(actor, Cap.ORG_WRITE, organization)
    post = Post(
        organization=organization,
        title=title.strip(),
        is_leading=is_leading,
        rank=rank.strip(),
        is_hardship=is_hardship,
    )
    clean_or_fail(post)
    post.save()
    audit_record(
        actor=actor,
        action="post.create",
        partition=organization.audit_partition,
        object_type="post",
        object_id=post.pk,
        after=snapshot(post, POST_FIELDS),
    )
    return post


@transaction.atomic
def post_update(*, actor: User | None, post: Post, **changes: Any) -> Post:
    allowed = {"title", "is_leading", "rank", "is_hardship"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if actor is not None:
        require_capability(actor, Cap.ORG_WRITE, post.organization)
    locked = Post.objects.select_for_update().select_related("organization").get(pk=post.pk)
    before = snapshot(locked, POST_FIELDS)
    for key, value in changes.items():
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    clean_or_fail(locked)
    locked.save()
    audit_record(
        actor=actor,
        action="post.update",
        partition=locked.organization.audit_partition,
        object_type="post",
        object_id=locked.pk,
        before=before,
        after=snapshot(locked, POST_FIELDS),
    )
    return locked


def _check_id_number(value: str) -> str:
    """GB 11643 national ID: 17 digits and a check character (0-9 or X)."""
    value = value.strip().upper()
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    checks = "10X98765432"
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"id_number": [str(_("A national ID number has 18 characters: 17 digits and a check digit."))]},
        )
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True))
    if checks[total % 11] != value[17]:
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"id_number": [str(_("The check digit of this national ID number is wrong."))]},
        )
    return value


def id_number_check_digit(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@transaction.atomic
def cadre_create(
    *,
    actor: User | None,
    name: str,
    gender: str,
    birth_date: dt.date,
    ethnicity: str,
    education: str,
    id_number: str,
    organization: Organization,
    party_join_date: dt.date | None = None,
) -> Cadre:
    """Register a cadre in ``organization``; posts are taken with :func:`tenure_start`."""
    if actor is not None:
        require_capability(actor, Cap.CADRE_WRITE, organization)
    id_number = _check_id_number(id_number)
    if Cadre.objects.filter(id_number=id_number).exists():
        raise Conflict(_("A cadre with this national ID number is already registered."))
    full, initials = pinyin_of(name.strip())
    cadre = Cadre(
        name=name.strip(),
        name_pinyin=full,
        name_initials=initials,
        gender=gender,
        birth_date=birth_date,
        ethnicity=ethnicity.strip(),
        education=education,
        party_join_date=party_join_date,
        id_number=id_number,
        org=organization,
        org_path=organization.path,
    )
    clean_or_fail(cadre, exclude=["id_number"])
    if party_join_date and party_join_date < birth_date:
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"party_join_date": [str(_("Party membership cannot begin before birth."))]},
        )
    cadre.save()
    audit_record(
        actor=actor,
        action="cadre.create",
        partition=organization.audit_partition,
        object_type="cadre",
        object_id=cadre.pk,
        # The ID number is audited only as a fact of change, never in clear.
        after={**snapshot(cadre, CADRE_FIELDS), "id_number": "(set)"},
    )
    return cadre


@transaction.atomic
def cadre_update(*, actor: User | None, cadre: Cadre, **changes: Any) -> Cadre:
    allowed = {"name", "gender", "birth_date", "ethnicity", "education", "party_join_date", "id_number"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if actor is not None:
        require_capability(actor, Cap.CADRE_WRITE, cadre.org)
    locked = Cadre.objects.select_for_update().select_related("org").get(pk=cadre.pk)
    before = snapshot(locked, CADRE_FIELDS)
    if "id_number" in changes:
        new_id = _check_id_number(str(changes.pop("id_number")))
        if new_id != locked.id_number:
            if Cadre.objects.filter(id_number=new_id).exclude(pk=locked.pk).exists():
                raise Conflict(_("A cadre with this national ID number is already registered."))
            locked.id_number = new_id
            before["id_number"] = "(old)"
    for key, value in changes.items():
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    locked.name_pinyin, locked.name_initials = pinyin_of(locked.name)
    clean_or_fail(locked, exclude=["id_number"])
    if locked.party_join_date and locked.party_join_date < locked.birth_date:
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"party_join_date": [str(_("Party membership cannot begin before birth."))]},
        )
    locked.save()
    after = snapshot(locked, CADRE_FIELDS)
    if "id_number" in before:
        after["id_number"] = "(changed)"
    audit_record(
        actor=actor,
        action="cadre.update",
        partition=locked.org.audit_partition,
        object_type="cadre",
        object_id=locked.pk,
        before=before,
        after=after,
    )
    return locked


def _refresh_cadre_placement(cadre: Cadre) -> None:
    """Point the cadre at their current post (the open tenure that started last), or keep the
    last organization they served in when no tenure is open."""
    current = (
        Tenure.objects.filter(cadre=cadre, end__isnull=True)
        .select_related("post__organization")
        .order_by("-start", "-id")
        .first()
    )
    if current is None:
        last = Tenure.objects.filter(cadre=cadre).select_related("post__organization").order_by("-end", "-id").first()
        if last is not None:
            cadre.org = last.post.organization
            cadre.org_path = cadre.org.path
        cadre.post = None
    else:
        cadre.post = current.post
        cadre.org = current.post.organization
        cadre.org_path = cadre.org.path
    cadre.save(update_fields=["org", "org_path", "post"])


@transaction.atomic
def tenure_start(
    *,
    actor: User | None,
    cadre: Cadre,
    post: Post,
    start: dt.date,
    reason: str,
    end_previous: bool = True,
    end_reason: str = "",
) -> Tenure:
    """The cadre takes ``post`` on ``start``.  With ``end_previous`` the open tenures end the day
    before (a transfer); the cadre's dossier moves to the new post's jurisdiction, which from then
    on sees the whole career."""
    locked = Cadre.objects.select_for_update().select_related("org").get(pk=cadre.pk)
    if actor is not None:
        require_capability(actor, Cap.CADRE_WRITE, locked.org)
        require_capability(actor, Cap.CADRE_WRITE, post.organization)
    if reason not in Tenure.Reason.values:
        raise ValidationFailed(_("Some fields are not valid."), detail={"reason": [str(_("Unknown reason."))]})
    open_tenures = list(Tenure.objects.select_for_update().filter(cadre=locked, end__isnull=True))
    if any(t.post_id == post.pk for t in open_tenures):
        raise Conflict(_("The cadre already holds this post."))
    if end_previous:
        for t in open_tenures:
            if t.start >= start:
                raise ValidationFailed(
                    _("Some fields are not valid."),
                    detail={"start": [str(_("The new post must start after the current one began."))]},
                )
    before_org = locked.org_id
    if end_previous:
        for t in open_tenures:
            t.end = start - dt.timedelta(days=1)
            t.end_reason = end_reason or reason
            t.save(update_fields=["end", "end_reason"])
    tenure = Tenure(cadre=locked, post=post, start=start, start_reason=reason)
    clean_or_fail(tenure)
    tenure.save()
    _refresh_cadre_placement(locked)
    audit_record(
        actor=actor,
        action="tenure.start",
        partition=post.organization.audit_partition,
        object_type="tenure",
        object_id=tenure.pk,
        before={"org": before_org, "ended": [t.pk for t in open_tenures] if end_previous else []},
        after=snapshot(tenure, TENURE_FIELDS),
    )
    return tenure


@transaction.atomic
def tenure_update(*, actor: User | None, tenure: Tenure, **changes: Any) -> Tenure:
    """Correct a tenure's dates or reasons (for example to close it on retirement)."""
    allowed = {"start", "end", "start_reason", "end_reason"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    locked = Tenure.objects.select_for_update().select_related("cadre__org", "post__organization").get(pk=tenure.pk)
    if actor is not None:
        require_capability(actor, Cap.CADRE_WRITE, locked.cadre.org)
    before = snapshot(locked, TENURE_FIELDS)
    for key, value in changes.items():
        setattr(locked, key, value)
    if locked.end is not None and locked.end < locked.start:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"end": [str(_("A tenure cannot end before it starts."))]}
        )
    if locked.end is not None and not locked.end_reason:
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"end_reason": [str(_("Say why the tenure ended."))]},
        )
    clean_or_fail(locked)
    locked.save()
    _refresh_cadre_placement(locked.cadre)
    audit_record(
        actor=actor,
        action="tenure.update",
        partition=locked.post.organization.audit_partition,
        object_type="tenure",
        object_id=locked.pk,
        before=before,
        after=snapshot(locked, TENURE_FIELDS),
    )
    return locked


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    display_name: str = "",
    cadre: Cadre | None = None,
    language: str = "",
) -> User:
    """Create a login.  Accounts are made by the system or a system administrator."""
    if actor is not None and not any(g.role == Role.SYSTEM_ADMIN for g in actor.grants.filter(revoked_at__isnull=True)):
        raise PermissionDenied(_("Only a system administrator can create accounts."))
    if User.objects.filter(username=username).exists():
        raise Conflict(_("This username is taken."))
    user = User(username=username, display_name=display_name, cadre=cadre, language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    clean_or_fail(user, exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        partition=GLOBAL_PARTITION,
        object_type="user",
        object_id=user.pk,
        after={"username": username, "display_name": display_name, "cadre": cadre.pk if cadre else None},
    )
    return user


@transaction.atomic
def role_grant_create(
    *,
    actor: User | None,
    user: User,
    role: str,
    organization: Organization,
    include_descendants: bool = True,
) -> RoleGrant:
    """Grant ``role`` over ``organization``.  Nobody grants a role to themselves."""
    if actor is not None:
        require_capability(actor, Cap.GRANT_WRITE, organization)
        if actor.pk == user.pk:
            raise PermissionDenied(_("Nobody can grant a role to themselves."))
    if role not in Role.values or role == Role.CADRE:
        raise ValidationFailed(_("Some fields are not valid."), detail={"role": [str(_("Unknown role."))]})
    grant = RoleGrant(
        user=user, role=role, organization=organization, include_descendants=include_descendants, granted_by=actor
    )
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:
        raise Conflict(_("This user already holds this role in this organization.")) from None
    forget_grants(user)
    audit_record(
        actor=actor,
        action="grant.create",
        partition=organization.audit_partition,
        object_type="role_grant",
        object_id=grant.pk,
        after=snapshot(grant, GRANT_FIELDS),
    )
    return grant


@transaction.atomic
def role_grant_update(
    *, actor: User | None, grant: RoleGrant, include_descendants: bool | None = None, revoke: bool = False
) -> RoleGrant:
    """Widen or narrow a grant, or revoke it (a revoked grant is kept, never deleted)."""
    locked = RoleGrant.objects.select_for_update().select_related("organization", "user").get(pk=grant.pk)
    if actor is not None:
        require_capability(actor, Cap.GRANT_WRITE, locked.organization)
        if actor.pk == locked.user_id:
            raise PermissionDenied(_("Nobody can change their own role grants."))
    if locked.revoked_at is not None:
        raise Conflict(_("This grant has been revoked."))
    before = snapshot(locked, GRANT_FIELDS)
    if include_descendants is not None:
        locked.include_descendants = include_descendants
    if revoke:
        locked.revoked_at = timezone.now()
    locked.save()
    forget_grants(locked.user)
    audit_record(
        actor=actor,
        action="grant.revoke" if revoke else "grant.update",
        partition=locked.organization.audit_partition,
        object_type="role_grant",
        object_id=locked.pk,
        before=before,
        after=snapshot(locked, GRANT_FIELDS),
    )
    return locked


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Issue an API token for ``actor``; the secret is returned once and stored only hashed."""
    if not name.strip():
        raise ValidationFailed(_("Some fields are not valid."), detail={"name": [str(_("Give the token a name."))]})
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=actor, name=name.strip(), key_hash=ApiToken.hash_key(key), prefix=key[:8])
    audit_record(
        actor=actor,
        action="api_token.create",
        partition=GLOBAL_PARTITION,
        object_type="api_token",
        object_id=token.pk,
        after={"name": token.name, "prefix": token.prefix},
    )
    return token, key


def user_has_role_anywhere(user: User, role: str) -> bool:
    return RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists()


def organization_by_code(code: str) -> Organization:
    try:
        return Organization.objects.get(code=code)
    except Organization.DoesNotExist:
        raise NotFound(_("No organization has the code %(code)s.") % {"code": code}) from None


__all__ = [
    "api_token_create",
    "cadre_create",
    "cadre_update",
    "has_capability",
    "id_number_check_digit",
    "organization_by_code",
    "organization_create",
    "organization_update",
    "partition_for",
    "pinyin_of",
    "post_create",
    "post_update",
    "role_grant_create",
    "role_grant_update",
    "tenure_start",
    "tenure_update",
    "user_create",
]
