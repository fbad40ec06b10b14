"""``manage.py rulebook_publish FILE [--org CODE] [--note TEXT]``."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.rulebooks import rulebook_effective

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

SHIPPED = Path(settings.DANDANG_RULEBOOK_DIR) / "security.yaml"


def document(limit: int = 6) -> dict:
    doc = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    doc["content"]["login_lockout"]["failure_limit"] = limit
    return doc


def publish(*args: str) -> str:
    out = StringIO()
    call_command("rulebook_publish", *args, stdout=out)
    return out.getvalue().strip()


def refused(*args: str) -> str:
    with translation.override("en"), pytest.raises(CommandError) as exc:
        call_command("rulebook_publish", *args)
    assert exc.value.returncode == 1  # the process exits non-zero
    assert not PublishedRulebook.objects.exists()
    assert not AuditEvent.objects.filter(action="rulebook.publish").exists()
    return str(exc.value)


def test_yaml_for_an_organization_then_json_deployment_wide(world, tmp_path):
    yaml_file = tmp_path / "security-330102.yaml"
    yaml_file.write_text(yaml.safe_dump(document(6), allow_unicode=True), encoding="utf-8")
    assert publish(str(yaml_file), "--org", "330102", "--note", "county pilot") == "security@2"
    json_file = tmp_path / "security.json"
    json_file.write_text(json.dumps(document(8), ensure_ascii=False), encoding="utf-8")
    assert publish(str(json_file)) == "security@3"

    first, second = PublishedRulebook.objects.order_by("version")
    assert (first.organization, first.note, first.source_name) == (world.orgs["A"], "county pilot", yaml_file.name)
    assert second.organization is None
    assert rulebook_effective("security", world.orgs["A-t1-v1"]).content.login_lockout.failure_limit == 6
    assert rulebook_effective("security", world.orgs["B"]).content.login_lockout.failure_limit == 8
    # Publishing the same file again is a new version, never an edit of the old one.
    assert publish(str(yaml_file), "--org", "330102") == "security@4"
    assert PublishedRulebook.objects.get(version=2).note == "county pilot"


def test_the_shipped_file_itself_can_be_adopted(world):
    assert publish(str(SHIPPED), "--org", "330103") == "security@2"


def test_unknown_organization(world, tmp_path):
    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(document(), allow_unicode=True), encoding="utf-8")
    message = refused(str(path), "--org", "999999")
    assert "999999" in message and "nothing was published" in message


def test_invalid_document_lists_every_problem(world, tmp_path):
    doc = document()
    doc["content"]["login_lockout"]["failure_limit"] = "many"
    doc["content"]["password"]["colour"] = "red"
    del doc["title"]
    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    message = refused(str(path), "--org", "330102")
    assert "title: This field is required." in message
    assert "content.login_lockout.failure_limit: Enter a whole number." in message
    assert "content.password.colour: This field is not allowed here." in message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("broken.yaml", "id: security\ncontent: [1,\n", "not valid YAML"),
        ("broken.json", '{"id": "security",}', "not valid JSON"),
        ("list.yaml", "- 1\n- 2\n", "a mapping"),
        ("other.yaml", "id: no_such_book\n", "No rulebook is called no_such_book"),
    ],
)
def test_unreadable_documents(world, tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert expected in refused(str(path))


def test_missing_file(world, tmp_path):
    assert "cannot read" in refused(str(tmp_path / "absent.yaml"))
