"""Keeping the holiday table: the service's permission check, the page and the command."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dandang.core.calendar import add_working_days, package_years
from dandang.core.errors import PermissionDenied
from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.workdays import Deadline
from dandang.org.calendar_admin import holiday_table_may_publish, holiday_table_publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

D = dt.date
URL = "/holidays/"
NOTICE = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"
FORM = {
    "year": "2027",
    "holidays": "2027-01-01\n2027-02-06..2027-02-12",
    "workdays": "2027-02-14",
    "source": NOTICE,
}


@pytest.fixture(autouse=True)
def _2027_uncovered():
    assert 2027 not in package_years(), "chinese-calendar now covers 2027: move these tests to the next year"


def nothing_published():
    assert not PublishedRulebook.objects.exists()
    assert not AuditEvent.objects.filter(action="rulebook.publish").exists()


def logged_in(world, name):
    client = Client()
    client.force_login(world.user(name))
    return client


# --- the service -----------------------------------------------------------------------------


def test_url_name():
    assert reverse("org:holidays") == URL


def test_only_staff_of_a_top_level_organization_may_publish(world):
    assert holiday_table_may_publish(world.user("staff_city"))
    for name in ("staff_a", "leader_a", "sysadmin_a", "security_a", "auditor_a", "cadre_a1", "nobody"):
        assert not holiday_table_may_publish(world.user(name)), name


@pytest.mark.parametrize("name", ["staff_a", "leader_a", "sysadmin_a", "nobody"])
def test_others_are_refused_and_nothing_is_written(world, name):
    with pytest.raises(PermissionDenied):
        holiday_table_publish(actor=world.user(name), year=2027, holidays=[D(2027, 1, 1)], workdays=[], source=NOTICE)
    nothing_published()


def test_staff_of_the_top_level_organization_publishes(world):
    actor = world.user("staff_city")
    row = holiday_table_publish(
        actor=actor, year=2027, holidays=[D(2027, 1, 1)], workdays=[D(2027, 2, 14)], source=NOTICE
    )
    assert row.ref == "calendar@2" and row.published_by == actor and row.organization is None
    event = AuditEvent.objects.get(action="rulebook.publish")
    assert event.actor == actor and event.object_id == "calendar@2"
    assert add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), False)


# --- the page --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_everyone_logged_in_sees_the_years_but_only_publishers_the_form(world):
    with translation.override("en"):
        page = logged_in(world, "leader_a").get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<table" in html and "chinese-calendar" in html and "2026" in html
    assert 'name="holidays"' not in html
    publisher = logged_in(world, "staff_city").get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert 'name="holidays"' in publisher.content.decode()
    assert 'name="csrfmiddlewaretoken"' in publisher.content.decode()


def test_publishing_through_the_page(world):
    client = logged_in(world, "staff_city")
    response = client.post(URL, FORM, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == URL
    row = PublishedRulebook.objects.get()
    assert row.ref == "calendar@2"
    year = row.content["content"]["years"]["2027"]
    assert year["holidays"] == ["2027-01-01", *[f"2027-02-{d:02d}" for d in range(6, 13)]]
    assert year["workdays"] == ["2027-02-14"] and year["source"] == NOTICE
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "calendar@2" in page and NOTICE in page
    assert "calendar@2" in page[page.index("2027") :]  # the 2027 row names the rulebook version


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"holidays": "2027-01-01, 2027-13-01, soon"}, "holidays", "2027-13-01"),
        ({"holidays": "2027-02-12..2027-02-06"}, "holidays", "ends before it starts"),
        ({"holidays": ""}, "holidays", "This field is required"),
        ({"workdays": "2027-02-15"}, "workdays", "Saturday or Sunday"),
        ({"workdays": "2027-01-01"}, "workdays", "both as holiday and as working day"),
        ({"holidays": "2028-01-01"}, "holidays", "not in 2027"),
        ({"source": ""}, "source", "This field is required"),
        ({"year": "twenty"}, "year", "Enter a whole number"),
        ({"year": "1999"}, "year", "greater than or equal to 2000"),
    ],
)
def test_bad_input_is_shown_and_nothing_is_written(world, changes, field, text):
    response = logged_in(world, "staff_city").post(URL, {**FORM, **changes}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    form = response.context["form"]
    assert any(text in message for message in form.errors[field]), form.errors
    assert text in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    nothing_published()


def test_every_problem_is_shown_at_once(world):
    bad = {**FORM, "holidays": "2027-02-30, 2027-01-01..2027-01-40", "workdays": "yesterday", "source": ""}
    response = logged_in(world, "staff_city").post(URL, bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert len(errors["holidays"]) == 2
    assert set(errors) == {"holidays", "workdays", "source"}
    nothing_published()


@pytest.mark.parametrize("name", ["staff_a", "leader_a", "sysadmin_a"])
def test_a_post_by_anyone_else_is_forbidden(world, name):
    response = logged_in(world, name).post(URL, FORM)
    assert response.status_code == 403
    nothing_published()


def test_the_form_needs_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("staff_city"))
    assert client.post(URL, FORM).status_code == 403
    nothing_published()


def test_other_methods_are_refused(world):
    assert logged_in(world, "staff_city").put(URL).status_code == 405
    nothing_published()


# --- the command -----------------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command("holidays_publish", *args, stdout=out)
    return out.getvalue().strip()


def test_command_publishes_ranges_and_workdays(world):
    ref = run(
        "--year", "2027", "--holidays", "2027-01-01,2027-02-06..2027-02-12", "--workdays", "2027-02-14",
        "--source", NOTICE,
    )  # fmt: skip
    assert ref == "calendar@2"
    year = PublishedRulebook.objects.get().content["content"]["years"]["2027"]
    assert len(year["holidays"]) == 8 and year["workdays"] == ["2027-02-14"]
    assert AuditEvent.objects.get(action="rulebook.publish").actor is None  # the system, from the shell


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--holidays", "2027-01-01,2027-02-31,never"], ["--holidays", "2027-02-31", "never"]),
        (["--holidays", "2027-01-01", "--workdays", "2027-02-15"], ["--workdays", "2027-02-15"]),
        (["--holidays", "2028-01-01", "--source", " "], ["--holidays", "2028-01-01", "--source"]),
    ],
)
def test_command_refuses_bad_input_listing_every_problem(world, args, expected):
    base = {"--year": "2027", "--source": NOTICE}
    merged = dict(zip(args[::2], args[1::2], strict=True))
    argv = [item for pair in {**base, **merged}.items() for item in pair]
    with pytest.raises(CommandError) as exc:
        call_command("holidays_publish", *argv)
    assert exc.value.returncode == 1
    for text in expected:
        assert text in str(exc.value)
    nothing_published()
