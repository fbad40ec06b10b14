"""Site-wide pages: the landing page, login with the user's language, the language switcher and
the inbox.  Thin: each view reads through a selector and writes through a service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from dandang.core.models import Notification
from dandang.core.notifications import inbox, notification_mark_read, render_message
from dandang.org.roles import Cap, Role
from dandang.org.selectors import (
    cadres_visible,
    has_any_capability,
    organization_roots,
    organizations_visible,
    viewer_grants,
)
from dandang.org.services import user_language_set

SESSION_LANGUAGE_KEY = "dandang_language"  # read by dandang.core.middleware.UserLanguageMiddleware
INBOX_PAGE_SIZE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _apply_language(request: HttpRequest, response: HttpResponse, language: str) -> None:
    """Make ``language`` the language of this session (and of this browser after logout);
    "" hands the choice back to the browser."""
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        request.session.pop(SESSION_LANGUAGE_KEY, None)
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


class DandangLoginView(LoginView):
    """Django's login, then the user's saved language becomes the session's language."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = getattr(self.request.user, "language", "")
        if language:
            _apply_language(self.request, response, language)
        return response


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@login_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Store the logged-in user's language choice and use it at once."""
    language = request.POST.get("language", "")
    user_language_set(actor=request.user, user=request.user, language=language)  # type: ignore[arg-type]
    response = HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    _apply_language(request, response, language.strip())
    return response


# --- home ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    role: str | Promise
    organization: str
    with_descendants: bool


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    can_orgs = has_any_capability(viewer, Cap.ORG_VIEW)
    can_cadres = has_any_capability(viewer, Cap.CADRE_VIEW)
    grants = [
        GrantRow(role=Role(g.role).label, organization=g.organization.name, with_descendants=g.include_descendants)
        for g in viewer_grants(viewer)
    ]
    context = {
        "can_orgs": can_orgs,
        "can_cadres": can_cadres,
        "org_count": organizations_visible(viewer).count() if can_orgs else None,
        "cadre_count": cadres_visible(viewer).count() if can_cadres else None,
        "roots": organization_roots(viewer) if can_orgs else [],
        "grants": grants,
        "recent": [_inbox_row(n) for n in inbox(viewer, unread_only=True)[:5]],
        "own_cadre_id": getattr(viewer, "cadre_id", None),
    }
    return render(request, "web/home.html", context)


# --- inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    notification: Notification
    text: str
    link: str  # only a path inside this site, never an outside or javascript: address


def _inbox_row(note: Notification) -> InboxRow:
    link = note.link if note.link.startswith("/") and not note.link.startswith("//") else ""
    return InboxRow(notification=note, text=render_message(note.message, note.params), link=link)


@login_required
@require_safe
def inbox_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox(request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_inbox_row(n) for n in page.object_list]
    page_range = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render(request, "web/inbox.html", {"page_obj": page, "page_range": page_range, "rows": rows})


@login_required
@require_POST
def inbox_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    note = notification_mark_read(viewer=request.user, notification_id=pk)
    if request.htmx:
        # The item in place, and the unread badge in the header out of band.
        return render(request, "web/_inbox_read.html", {"row": _inbox_row(note)})
    return redirect(_safe_next(request, request.POST.get("next") or reverse("inbox")))
