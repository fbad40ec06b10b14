"""The rulebooks page: who sees it, the versions in force and their history (never another
county's), downloads as YAML, publishing a new version for an organization of the viewer's
jurisdiction through the page and the service, and every kind of bad input refused with nothing
written, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from dandang.core.errors import PermissionDenied
from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.rulebooks import rulebook_effective, rulebook_publish
from dandang.org.services import rulebook_publish_for
from dandang.testing import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

URL = "/rulebooks/"
SHIPPED = Path(settings.DANDANG_RULEBOOK_DIR)
SECURITY = (SHIPPED / "security.yaml").read_text(encoding="utf-8")


def login(world: World, username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(world.user(username))
    return client


def counts() -> tuple[int, int]:
    return PublishedRulebook.objects.count(), AuditEvent.objects.count()


def security(**changes: object) -> dict:
    doc = yaml.safe_load(SECURITY)
    doc["content"]["login_lockout"].update(changes)
    return doc


def upload(text: str | bytes, name: str = "security.yaml") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="application/yaml")


def form(world: World, org: str = "A", *, text: str | bytes = SECURITY, name: str = "security.yaml", **extra):
    data = {"rulebook": "security", "organization": world.orgs[org].pk, "note": "县委组织部会议决定"}
    data.update(extra)
    if name:
        data["file"] = upload(text, name)
    return data


def problems(response) -> list[tuple[str, str]]:
    return response.context["problems"]


# --- who sees the page --------------------------------------------------------------------


def test_url_names():
    assert reverse("org:rulebooks") == URL
    assert reverse("org:rulebook_download", args=["security", 2]) == "/rulebooks/security/2.yaml"


@pytest.mark.parametrize("username", ["staff_a", "staff_b", "staff_city"])
def test_organization_staff_see_every_shipped_rulebook(world, username):
    response = login(world, username).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for rulebook_id in ("archive", "calendar", "security", "tolerance"):
        assert f'id="rulebook-{rulebook_id}"' in page
        assert f'href="/rulebooks/{rulebook_id}/1.yaml"' in page
    assert "Account security (login lockout and password length)" in page
    assert 'id="rulebook-security-effective">security@1<' in page
    assert 'name="file"' in page and 'hx-post="/rulebooks/"' in page and 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize(
    "username", ["leader_a", "sysadmin_a", "security_a", "auditor_a", "discipline_a", "cadre_a1", "nobody"]
)
def test_the_page_does_not_exist_for_others(world, username):
    client = login(world, username)
    assert client.get(URL).status_code == 404
    assert client.get("/rulebooks/security/1.yaml").status_code == 404
    before = counts()
    assert client.post(URL, form(world)).status_code == 404
    assert counts() == before


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_navigation_entry_for_publishers_only(world):
    assert 'href="/rulebooks/"' in login(world, "staff_a").get("/").content.decode()
    assert 'href="/rulebooks/"' not in login(world, "leader_a").get("/").content.decode()


def test_the_organizations_offered_are_those_of_the_viewers_jurisdiction(world):
    offered = set(login(world, "staff_a").get(URL).context["form"].fields["organization"].queryset)
    assert world.orgs["A"] in offered and world.orgs["A-t1-v1"] in offered
    assert world.orgs["B"] not in offered and world.orgs["city"] not in offered
    city = set(login(world, "staff_city").get(URL).context["form"].fields["organization"].queryset)
    assert {world.orgs["city"], world.orgs["A"], world.orgs["B"]} <= city


def test_county_b_never_sees_county_a_versions(world):
    rulebook_publish_for(
        actor=world.user("staff_a"), organization=world.orgs["A"], document=security(failure_limit=7), note="甲县试点"
    )
    rulebook_publish(actor=None, document=security(failure_limit=9), note="全系统")
    page_a = login(world, "staff_a").get(URL).content.decode()
    assert 'id="version-security-2"' in page_a and "甲县试点" in page_a
    assert 'id="rulebook-security-effective">security@2<' in page_a
    page_b = login(world, "staff_b").get(URL).content.decode()
    assert 'id="version-security-2"' not in page_b and "甲县试点" not in page_b
    assert 'id="version-security-3"' in page_b  # the deployment-wide version concerns everyone
    assert 'id="rulebook-security-effective">security@3<' in page_b
    assert login(world, "staff_b").get("/rulebooks/security/2.yaml").status_code == 404
    # The city's staff oversee both counties.
    assert 'id="version-security-2"' in login(world, "staff_city").get(URL).content.decode()


# --- downloads ----------------------------------------------------------------------------


def test_the_shipped_file_downloads_as_it_is(world):
    response = login(world, "staff_a").get("/rulebooks/tolerance/1.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert 'filename="tolerance-1.yaml"' in response["Content-Disposition"]
    assert response.content == (SHIPPED / "tolerance.yaml").read_bytes()


@pytest.mark.parametrize("path", ["/rulebooks/nothing/1.yaml", "/rulebooks/security/9.yaml"])
def test_unknown_rulebooks_and_versions_are_not_found(world, path):
    assert login(world, "staff_a").get(path).status_code == 404


@pytest.mark.parametrize("rulebook_id", ["security", "tolerance", "archive"])
def test_download_then_upload_publishes_the_same_content(world, rulebook_id):
    client = login(world, "staff_a")
    shipped = client.get(f"/rulebooks/{rulebook_id}/1.yaml").content.decode()
    response = client.post(URL, form(world, text=shipped, name=f"{rulebook_id}.yaml", rulebook=rulebook_id))
    assert response.status_code == 302
    first = PublishedRulebook.objects.get(rulebook_id=rulebook_id)
    downloaded = client.get(f"/rulebooks/{rulebook_id}/{first.version}.yaml")
    assert downloaded.status_code == 200
    text = downloaded.content.decode()
    assert text.startswith(f"id: {rulebook_id}\nversion: {first.version}\nschema: ")  # the document's order
    if rulebook_id == "tolerance":
        assert "容错" in text  # allow_unicode: Chinese as it is, not escaped
    response = client.post(URL, form(world, text=text, name=f"{rulebook_id}.yaml", rulebook=rulebook_id))
    assert response.status_code == 302
    second = PublishedRulebook.objects.filter(rulebook_id=rulebook_id).latest("version")
    assert second.version == first.version + 1
    assert {**second.content, "version": 0} == {**first.content, "version": 0}
    assert second.content["version"] == second.version


# --- publishing ---------------------------------------------------------------------------


def test_publishing_through_the_page(world):
    client = login(world, "staff_a")
    doc = security(failure_limit=7)
    response = client.post(URL, form(world, text=yaml.safe_dump(doc, allow_unicode=True), name="ours.yml"))
    assert response.status_code == 302 and response["Location"] == "/rulebooks/#rulebook-security"
    row = PublishedRulebook.objects.get()
    assert (row.ref, row.organization, row.published_by) == ("security@2", world.orgs["A"], world.user("staff_a"))
    assert (row.note, row.source_name) == ("县委组织部会议决定", "ours.yml")
    event = AuditEvent.objects.get(action="rulebook.publish")
    assert event.actor == world.user("staff_a") and event.object_id == "security@2"
    assert rulebook_effective("security", world.orgs["A-t1"]).content.login_lockout.failure_limit == 7
    assert rulebook_effective("security", world.orgs["B"]).version == 1
    page = client.get(URL)
    html = page.content.decode()
    assert "security@2 was published for 甲县; it is in force from now on." in html
    assert 'id="rulebook-security-effective">security@2<' in html and 'id="version-security-2"' in html


def test_a_tolerance_version_shows_on_the_lists_page_of_that_county_only(world):
    text = (SHIPPED / "tolerance.yaml").read_text(encoding="utf-8")
    response = login(world, "staff_a").post(URL, form(world, text=text, name="tolerance.yaml", rulebook="tolerance"))
    assert response.status_code == 302
    lists_a = login(world, "staff_a").get("/tolerance/lists/").content.decode()
    assert 'id="rulebook-ref">tolerance@2<' in lists_a
    assert 'href="/rulebooks/?rulebook=tolerance#rulebook-tolerance"' in lists_a  # the link replaced the hint
    lists_b = login(world, "staff_b").get("/tolerance/lists/").content.decode()
    assert 'id="rulebook-ref">tolerance@1<' in lists_b and "tolerance@2" not in lists_b


def test_publishing_for_an_organization_beneath_the_county(world):
    response = login(world, "staff_a").post(URL, form(world, "A-t1"))
    assert response.status_code == 302
    assert PublishedRulebook.objects.get().organization == world.orgs["A-t1"]


def test_htmx_swaps_the_form_and_redirects_on_success(world):
    client = login(world, "staff_a")
    bad = client.post(URL, form(world, text="id: security\ncontent: [1,\n"), HTTP_HX_REQUEST="true")
    assert bad.status_code == 200  # htmx swaps 2xx answers only
    assert bad.templates[0].name == "org/_rulebook_form.html" and "not valid YAML" in bad.content.decode()
    good = client.post(URL, form(world), HTTP_HX_REQUEST="true")
    assert good["HX-Redirect"] == "/rulebooks/#rulebook-security"
    assert PublishedRulebook.objects.get().ref == "security@2"


# --- bad input: every problem shown, nothing written ------------------------------------


def _bad_schema() -> str:
    doc = security(failure_limit="many")
    doc["content"]["password"]["colour"] = "red"
    del doc["title"]
    return yaml.safe_dump(doc, allow_unicode=True)


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (lambda w: form(w, name=""), "file", ["This field is required."]),
        (lambda w: form(w, name="security.txt"), "file", ["Only .yaml, .yml and .json files can be published."]),
        (
            lambda w: form(w, text="id: 安全\n".encode("gbk")),
            "file",
            ["The file is not UTF-8 text: save it as UTF-8 and upload it again."],
        ),
        (lambda w: form(w, rulebook="tolerance"), "file", ["The file is the rulebook security, not tolerance"]),
        (lambda w: form(w, note="  "), "note", ["This field is required."]),
        (lambda w: form(w, rulebook="nothing"), "rulebook", ["Select a valid choice."]),
        # Outside the jurisdiction: county B is not among the organizations offered to staff_a.
        (lambda w: form(w, "B"), "organization", ["Select a valid choice."]),
        (lambda w: form(w, "city"), "organization", ["Select a valid choice."]),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, data, field, expected):
    before = counts()
    response = login(world, "staff_a").post(URL, data(world))
    assert response.status_code == 422
    errors = response.context["form"].errors[field]
    for text in expected:
        assert any(text in error for error in errors), errors
    assert counts() == before


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("id: security\ncontent: [1,\n", "security.yaml", [("line 3, column 1", "not valid YAML: ")]),
        ('{"id": "security",}', "security.json", [("line 1, column 19", "not valid JSON: ")]),
        (SECURITY + "version: 2\n", "security.yaml", [("line 21", "not valid YAML: duplicate key 'version'")]),
        (
            _bad_schema(),
            "security.yaml",
            [
                ("title", "This field is required."),
                ("content.login_lockout.failure_limit", "Enter a whole number."),
                ("content.password.colour", "This field is not allowed here."),
            ],
        ),
    ],
)
def test_every_problem_of_the_document_is_listed_with_its_key(world, text, name, expected):
    before = counts()
    response = login(world, "staff_a").post(URL, form(world, text=text, name=name))
    assert response.status_code == 422
    found = problems(response)
    for key, message in expected:
        assert any(k.startswith(key) and message in m for k, m in found), found
    html = response.content.decode()
    assert 'id="rulebook-problems"' in html and "Nothing was published" in html
    assert counts() == before


def test_a_too_large_file_is_refused(world):
    before = counts()
    with override_settings(DANDANG_RULEBOOK_MAX_BYTES=100):
        response = login(world, "staff_a").post(URL, form(world))
    assert response.status_code == 422
    assert "The file is larger than 100" in response.context["form"].errors["file"][0]
    assert counts() == before


def test_a_changed_schema_is_refused(world):
    doc = yaml.safe_load(SECURITY)
    doc["schema"] = "dandang.archive.rules.ArchiveRules"
    before = counts()
    response = login(world, "staff_a").post(URL, form(world, text=yaml.safe_dump(doc)))
    assert response.status_code == 422
    assert any(key.startswith("content.") for key, _m in problems(response))
    assert counts() == before


@pytest.mark.parametrize("org", ["B", "city", "B-t1"])
def test_the_service_refuses_an_organization_outside_the_jurisdiction(world, org):
    before = counts()
    with pytest.raises(PermissionDenied):
        rulebook_publish_for(
            actor=world.user("staff_a"), organization=world.orgs[org], document=security(), note="越权"
        )
    assert counts() == before


@pytest.mark.parametrize("username", ["leader_a", "sysadmin_a", "nobody"])
def test_the_service_refuses_users_without_the_capability(world, username):
    before = counts()
    with pytest.raises(PermissionDenied):
        rulebook_publish_for(actor=world.user(username), organization=world.orgs["A"], document=security(), note="x")
    assert counts() == before


# --- both languages -----------------------------------------------------------------------


def test_in_english(world):
    client = login(world, "staff_a", "en")
    page = client.get(URL).content.decode()
    assert "<h1>Rulebooks</h1>" in page and "Account security (login lockout and password length)" in page
    response = client.post(URL, form(world, text=_bad_schema()))
    html = response.content.decode()
    assert "3 problems were found. Nothing was published" in html
    assert "content.login_lockout.failure_limit" in html and "Enter a whole number." in html


def test_in_chinese(world):
    client = login(world, "staff_a", "zh-hans")
    page = client.get(URL).content.decode()
    assert "<h1>规则手册</h1>" in page and "账户安全（登录锁定与口令长度）" in page
    assert ">规则手册</a>" in page  # the navigation entry
    response = client.post(URL, form(world, text=_bad_schema()))
    assert response.status_code == 422
    found = dict(problems(response))
    assert found["content.login_lockout.failure_limit"] == "请输入整数。"
    assert found["title"] == "此项为必填项。"
    broken = client.post(URL, form(world, text="id: security\ncontent: [1,\n"))
    (key, message), *_rest = problems(broken)
    assert key == "第 3 行，第 1 列" and message.startswith("不是有效的 YAML：")
    assert counts() == (0, AuditEvent.objects.count())
    assert not PublishedRulebook.objects.exists()
