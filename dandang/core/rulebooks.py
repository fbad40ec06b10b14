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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from dandang.core.audit import GLOBAL_PARTITION, audit_record, to_json_value
from dandang.core.errors import Conflict, NotFound, ValidationFailed
from dandang.core.models import PublishedRulebook
from dandang.core.validation import pydantic_problems

DOCUMENT = "(document)"


class RulebookHeader(BaseModel):
    """The frame every rulebook file shares."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    schema_: str = Field(alias="schema")
    title: dict[str, str]
    source: str = ""
    content: dict[str, Any]


def rulebook_label_language() -> str:
    """The key of the active language in a rulebook's labels (``title``, list names…)."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    return "zh-hans" if language.startswith("zh") else "en"


def rulebook_label(label: Mapping[str, str] | None) -> str:
    """A label of a rulebook in the active language, else in English, else in any language."""
    if not label:
        return ""
    return label.get(rulebook_label_language()) or label.get("en") or next(iter(label.values()), "")


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
    origin: str  # "shipped", "deployment" or the code of the publishing organization
    path: str = ""  # the shipped file

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


class _StrictLoader(yaml.SafeLoader):
    """PyYAML silently keeps the last of two equal keys; a rulebook with a duplicated key is
    almost always a copy-and-paste mistake, so it is refused."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _say(translated: bool, message: str, **params: Any) -> str:
    """A problem of a rulebook document: in the active language for people (the web page, the
    command), in English for operators reading why the process did not start."""
    return (gettext(message) if translated else message) % params


def parse_rulebook(document: Any, *, source: str, origin: str = "shipped", translated: bool = False) -> Rulebook:
    """Validate a rulebook document (already parsed from YAML or JSON).  Every problem is
    collected — of the frame and of the content — so one run names them all.  ``translated``:
    problems in the active language."""
    if not isinstance(document, dict):
        problem = _say(translated, gettext_noop("a rulebook is a mapping with id, version, schema, title, content"))
        raise RulebookError(source, [(DOCUMENT, problem)])
    problems: list[tuple[str, str]] = []
    header: RulebookHeader | None = None
    try:
        header = RulebookHeader.model_validate(document)
    except PydanticValidationError as exc:
        problems.extend(pydantic_problems(exc, translated=translated))
    schema_path = document.get("schema")
    schema: Any = None
    if isinstance(schema_path, str) and schema_path:
        try:
            schema = import_string(schema_path)
        except ImportError:
            problems.append(("schema", _say(translated, gettext_noop("cannot import %(schema)s"), schema=schema_path)))
        else:
            if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
                problems.append(
                    ("schema", _say(translated, gettext_noop("%(schema)s is not a pydantic model"), schema=schema_path))
                )
                schema = None
    content: Any = None
    raw_content = document.get("content")
    if schema is not None and isinstance(raw_content, dict):
        try:
            content = schema.model_validate(raw_content)
        except PydanticValidationError as exc:
            problems.extend(pydantic_problems(exc, "content.", translated=translated))
    if problems or header is None:
        raise RulebookError(source, problems)
    return Rulebook(
        id=header.id,
        version=header.version,
        title=header.title,
        source=header.source,
        content=content,
        raw=document,
        origin=origin,
    )


def load_rulebook_text(text: str, *, source: str, translated: bool = False) -> Any:
    """Parse YAML (JSON is a subset of it) into a document, or raise :class:`RulebookError`
    naming the line (``translated``: in the active language; PyYAML's own words stay English)."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _say(
                translated, gettext_noop("line %(line)s, column %(column)s"), line=mark.line + 1, column=mark.column + 1
            )
            if mark is not None
            else DOCUMENT
        )
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulebookError(
            source, [(where, _say(translated, gettext_noop("not valid YAML: %(problem)s"), problem=problem))]
        ) from None


def rulebook_document_read(text: str, *, filename: str, translated: bool = False) -> Any:
    """The document of an uploaded or given rulebook file: JSON for a ``.json`` file (its own
    parser names the line of a syntax error), else YAML.  Raises :class:`RulebookError`."""
    if not filename.lower().endswith(".json"):
        return load_rulebook_text(text, source=filename, translated=translated)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = _say(translated, gettext_noop("line %(line)s, column %(column)s"), line=exc.lineno, column=exc.colno)
        problem = _say(translated, gettext_noop("not valid JSON: %(problem)s"), problem=exc.msg)
        raise RulebookError(filename, [(where, problem)]) from None


def load_rulebook_file(path: Path) -> Rulebook:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulebookError(str(path), [("(file)", str(exc))]) from None
    return parse_rulebook(load_rulebook_text(text, source=str(path)), source=str(path))


@cache
def _shipped_in(directory: str) -> dict[str, Rulebook]:
    root = Path(directory)
    if not root.is_dir():
        raise RulebookError(directory, [("(directory)", "the rulebook directory does not exist")])
    books: dict[str, Rulebook] = {}
    for path in sorted(root.glob("*.yaml")):
        book = replace(load_rulebook_file(path), path=str(path))
        if book.id in books:
            raise RulebookError(str(path), [("id", f"rulebook {book.id} is shipped twice")])
        books[book.id] = book
    return books


def shipped_rulebooks() -> dict[str, Rulebook]:
    """The national rulebooks of ``settings.DANDANG_RULEBOOK_DIR`` (read once per directory)."""
    return _shipped_in(str(settings.DANDANG_RULEBOOK_DIR))


def rulebook_cache_clear() -> None:
    _shipped_in.cache_clear()
    rulebook_cache_invalidate()


def validate_shipped_rulebooks() -> None:
    """Called at start-up (``CoreConfig.ready``): a broken file stops the process."""
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
    return parse_rulebook(row.content, source=row.ref, origin=origin)


class _TransactionMark:
    """A commit hook that does nothing: registered when the cache of effective rulebooks is
    filled, it stays among the connection's pending hooks exactly as long as the transaction (and
    every savepoint) it was registered in is open — Django drops it on commit, on rollback and on
    the rollback of any savepoint around it."""

    def __call__(self) -> None:
        return None


_CACHE_ATTR = "_dandang_rulebooks"


def _transaction_cache() -> dict[tuple[str, str | None], Rulebook] | None:
    """The effective rulebooks read in the current transaction, or None outside a transaction
    (in autocommit every call reads the database)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    state = getattr(connection, _CACHE_ATTR, None)
    if state is not None and any(hook is state[0] for _sids, hook, _robust in connection.run_on_commit):
        return state[1]
    mark = _TransactionMark()
    transaction.on_commit(mark)
    cache: dict[tuple[str, str | None], Rulebook] = {}
    setattr(connection, _CACHE_ATTR, (mark, cache))
    return cache


def rulebook_cache_invalidate() -> None:
    """Forget the effective rulebooks read in the current transaction (on publish)."""
    setattr(transaction.get_connection(), _CACHE_ATTR, None)


def rulebook_effective(rulebook_id: str, organization: Any = None) -> Rulebook:
    """The version in force for ``organization``: the newest version published for it or its
    nearest ancestor, else the newest deployment-wide version, else the shipped file.
    System-level (no viewer): rulebooks are not confidential.

    Read once per transaction for a rulebook and an organization path (services ask for the same
    rulebook many times in one operation); a publication in the transaction forgets what was read,
    and so does the rollback of the transaction or of the savepoint it was read in."""
    cache = _transaction_cache()
    key = (rulebook_id, organization.path if organization is not None else None)
    if cache is not None and key in cache:
        return cache[key]
    book = _rulebook_effective(rulebook_id, organization)
    if cache is not None:
        cache[key] = book
    return book


def _rulebook_effective(rulebook_id: str, organization: Any) -> Rulebook:
    shipped = shipped_rulebook(rulebook_id)
    rows = PublishedRulebook.objects.filter(rulebook_id=rulebook_id).select_related("organization")
    if organization is not None:
        codes = organization.path.strip("/").split("/")
        newest: dict[str, PublishedRulebook] = {}
        for candidate in rows.filter(organization__code__in=codes).order_by("version"):
            newest[candidate.organization.code] = candidate  # type: ignore[union-attr]
        for code in reversed(codes):
            if code in newest:
                return _from_published(newest[code])
    row = rows.filter(organization__isnull=True).order_by("-version").first()
    if row is not None:
        return _from_published(row)
    return shipped


def shipped_rulebook_text(rulebook_id: str) -> str:
    """The shipped file of a rulebook, as it is (comments included)."""
    return Path(shipped_rulebook(rulebook_id).path).read_text(encoding="utf-8")


def _merged(items: list[Any]) -> Any:
    """One template for the items of a list: the keys of all its mappings, first seen first."""
    merged: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            return items[0] if items else None
        for key, value in item.items():
            merged.setdefault(key, value)
    return merged


def _ordered_like(value: Any, template: Any) -> Any:
    """``value`` with the keys of its mappings in the order of ``template`` (the shipped
    document), the keys the template does not have after them in their own order.  PostgreSQL
    stores JSON keys in its own order; this gives back the order staff know from the file."""
    if isinstance(value, dict):
        known = template if isinstance(template, dict) else {}
        keys = [k for k in known if k in value] + [k for k in value if k not in known]
        return {k: _ordered_like(value[k], known.get(k)) for k in keys}
    if isinstance(value, list):
        inner = _merged(template) if isinstance(template, list) else None
        return [_ordered_like(item, inner) for item in value]
    return value


def published_rulebook_yaml(row: PublishedRulebook) -> str:
    """A published version as a YAML document, in the key order of the shipped file: what staff
    download to start the next version from (publishing it again gives the same content)."""
    document = _ordered_like(row.content, shipped_rulebook(row.rulebook_id).raw)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def rulebook_versions(rulebook_id: str) -> list[PublishedRulebook]:
    return list(
        PublishedRulebook.objects.filter(rulebook_id=rulebook_id)
        .select_related("organization", "published_by")
        .order_by("-version")
    )


def _invalid(problems: list[tuple[str, str]]) -> ValidationFailed:
    detail: dict[str, list[str]] = {}
    for key, problem in problems:
        detail.setdefault(key, []).append(problem)
    return ValidationFailed(_("The rulebook does not validate."), detail=detail)


@transaction.atomic
def rulebook_publish(
    *, actor: Any, document: Any, organization: Any = None, source_name: str = "", note: str = ""
) -> PublishedRulebook:
    """Publish ``document`` as the next version of its rulebook for ``organization`` (or the whole
    deployment when None).  Versions are numbered across the rulebook, after the shipped one; the
    document's own ``version`` is ignored.  Rows are only ever inserted: a published version is
    never edited (DESIGN.md "Rulebooks").  Callers check the actor's right to publish for
    ``organization``."""
    if not isinstance(document, dict):
        raise _invalid([(DOCUMENT, str(_("A rulebook is a mapping with id, schema, title and content.")))])
    if not isinstance(document.get("id"), str) or not document["id"]:
        raise _invalid([("id", str(_("The rulebook document has no id.")))])
    shipped = shipped_rulebook(document["id"])
    # Plain JSON (dates as ISO strings, keys as strings): what is hashed is what is stored.
    candidate = to_json_value(document)
    latest = PublishedRulebook.objects.filter(rulebook_id=shipped.id).aggregate(v=Max("version"))["v"]
    version = max(latest or 0, shipped.version) + 1
    candidate["version"] = version
    try:
        book = parse_rulebook(candidate, source=source_name or f"{shipped.id}@{version}", translated=True)
    except RulebookError as exc:
        raise _invalid(exc.problems) from None
    if candidate.get("schema") != shipped.raw.get("schema"):
        raise _invalid([("schema", str(_("An override must keep the schema of the rulebook it replaces.")))])
    text = json.dumps(candidate, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        with transaction.atomic():
            row = PublishedRulebook.objects.create(
                rulebook_id=book.id,
                version=version,
                organization=organization,
                content=candidate,
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                source_name=source_name[:200],
                note=note,
                published_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        # Two publications raced for the same version number; the unique constraint let one win.
        raise Conflict(_("Another version of this rulebook was published at the same time; try again.")) from None
    rulebook_cache_invalidate()
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
