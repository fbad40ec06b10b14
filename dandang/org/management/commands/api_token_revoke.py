"""Revoke a user's API token by its name; it stops working at once::

manage.py api_token_revoke staff_a "reporting script"
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dandang.core.errors import ApplicationError
from dandang.org import selectors, services


class Command(BaseCommand):
    help = "Revoke the active API token NAME of USERNAME."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token = selectors.api_token_by_name(options["username"], options["name"])
            services.api_token_revoke(actor=None, token=token)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"revoked token {token.name!r} of {options['username']} (prefix {token.prefix})")
