import re

import pytest
from django.template.loader import get_template
from django.test import Client, RequestFactory, override_settings
from django.urls import include, path, reverse

from dandang.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent, Notification
from dandang.core.notifications import notification_send
from dandang.org import services
from dandang.testing import fresh
from dandang.web.middleware import ApplicationErrorMiddleware

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

ZH_LOGIN_ERROR = "请输入一个正确的"  # Django's own Chinese catalogue: "Please enter a correct …"
EN_LOGIN_ERROR = "Please enter a correct username and password"


def client_for(user, language="en", **kwargs):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **kwargs)
    client.force_login(user)
    return client


def log_in(client, username, password=None):
    return client.post(reverse("login"), {"username": username, "password": password or f"pw-{username}"})


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


# --- error-mapping views, served by the URL configuration of this module ---------------------


def _raise(exc):
    def view(request):
        raise exc

    return view


urlpatterns = [
    path("boom/not-found/", _raise(NotFound("Cadre not found."))),
    path("boom/forbidden/", _raise(PermissionDenied("Your role does not allow this action."))),
    path("boom/conflict/", _raise(Conflict("The case was changed by someone else."))),
    path(
        "boom/invalid/",
        _raise(ValidationFailed("Some fields are not valid.", detail={"start": ["Start must be a working day."]})),
    ),
    path("boom/plain/", _raise(ApplicationError("This cannot be done now."))),
    path("", include("config.urls")),
]


# --- login, logout and language --------------------------------------------------------------


def test_login_page_follows_the_browser_language(world):
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get(reverse("login"))
    en = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("login"))
    assert zh.status_code == en.status_code == 200
    assert (zh["Content-Language"], html_lang(zh)) == ("zh-hans", "zh-hans")
    assert (en["Content-Language"], html_lang(en)) == ("en", "en")
    # Django's field labels come translated: the page is really in the chosen language.
    assert "用户名" in zh.content.decode()
    assert "Username" in en.content.decode()


def test_login_errors_are_clear_in_both_languages(world):
    zh = log_in(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), "staff_a", "wrong")
    en = log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), "staff_a", "wrong")
    assert zh.status_code == en.status_code == 200
    assert ZH_LOGIN_ERROR in zh.content.decode()
    assert EN_LOGIN_ERROR in en.content.decode()
    assert 'role="alert"' in en.content.decode()


def test_login_and_logout(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = log_in(client, "staff_a")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("login")).status_code == 302  # already logged in
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_switcher_before_login_sets_the_language(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "en"
    assert EN_LOGIN_ERROR in log_in(client, "staff_a", "wrong").content.decode()


def test_language_choice_is_stored_audited_and_persists_across_logins(world):
    user = world.user("staff_a")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    log_in(client, "staff_a")
    assert client.get(reverse("home"))["Content-Language"] == "zh-hans"
    events = AuditEvent.objects.filter(action="user.language_set").count()

    response = client.post(reverse("language_set"), {"language": "en", "next": reverse("org:tree")})
    assert response.status_code == 302 and response["Location"] == reverse("org:tree")
    assert fresh(user).language == "en"
    assert AuditEvent.objects.filter(action="user.language_set").count() == events + 1
    assert client.get(reverse("home"))["Content-Language"] == "en"

    client.post(reverse("logout"))
    # A new browser that asks for Chinese: the saved choice wins once the user logs in.
    other = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert other.get(reverse("login"))["Content-Language"] == "zh-hans"
    log_in(other, "staff_a")
    home = other.get(reverse("home"))
    assert home["Content-Language"] == "en" and html_lang(home) == "en"

    # And back to Chinese.
    other.post(reverse("language_set"), {"language": "zh-hans", "next": reverse("home")})
    assert fresh(user).language == "zh-hans"
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login"))["Content-Language"] == "en"
    third = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in(third, "staff_a")
    assert third.get(reverse("home"))["Content-Language"] == "zh-hans"


def test_following_the_browser_again(world):
    user = world.user("staff_a")
    services.user_language_set(actor=user, user=user, language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    log_in(client, "staff_a")
    assert client.get(reverse("home"))["Content-Language"] == "en"
    client.post(reverse("language_set"), {"language": "", "next": reverse("home")})
    assert fresh(user).language == ""
    assert client.get(reverse("home"))["Content-Language"] == "zh-hans"


def test_unknown_language_is_refused_and_nothing_changes(world):
    user = world.user("staff_a")
    client = client_for(user)
    events = AuditEvent.objects.count()
    response = client.post(reverse("language_set"), {"language": "fr", "next": reverse("home")})
    assert response.status_code == 422
    assert "This language is not available." in response.content.decode()
    assert fresh(user).language == ""
    assert AuditEvent.objects.count() == events


def test_language_set_needs_login_and_post(world):
    anonymous = Client()
    response = anonymous.post(reverse("language_set"), {"language": "en"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(world.user("staff_a")).get(reverse("language_set")).status_code == 405


def test_language_set_ignores_an_outside_next_address(world):
    client = client_for(world.user("staff_a"))
    response = client.post(reverse("language_set"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_language_set_enforces_csrf(world):
    user = world.user("staff_a")
    client = client_for(user, enforce_csrf_checks=True)
    response = client.post(reverse("language_set"), {"language": "en"})
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    assert_clean(response.content.decode(), "csrf failure")
    assert fresh(user).language == ""
    # With the token from the page (the htmx header carries the same one), it goes through.
    page = client.get(reverse("home")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', page)
    response = client.post(reverse("language_set"), {"language": "en", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert fresh(user).language == "en"


def test_user_language_set_only_for_oneself(world):
    target = world.user("staff_b")
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.user_language_set(actor=world.user("sysadmin_a"), user=target, language="en")
    assert fresh(target).language == ""
    assert AuditEvent.objects.count() == events


def test_user_language_set_unchanged_writes_no_event(world):
    user = world.user("staff_a")
    services.user_language_set(actor=user, user=user, language="en")
    events = AuditEvent.objects.count()
    services.user_language_set(actor=user, user=user, language="en")
    assert AuditEvent.objects.count() == events


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_renders_the_lockout_page(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert log_in(client, "staff_a", "wrong").status_code == 200
    response = log_in(client, "staff_a", "wrong")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Try again in 30 minutes." in response.content.decode()
    # Even the right password is refused while locked.
    response = log_in(client, "staff_a")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- home ----------------------------------------------------------------------------------


def test_home_for_staff_shows_counts_and_links(world):
    response = client_for(world.user("staff_a")).get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    figures = re.findall(r'class="card-figure">(\d+)<', html)
    # county A: county, bureau, 2 townships, 4 villages; 4 cadres; an empty inbox
    assert figures == ["4", "8", "0"]
    assert f'action="{reverse("org:cadre_list")}"' in html
    assert reverse("org:tree") in html and reverse("inbox") in html
    assert "Organization department staff" in html


def test_home_for_user_without_roles(world):
    html = client_for(world.user("nobody")).get(reverse("home")).content.decode()
    assert "card-figure" in html  # the inbox card
    assert reverse("org:cadre_list") not in html and reverse("org:tree") not in html
    assert "Your account has no role yet" in html


def test_home_for_cadre_links_own_record(world):
    user = world.user("cadre_a1")
    html = client_for(user).get(reverse("home")).content.decode()
    assert reverse("org:cadre_detail", args=[user.cadre_id]) in html


# --- inbox ---------------------------------------------------------------------------------


def send(user, n=1, **kwargs):
    for i in range(n):
        notification_send(
            user=user, kind="todo", message="deadline_near", params={"title": f"任务{i}", "due": "2026-12-01"}, **kwargs
        )


def test_inbox_lists_rendered_messages_and_unread_count(world):
    user = world.user("staff_a")
    send(user, 2, link="/cadres/")
    notification_send(user=user, kind="notice", message="deadline_near", params={}, link="javascript:alert(1)")
    html = client_for(user).get(reverse("inbox")).content.decode()
    assert "“任务0” is due on 2026-12-01." in html
    assert re.search(r'id="inbox-count"[^>]*>.*3.*unread', html)
    assert 'href="/cadres/"' in html
    assert "javascript:" not in html


def test_inbox_empty_state(world):
    html = client_for(world.user("staff_a")).get(reverse("inbox")).content.decode()
    assert "empty-state" in html
    assert 'class="badge is-empty"' in html


def test_inbox_is_paginated(world):
    user = world.user("staff_a")
    send(user, 30)
    client = client_for(user)
    first = client.get(reverse("inbox")).content.decode()
    second = client.get(reverse("inbox"), {"page": 2}).content.decode()
    assert first.count('class="inbox-item') == 25
    assert second.count('class="inbox-item') == 5
    assert "?page=2" in first


def test_mark_read(world):
    user = world.user("staff_a")
    send(user, 2)
    note = Notification.objects.filter(user=user).first()
    client = client_for(user)
    response = client.post(reverse("inbox_read", args=[note.pk]), {"next": reverse("inbox") + "?page=1"})
    assert response.status_code == 302 and response["Location"] == reverse("inbox") + "?page=1"
    assert fresh(note).read_at is not None
    assert client.get(reverse("inbox_read", args=[note.pk])).status_code == 405


def test_mark_read_with_htmx_returns_item_and_badge(world):
    user = world.user("staff_a")
    send(user, 2)
    note = Notification.objects.filter(user=user).first()
    response = client_for(user).post(reverse("inbox_read", args=[note.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="notification-{note.pk}"' in html and "is-unread" not in html
    assert re.search(r'id="inbox-count"[^>]*hx-swap-oob="true"[^>]*>.*1.*unread', html)


def test_mark_read_of_someone_elses_notification_is_404_and_changes_nothing(world):
    send(world.user("staff_b"))
    note = Notification.objects.get(user=world.user("staff_b"))
    response = client_for(world.user("staff_a")).post(reverse("inbox_read", args=[note.pk]))
    assert response.status_code == 404
    assert fresh(note).read_at is None


# --- every page: renders, and carries no inline script or style ------------------------------


def page_urls(world):
    return [
        reverse("home"),
        reverse("inbox"),
        reverse("org:tree"),
        reverse("org:org_detail", args=[world.orgs["A-t1"].pk]),
        reverse("org:org_children", args=[world.orgs["A-t1"].pk]),
        reverse("org:cadre_list"),
        reverse("org:cadre_list") + "?q=zzzz",
        reverse("org:cadre_detail", args=[world.cadres["A1"].pk]),
        reverse("org:cadre_detail", args=[world.cadres["B1"].pk]),  # a 404 page
    ]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
CDN = re.compile(r'(src|href)="(https?:)?//', re.IGNORECASE)


def assert_clean(html, url):
    assert not INLINE_SCRIPT.search(html), url
    assert not INLINE_STYLE.search(html), url
    assert not EVENT_HANDLER.search(html), url
    assert not CDN.search(html), url


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_for_staff_without_inline_code(world, language):
    client = client_for(world.user("staff_a"), language=language)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == (404 if url.endswith(f"/{world.cadres['B1'].pk}/") else 200), url
        assert response["Content-Language"] == language
        assert "Content-Security-Policy" in response
        assert_clean(response.content.decode(), url)
    for url in (reverse("login"),):
        assert_clean(Client(HTTP_ACCEPT_LANGUAGE=language).get(url).content.decode(), url)


def test_base_page_loads_vendored_assets(world):
    html = client_for(world.user("staff_a")).get(reverse("home")).content.decode()
    for asset in ("vendor/htmx.min.js", "js/dandang.js", "css/dandang.css", "vendor/noto-sans-sc/noto-sans-sc.css"):
        assert f"/static/{asset}" in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in html


# --- error pages ---------------------------------------------------------------------------


@pytest.mark.urls("dandang.web.tests.test_views")
def test_error_middleware_maps_the_error_family(world):
    client = client_for(world.user("staff_a"))
    cases = [
        ("/boom/not-found/", 404, "404.html", "Cadre not found."),
        ("/boom/forbidden/", 403, "403.html", "Your role does not allow this action."),
        ("/boom/conflict/", 409, "400.html", "The case was changed by someone else."),
        ("/boom/invalid/", 422, "400.html", "start: Start must be a working day."),
        ("/boom/plain/", 400, "400.html", "This cannot be done now."),
    ]
    for url, status, template, text in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert template in [t.name for t in response.templates], url
        html = response.content.decode()
        assert text in html, url
        assert reverse("logout") in html  # the full shell, with the user's navigation
        assert_clean(html, url)


def test_error_middleware_leaves_the_api_and_other_errors_alone():
    middleware = ApplicationErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/api/v1/cadres/1")
    assert middleware.process_exception(request, NotFound("x")) is None
    assert middleware.process_exception(RequestFactory().get("/cadres/"), ValueError("x")) is None


def test_error_templates_render_without_context():
    for name in ("500.html", "400.html"):
        html = get_template(name).render()
        assert "担当" in html
        assert_clean(html, name)
