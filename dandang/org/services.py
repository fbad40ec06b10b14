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
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from dandang.core.audit import GLOBAL_PARTITION, audit_record
from dandang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.core.models import PublishedRulebook
from dandang.core.rulebooks import rulebook_publish
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


# Surnames whose reading differs from the character's common reading (曾 is zeng as a surname,
# not ceng); pypinyin reads characters by their common use, so the surname is read here.
SURNAME_READINGS: dict[str, list[str]] = {
    "万俟": ["mo", "qi"],
    "尉迟": ["yu", "chi"],
    "长孙": ["zhang", "sun"],
    "澹台": ["tan", "tai"],
    "曾": ["zeng"],
    "单": ["shan"],
    "解": ["xie"],
    "查": ["zha"],
    "仇": ["qiu"],
    "区": ["ou"],
    "朴": ["piao"],
    "乐": ["yue"],
    "覃": ["qin"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "盖": ["ge"],
    "召": ["shao"],
    "繁": ["po"],
    "秘": ["bi"],
    "员": ["yun"],
    "折": ["she"],
    "种": ["chong"],
    "谌": ["chen"],
    "宓": ["mi"],
    "隗": ["wei"],
    "重": ["chong"],
    "牟": ["mou"],
    "黑": ["he"],
    "瞿": ["qu"],
    "冼": ["xian"],
    "句": ["gou"],
    "阚": ["kan"],
}


def pinyin_of(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower case, without spaces: 张伟军 → ("zhangweijun", "zwj");
    the surname is read as a surname (曾国强 → "zengguoqiang", "zgq")."""
    syllables: list[str] = []
    rest = name
    for surname in (name[:2], name[:1]):
        if surname and surname in SURNAME_READINGS:
            syllables = list(SURNAME_READINGS[surname])
            rest = name[len(surname) :]
            break
    syllables += [s.lower() for s in lazy_pinyin(rest, errors="ignore")]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def organization_tree_problem(*, code: str, level: str, parent: Organization | None) -> tuple[str, Promise] | None:
    """Why an organization ``code`` at ``level`` cannot sit under ``parent``, as (field, message);
    None when it can.  Shared by :func:`organization_create` and the roster import."""
    if "/" in code:
        return "code", _("A code may not contain “/”.")
    if parent is not None and level not in _CHILD_LEVELS.get(parent.level, set()):
        return "level", _("This level cannot sit under an organization of that level.")
    return None


def organization_tree_fields(*, code: str, level: str, parent: Organization | None) -> tuple[str, int, str]:
    """The materialized ``(path, depth, audit_partition)`` of an organization ``code`` at ``level``
    under ``parent``.  ``parent`` may be unsaved (the roster import places a whole subtree from one
    file before writing it); only its path, depth, level and partition are read."""
    if parent is None:
        path, depth = f"{code}/", 0
    else:
        path, depth = f"{parent.path}{code}/", parent.depth + 1
    if level in _PARTITION_LEVELS and (parent is None or parent.level != level):
        # Each county-level (or higher) organization with its own level heads a chain; departments
        # of a county share their county's chain.
        partition = code
    else:
        partition = parent.audit_partition if parent is not None else code
    return path, depth, partition


def _computed_tree_fields(org: Organization) -> None:
    problem = organization_tree_problem(code=org.code, level=org.level, parent=org.parent)
    if problem is not None:
        field, message = problem
        raise ValidationFailed(_("Some fields are not valid."), detail={field: [str(message)]})
    org.path, org.depth, org.audit_partition = organization_tree_fields(
        code=org.code, level=org.level, parent=org.parent
    )


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
    if Organization.objects.filter(code=org.code).exists():
        raise Conflict(_("An organization with this code already exists."))
    clean_or_fail(org)
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        raise Conflict(_("An organization with this code already exists.")) from None
    audit_record(
        actor=actor,
        action="organization.create",
        partition=org.audit_partition,
        object_type="organization",
        object_id=org.pk,
        after=snapshot(org, ORG_FIELDS),
    )
    return org


def _refuse_unknown_fields(changes: dict[str, Any], allowed: set[str]) -> None:
    """An update service changes only the fields it names; anything else is refused whole."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


@transaction.atomic
def organization_update(*, actor: User | None, organization: Organization, **changes: Any) -> Organization:
    """Change name, kind, staff size or sector.  Code, parent and level are fixed once created."""
    allowed = {"name", "kind", "staff_size", "sector"}
    _refuse_unknown_fields(changes, allowed)
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
    _refuse_unknown_fields(changes, allowed)
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


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECKS = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    return _ID_CHECKS[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number_problem(value: str) -> Promise | None:
    """What is wrong with a GB 11643 national ID number (17 digits and a check character, 0-9 or
    X), or None when it is well formed.  ``value`` is expected stripped and upper-cased."""
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return _("A national ID number has 18 characters: 17 digits and a check digit.")
    if id_number_check_digit(value[:17]) != value[17]:
        return _("The check digit of this national ID number is wrong.")
    return None


def id_number_valid(value: str) -> bool:
    return id_number_problem(value.strip().upper()) is None


def _check_id_number(value: str) -> str:
    value = value.strip().upper()
    problem = id_number_problem(value)
    if problem is not None:
        raise ValidationFailed(_("Some fields are not valid."), detail={"id_number": [str(problem)]})
    return value


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
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError:  # a concurrent registration of the same number
        raise Conflict(_("A cadre with this national ID number is already registered.")) from None
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
    _refuse_unknown_fields(changes, allowed)
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
    _refuse_unknown_fields(changes, allowed)
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
def user_language_set(*, actor: User | None, user: User, language: str) -> User:
    """Store ``user``'s interface language ("" follows the browser).  People choose their own
    language; nobody changes someone else's (DESIGN.md "Languages": chosen by the browser or the
    user)."""
    if actor is not None and actor.pk != user.pk:
        raise PermissionDenied(_("Only the user can choose their own language."))
    language = language.strip()
    allowed = {code for code, _label in User._meta.get_field("language").choices or []}
    if language and language not in allowed:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"language": [str(_("This language is not available."))]}
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = locked.language
    if before != language:
        locked.language = language
        locked.save(update_fields=["language"])
        audit_record(
            actor=actor,
            action="user.language_set",
            partition=GLOBAL_PARTITION,
            object_type="user",
            object_id=locked.pk,
            before={"language": before},
            after={"language": language},
        )
    user.language = language
    return locked


@transaction.atomic
def api_token_create(*, actor: User | None, name: str, user: User | None = None) -> tuple[ApiToken, str]:
    """Issue an API token for ``user`` (default: the actor); the secret is returned once and stored
    only hashed.  A person issues tokens for themselves; the system (``actor=None``, the
    ``api_token_create`` command) for anyone.  Token names are unique among a user's active tokens."""
    owner = user if user is not None else actor
    if owner is None:
        raise ValidationFailed(_("Some fields are not valid."), detail={"user": [str(_("Name the token's user."))]})
    if actor is not None and actor.pk != owner.pk:
        raise PermissionDenied(_("Only the system can issue a token for someone else."))
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"name": [str(_("Give the token a name of at most 100 characters."))]},
        )
    if not owner.is_active:
        raise ValidationFailed(_("Some fields are not valid."), detail={"user": [str(_("This account is disabled."))]})
    if ApiToken.objects.filter(user=owner, name=name, revoked_at__isnull=True).exists():
        raise Conflict(_("This user already has an active token with this name."))
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=owner, name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    audit_record(
        actor=actor,
        action="api_token.create",
        partition=GLOBAL_PARTITION,
        object_type="api_token",
        object_id=token.pk,
        after={"user": owner.pk, "name": token.name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once (it is kept, never deleted).  Its owner, a security administrator
    or the system may revoke it."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if actor is not None and actor.pk != locked.user_id and not user_has_role_anywhere(actor, Role.SECURITY_ADMIN):
        raise PermissionDenied(_("Only the token's owner or a security administrator can revoke it."))
    if locked.revoked_at is not None:
        raise Conflict(_("This token has already been revoked."))
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoke",
        partition=GLOBAL_PARTITION,
        object_type="api_token",
        object_id=locked.pk,
        before={"revoked_at": None},
        after={"user": locked.user_id, "name": locked.name, "prefix": locked.prefix, "revoked_at": locked.revoked_at},
    )
    return locked


def user_has_role_anywhere(user: User, role: str) -> bool:
    return RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists()


def organization_by_code(code: str) -> Organization:
    try:
        return Organization.objects.get(code=code)
    except Organization.DoesNotExist:
        raise NotFound(_("No organization has the code %(code)s.") % {"code": code}) from None


@transaction.atomic
def rulebook_publish_for(
    *, actor: User, organization: Organization, document: Any, source_name: str = "", note: str = ""
) -> PublishedRulebook:
    """Publish ``document`` as the next version of its rulebook for ``organization`` (and every
    organization beneath it), on behalf of staff holding the rulebook-publishing capability over
    it.  Deployment-wide versions stay with the command line (``manage.py rulebook_publish``)."""
    if not has_capability(actor, Cap.RULEBOOK_PUBLISH, organization):
        raise PermissionDenied(_("You may not publish a rulebook version for this organization."))
    if not note.strip():
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"note": [str(_("Say why this version is published."))]}
        )
    return rulebook_publish(
        actor=actor, document=document, organization=organization, source_name=source_name, note=note.strip()
    )


__all__ = [
    "api_token_create",
    "api_token_revoke",
    "cadre_create",
    "cadre_update",
    "has_capability",
    "id_number_check_digit",
    "id_number_problem",
    "id_number_valid",
    "organization_by_code",
    "organization_create",
    "organization_tree_fields",
    "organization_tree_problem",
    "organization_update",
    "partition_for",
    "pinyin_of",
    "post_create",
    "post_update",
    "role_grant_create",
    "role_grant_update",
    "rulebook_publish_for",
    "tenure_start",
    "tenure_update",
    "user_create",
    "user_language_set",
]
