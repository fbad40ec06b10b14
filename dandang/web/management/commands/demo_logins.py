"""``manage.py demo_logins``: the demo users and their password, in Chinese and English."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dandang.org.roles import Role
from dandang.web.demo import demo_logins

LANGUAGES = ("zh-hans", "en")


def both(text: Any) -> str:
    """``text`` in Chinese and in English ("用户名 / Username"), once when they are the same."""
    seen: list[str] = []
    for language in LANGUAGES:
        with translation.override(language):
            rendered = str(text)
        if rendered not in seen:
            seen.append(rendered)
    return " / ".join(seen)


def width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


class Command(BaseCommand):
    help = "Print the demo users (username, role, organization, password). Demo credentials only."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write(both(_("No demo users in this database.")))
            return
        labels = dict(Role.choices)
        header = [both(_("Username")), both(_("Role")), both(_("Organization")), both(_("Password"))]
        rows = [
            [
                login.username,
                "; ".join(both(labels.get(role, role)) for role in login.roles),
                login.organization,
                login.password,
            ]
            for login in logins
        ]
        columns = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        warning = both(
            _(
                "DEMO CREDENTIALS: for trying Dandang on demo data only. Never use these accounts or this "
                "password with real data."
            )
        )
        self.stdout.write(self.style.WARNING(warning))
        self.stdout.write("  ".join(pad(h, c) for h, c in zip(header, columns, strict=True)).rstrip())
        self.stdout.write("  ".join("-" * c for c in columns))
        for row in rows:
            self.stdout.write("  ".join(pad(v, c) for v, c in zip(row, columns, strict=True)).rstrip())
        self.stdout.write(both(_("Log in at http://127.0.0.1:8000/accounts/login/")))
