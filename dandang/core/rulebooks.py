"""Rulebooks (DESIGN.md "Rulebooks").

Every number of POLICY.md lives in a rulebook.  National defaults ship as YAML files under
``dandang/rulebooks/``; each file names the pydantic model that validates its ``content``.  A
jurisdiction publishes an override as a new version (:func:`rulebook_publish`); a published
version is never edited.  The effective rulebook for an organization is the newest version
published for it or its nearest ancestor, else a deployment-wide version, else the shipped file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from dandang.core.audit import GLOBAL_PARTITION, audit_record
from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.models import PublishedRulebook


class RulebookHeader(BaseModel):
    """The frame every rulebook file shares."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    schema_: str = Field(alias="schema")
    title: dict[str, str]
    source: str = ""
    content: dict[str, Any]


class RulebookError(Exception):
    """A rulebook document that does not validate; names file, key and problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {problem}" for key, problem in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Rulebook:
    id: str
    version: int
    title: dict[str, str]
    source: str
    content: Any  # the validated pydantic model of the rulebook's schema
    raw: dict[str, Any]
    origin: str  # "shipped" or the published organization code or "deployment"

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def _problems(exc: PydanticValidationError, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        out.append((f"{prefix}{key}" if key else prefix.rstrip(".") or "(document)", err["msg"]))
    return out


def parse_rulebook(document: Any, *, source: str, origin: str = "shipped") -> Rulebook:
    """Validate a rulebook document (already parsed from YAML or JSON)."""
    if not isinstance(document, dict):
        raise RulebookError(
            source, [("(document)", "a rulebook is a mapping with id, version, schema, title, content")]
        )
    try:
        header = RulebookHeader.model_validate(document)
    except PydanticValidationError as exc:
        raise RulebookError(source, _problems(exc)) from None
    try:
        schema = import_string(header.schema_)
    except ImportError:
        raise RulebookError(source, [("schema", f"cannot import {header.schema_}")]) from None
    try:
        content = schema.model_validate(header.content)
    except PydanticValidationError as exc:
        raise RulebookError(source, _problems(exc, "content.")) from None
    return Rulebook(
        id=header.id,
        version=header.version,
        title=header.title,
        source=header.source,
        content=content,
        raw=document,
        origin=origin,
    )


def load_rulebook_file(path: Path) -> Rulebook:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(document)"
        raise RulebookError(str(path), [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except OSError as exc:
        raise RulebookError(str(path), [("(file)", str(exc))]) from None
    return parse_rulebook(document, source=str(path))


@cache
def shipped_rulebooks() -> dict[str, Rulebook]:
    directory = Path(settings.DANDANG_RULEBOOK_DIR)
    books: dict[str, Rulebook] = {}
    for path in sorted(directory.glob("*.yaml")):
        book = load_rulebook_file(path)
        if book.id in books:
            raise RulebookError(str(path), [("id", f"rulebook {book.id} is shipped twice")])
        books[book.id] = book
    return books


def validate_shipped_rulebooks() -> None:
    try:
        shipped_rulebooks()
    except RulebookError as exc:
        raise ImproperlyConfigured(f"Invalid rulebook:\n{exc}") from None


def shipped_rulebook(rulebook_id: str) -> Rulebook:
    try:
        return shipped_rulebooks()[rulebook_id]
    except KeyError:
        raise NotFound(_("No rulebook is called %(id)s.") % {"id": rulebook_id}) from None


def _from_published(row: PublishedRulebook) -> Rulebook:
    origin = row.organization.code if row.organization is not None else "deployment"
    return parse_rulebook(row.content, source=f"{row.rulebook_id}@{row.version}", origin=origin)


def rulebook_effective(rulebook_id: str, organization: Any = None) -> Rulebook:
    """The version in force for ``organization`` (system-level; no viewer)."""
    shipped = shipped_rulebook(rulebook_id)
    rows = PublishedRulebook.objects.filter(rulebook_id=rulebook_id).select_related("organization")
    if organization is not None:
        codes = organization.path.strip("/").split("/")
        for code in reversed(codes):
            row = rows.filter(organization__code=code).order_by("-version").first()
            if row is not None:
                return _from_published(row)
    row = rows.filter(organization__isnull=True).order_by("-version").first()
    if row is not None:
        return _from_published(row)
    return shipped


def rulebook_versions(rulebook_id: str) -> list[PublishedRulebook]:
    return list(
        PublishedRulebook.objects.filter(rulebook_id=rulebook_id)
        .select_related("organization", "published_by")
        .order_by("-version")
    )


@transaction.atomic
def rulebook_publish(
    *, actor: Any, document: dict[str, Any], organization: Any = None, source_name: str = "", note: str = ""
) -> PublishedRulebook:
    """Publish ``document`` as the next version of its rulebook for ``organization`` (or the whole
    deployment when None).  The version number is assigned here; the document's own is ignored.
    Callers check the actor's right to publish for ``organization``."""
    if not isinstance(document, dict) or "id" not in document:
        raise ValidationFailed(_("The rulebook document has no id."))
    shipped = shipped_rulebook(str(document["id"]))
    latest = (
        PublishedRulebook.objects.select_for_update().filter(rulebook_id=shipped.id).aggregate(v=Max("version"))["v"]
    )
    version = max(latest or 0, shipped.version) + 1
    candidate = {**document, "version": version}
    try:
        book = parse_rulebook(candidate, source=source_name or f"{shipped.id}@{version}")
    except RulebookError as exc:
        raise ValidationFailed(
            _("The rulebook does not validate."), detail={key: [problem] for key, problem in exc.problems}
        ) from None
    if book.raw.get("schema") != shipped.raw.get("schema"):
        raise ValidationFailed(_("A rulebook override must keep the schema of the rulebook it replaces."))
    text = json.dumps(candidate, sort_keys=True, ensure_ascii=False)
    row = PublishedRulebook.objects.create(
        rulebook_id=book.id,
        version=version,
        organization=organization,
        content=candidate,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_name=source_name,
        note=note,
        published_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="rulebook.publish",
        partition=organization.audit_partition if organization is not None else GLOBAL_PARTITION,
        object_type="rulebook",
        object_id=row.ref,
        after={
            "rulebook": book.id,
            "version": version,
            "organization": getattr(organization, "code", None),
            "sha256": row.sha256,
        },
        reason=note,
    )
    return row
