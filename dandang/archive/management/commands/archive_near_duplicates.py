"""The near-duplicate pass of the formalism guard: ``manage.py archive_near_duplicates
[--organization CODE]``.

Rewrites the band keys and the ``near_duplicate`` flags of every entry of the organization's
jurisdiction (of the whole deployment without ``--organization``), as a system job audited with
one bulk event per county.  Run it after publishing new near-duplicate numbers in the ``archive``
rulebook, or after loading entries in bulk; the services keep the flags up to date otherwise.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dandang.archive.duplicates import archive_near_duplicates_scan
from dandang.core.errors import ApplicationError
from dandang.org.services import organization_by_code


class Command(BaseCommand):
    help = "Flag near-duplicate archive entries of different cadres (the whole deployment or one jurisdiction)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", default="", help="code of the organization whose jurisdiction is scanned")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["organization"].strip()
        began = time.monotonic()
        try:
            organization = organization_by_code(code) if code else None
            result = archive_near_duplicates_scan(actor=None, organization=organization)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            _(
                "%(entries)s entries scanned in %(seconds).1f s: %(pairs)s pairs of twins, %(flagged)s entries "
                "flagged, %(cleared)s flags cleared."
            )
            % {
                "entries": result.entries,
                "seconds": time.monotonic() - began,
                "pairs": result.pairs,
                "flagged": result.flagged,
                "cleared": result.cleared,
            }
        )
