import ast
import copy
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import override_settings

from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.rulebooks import (
    rulebook_cache_clear,
    rulebook_effective,
    rulebook_publish,
    rulebook_versions,
    shipped_rulebook,
    shipped_rulebooks,
)

SHIPPED_DIR = Path(settings.DANDANG_RULEBOOK_DIR)


@pytest.fixture(autouse=True)
def _fresh_cache():
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()


def security_document() -> dict:
    return yaml.safe_load((SHIPPED_DIR / "security.yaml").read_text(encoding="utf-8"))


def with_limit(limit: int) -> dict:
    doc = security_document()
    doc["content"]["login_lockout"]["failure_limit"] = limit
    return doc


# --- start-up validation -------------------------------------------------------------------


def test_shipped_rulebooks_validate():
    books = shipped_rulebooks()
    assert {"calendar", "security"} <= set(books)
    assert books["security"].content.login_lockout.failure_limit == 5
    assert books["security"].content.password.min_length == 10
    assert books["calendar"].ref == "calendar@1"
    for book in books.values():
        assert set(book.title) == {"zh-hans", "en"}, book.id


def start_up_error(tmp_path: Path, name: str, text: str) -> str:
    """The message CoreConfig.ready() stops the process with, for a directory holding one file."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    with override_settings(DANDANG_RULEBOOK_DIR=tmp_path), pytest.raises(ImproperlyConfigured) as exc:
        apps.get_app_config("core").ready()
    return str(exc.value)


def test_start_up_accepts_a_valid_directory(tmp_path):
    (tmp_path / "security.yaml").write_text(yaml.safe_dump(security_document()), encoding="utf-8")
    with override_settings(DANDANG_RULEBOOK_DIR=tmp_path):
        apps.get_app_config("core").ready()
        assert list(shipped_rulebooks()) == ["security"]


def test_start_up_names_file_and_line_of_broken_yaml(tmp_path):
    text = "id: security\nversion: 1\ncontent:\n  login_lockout: [5, 30\n  password: {}\n"
    message = start_up_error(tmp_path, "broken.yaml", text)
    assert "broken.yaml" in message
    assert "line 5" in message
    assert "not valid YAML" in message


def test_start_up_names_a_wrong_type_deep_in_the_content(tmp_path):
    doc = security_document()
    doc["content"]["login_lockout"]["failure_limit"] = "five"
    message = start_up_error(tmp_path, "security.yaml", yaml.safe_dump(doc, allow_unicode=True))
    assert "security.yaml: content.login_lockout.failure_limit: Input should be a valid integer" in message


def test_start_up_names_an_unknown_key(tmp_path):
    doc = security_document()
    doc["content"]["password"]["max_length"] = 64
    message = start_up_error(tmp_path, "security.yaml", yaml.safe_dump(doc, allow_unicode=True))
    assert "security.yaml: content.password.max_length: Extra inputs are not permitted" in message


def test_start_up_names_a_missing_field(tmp_path):
    doc = security_document()
    del doc["title"]
    del doc["content"]["login_lockout"]["cooloff_minutes"]
    message = start_up_error(tmp_path, "security.yaml", yaml.safe_dump(doc, allow_unicode=True))
    # Both problems, of the frame and of the content, in one run.
    assert "security.yaml: title: Field required" in message
    assert "security.yaml: content.login_lockout.cooloff_minutes: Field required" in message


def test_start_up_refuses_a_duplicated_key(tmp_path):
    text = (SHIPPED_DIR / "security.yaml").read_text(encoding="utf-8") + "version: 2\n"
    message = start_up_error(tmp_path, "security.yaml", text)
    assert "security.yaml" in message and "duplicate key 'version'" in message


def test_start_up_names_an_unimportable_schema(tmp_path):
    doc = security_document()
    doc["schema"] = "dandang.core.nowhere.Rules"
    message = start_up_error(tmp_path, "security.yaml", yaml.safe_dump(doc, allow_unicode=True))
    assert "security.yaml: schema: cannot import dandang.core.nowhere.Rules" in message


def test_start_up_refuses_the_same_rulebook_twice(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(security_document()), encoding="utf-8")
    message = start_up_error(tmp_path, "b.yaml", yaml.safe_dump(security_document()))
    assert "b.yaml: id: rulebook security is shipped twice" in message


def test_start_up_refuses_a_missing_directory(tmp_path):
    with override_settings(DANDANG_RULEBOOK_DIR=tmp_path / "absent"), pytest.raises(ImproperlyConfigured) as exc:
        apps.get_app_config("core").ready()
    assert "absent" in str(exc.value) and "does not exist" in str(exc.value)


def test_unknown_rulebook_is_not_found():
    with pytest.raises(NotFound):
        shipped_rulebook("no_such_book")


# --- publication ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_publishing_twice_gives_versions_2_and_3_and_never_edits(world):
    county = world.orgs["A"]
    first = rulebook_publish(actor=None, document=with_limit(6), organization=county, note="pilot")
    first_content = copy.deepcopy(PublishedRulebook.objects.get(pk=first.pk).content)
    second = rulebook_publish(actor=None, document=with_limit(7), organization=county)
    assert (first.ref, second.ref) == ("security@2", "security@3")
    # The first version is untouched by the second publication.
    again = PublishedRulebook.objects.get(pk=first.pk)
    assert again.content == first_content
    assert again.content["content"]["login_lockout"]["failure_limit"] == 6
    assert [row.version for row in rulebook_versions("security")] == [3, 2]
    events = AuditEvent.objects.filter(action="rulebook.publish").order_by("id")
    assert [e.object_id for e in events] == ["security@2", "security@3"]
    assert events[0].partition == "330102" and events[0].reason == "pilot"


@pytest.mark.django_db
def test_the_documents_own_version_is_ignored(world):
    doc = with_limit(6)
    doc["version"] = 99
    row = rulebook_publish(actor=None, document=doc)
    assert row.version == 2 and row.content["version"] == 2


@pytest.mark.django_db
def test_effective_is_nearest_ancestor_then_deployment_then_shipped(world):
    village = world.orgs["A-t1-v1"]  # city 330100 > county A 330102 > township > village
    assert rulebook_effective("security", village).origin == "shipped"
    assert rulebook_effective("security", village).ref == "security@1"

    rulebook_publish(actor=None, document=with_limit(8), organization=None)  # v2, deployment-wide
    assert rulebook_effective("security", village).ref == "security@2"
    assert rulebook_effective("security", village).origin == "deployment"
    assert rulebook_effective("security").ref == "security@2"

    rulebook_publish(actor=None, document=with_limit(6), organization=world.orgs["city"])  # v3
    rulebook_publish(actor=None, document=with_limit(7), organization=world.orgs["A"])  # v4
    rulebook_publish(actor=None, document=with_limit(9), organization=None)  # v5, deployment-wide
    rulebook_publish(actor=None, document=with_limit(4), organization=world.orgs["A"])  # v6, newest of A

    effective = rulebook_effective("security", village)
    assert (effective.ref, effective.origin) == ("security@6", "330102")
    assert effective.content.login_lockout.failure_limit == 4
    # County B has no override of its own: its nearest ancestor with one is the city.
    assert rulebook_effective("security", world.orgs["B-t1-v1"]).ref == "security@3"
    # Without an organization: the newest deployment-wide version.
    assert rulebook_effective("security").ref == "security@5"


@pytest.mark.django_db
def test_effective_is_read_once_per_transaction_and_forgotten_on_publish(world, django_assert_num_queries):
    village, town = world.orgs["A-t1-v1"], world.orgs["A-t1"]
    first = rulebook_effective("security", village)
    with django_assert_num_queries(0):  # read again in the same transaction: from the cache
        assert rulebook_effective("security", village) is first
    with django_assert_num_queries(2):  # another organization path is read on its own
        assert rulebook_effective("security", town).ref == "security@1"
    rulebook_publish(actor=None, document=with_limit(6), organization=world.orgs["A"])
    # The publication forgets what was read: both paths see the new version at once.
    assert rulebook_effective("security", village).ref == "security@2"
    assert rulebook_effective("security", town).ref == "security@2"
    assert rulebook_effective("security", world.orgs["B-t1-v1"]).ref == "security@1"


@pytest.mark.django_db
def test_a_rolled_back_publication_leaves_no_cached_rulebook(world):
    village = world.orgs["A-t1-v1"]
    assert rulebook_effective("security", village).ref == "security@1"
    with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint, rolled back
        rulebook_publish(actor=None, document=with_limit(6), organization=world.orgs["A"])
        assert rulebook_effective("security", village).ref == "security@2"  # cached in the savepoint
        raise RuntimeError
    # What was read in the rolled-back savepoint is forgotten with it.
    assert not PublishedRulebook.objects.exists()
    assert rulebook_effective("security", village).ref == "security@1"
    # A savepoint that is kept keeps what was read in it.
    with transaction.atomic():
        rulebook_publish(actor=None, document=with_limit(7), organization=world.orgs["A"])
    effective = rulebook_effective("security", village)  # version 2 again: the first was rolled back
    assert (effective.ref, effective.content.login_lockout.failure_limit) == ("security@2", 7)


@pytest.mark.django_db
def test_invalid_document_lists_every_problem_and_writes_nothing(world):
    doc = security_document()
    doc["content"]["login_lockout"]["failure_limit"] = 0
    doc["content"]["password"]["min_length"] = "long"
    doc["colour"] = "red"
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        rulebook_publish(actor=None, document=doc, organization=world.orgs["A"])
    assert set(exc.value.detail) == {
        "colour",
        "content.login_lockout.failure_limit",
        "content.password.min_length",
    }
    assert not PublishedRulebook.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "error"),
    [
        ("not a mapping", ValidationFailed),
        ({"version": 2}, ValidationFailed),
        ({**security_document(), "id": "no_such_book"}, NotFound),
        ({**security_document(), "schema": "dandang.core.calendar.CalendarRules"}, ValidationFailed),
    ],
)
def test_bad_documents_are_refused(document, error):
    with pytest.raises(error):
        rulebook_publish(actor=None, document=document)
    assert not PublishedRulebook.objects.exists()
    assert not AuditEvent.objects.filter(action="rulebook.publish").exists()


# --- a published version is never edited --------------------------------------------------

WRITES = {"create", "update", "save", "delete", "bulk_create", "bulk_update", "update_or_create", "get_or_create"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _rulebook_writes(path: Path) -> set[tuple[str, str]]:
    """Calls that write through PublishedRulebook (``PublishedRulebook.objects….create()``,
    ``PublishedRulebook(...)``), each with the innermost function it is in."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]

    def enclosing(line: int) -> str:
        inside = [f for f in functions if f.lineno <= line <= (f.end_lineno or f.lineno)]
        return max(inside, key=lambda f: f.lineno).name if inside else "<module>"

    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        is_write = isinstance(target, ast.Attribute) and target.attr in WRITES
        is_new = isinstance(target, ast.Name) and target.id == "PublishedRulebook"
        if (is_write and _root_name(target) == "PublishedRulebook") or is_new:
            found.add((enclosing(node.lineno), ast.unparse(target)))
    return found


def test_rulebook_publish_is_the_only_write_path():
    """No service updates or deletes a published version: the only code that writes
    PublishedRulebook rows is the insert in ``rulebook_publish``."""
    package = Path(__file__).resolve().parents[2]
    writers = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).parts
        if "tests" in parts or "migrations" in parts:
            continue
        if "PublishedRulebook" not in path.read_text(encoding="utf-8"):
            continue
        calls = _rulebook_writes(path)
        if calls:
            writers[str(path.relative_to(package))] = calls
    assert writers == {"core/rulebooks.py": {("rulebook_publish", "PublishedRulebook.objects.create")}}


def test_the_write_path_scan_finds_writes(tmp_path):
    """The scan above would see an update or a save if someone wrote one."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def edit(pk):\n"
        "    PublishedRulebook.objects.filter(pk=pk).update(note='x')\n"
        "    PublishedRulebook(rulebook_id='a').save()\n",
        encoding="utf-8",
    )
    assert _rulebook_writes(sample) == {
        ("edit", "PublishedRulebook.objects.filter(pk=pk).update"),
        ("edit", "PublishedRulebook(rulebook_id='a').save"),
        ("edit", "PublishedRulebook"),
    }
