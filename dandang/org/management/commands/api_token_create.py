"""Issue an API token for a user and print its secret — once; only a hash is stored::

    manage.py api_token_create staff_a "reporting script"

The caller sends it as ``Authorization: Bearer <secret>``.  Revoke it with ``api_token_revoke``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dandang.core.errors import ApplicationError
from dandang.org import selectors, services


class Command(BaseCommand):
    help = "Issue an API token for USERNAME named NAME and print the secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, unique among the user's active tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = selectors.user_by_username(options["username"])
            token, secret = services.api_token_create(actor=None, user=user, name=options["name"])
        except ApplicationError as exc:
            lines = [str(exc.message)]
            if isinstance(exc.detail, dict):
                lines += [f"  {key}: {message}" for key, messages in exc.detail.items() for message in messages]
            raise CommandError("\n".join(lines)) from None
        self.stderr.write(f"token {token.name!r} for {user.username} (prefix {token.prefix}); it is shown only once:")
        self.stdout.write(secret)
