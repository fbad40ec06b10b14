"""Import archive entries (.xlsx or .csv) — the same checks and writes as the web page and the API::

    manage.py import_archive entries.csv --user zzb_staff
    manage.py import_archive entries.xlsx          # as the system: every row names its author

On any error it prints each one as ``sheet!row:column: reason``, writes nothing and exits with 1;
on success it prints the rows written per kind.  The file limits are the settings
``DANDANG_IMPORT_MAX_ROWS`` and ``DANDANG_IMPORT_MAX_BYTES`` (environment variables of the same
names), or ``--max-rows`` for one run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from dandang.archive.importing import COUNT_KINDS, archive_import
from dandang.core.errors import ApplicationError
from dandang.org.selectors import user_by_username


class Command(BaseCommand):
    help = "Import performance archive entries (as drafts) from an .xlsx or .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument("--user", default=None, help="import as this user (default: the system)")
        parser.add_argument("--max-rows", type=int, default=None, help="allow up to this many rows for this run")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem = {"file": path, "problem": exc.strerror}
            raise CommandError(_("Cannot read %(file)s: %(problem)s") % problem, returncode=1) from None
        limits: dict[str, int] = {}
        if options["max_rows"]:
            limits = {"DANDANG_IMPORT_MAX_ROWS": options["max_rows"], "DANDANG_IMPORT_MAX_BYTES": len(data) + 1}
        began = time.monotonic()
        try:
            actor = user_by_username(options["user"]) if options["user"] else None
            with override_settings(**limits):
                result = archive_import(actor=actor, filename=path.name, data=data)
        except ApplicationError as exc:
            lines = [str(exc.message)]
            if isinstance(exc.detail, dict):
                lines += [f"  {key}: {message}" for key, messages in exc.detail.items() for message in messages]
            raise CommandError("\n".join(lines), returncode=1) from None
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("The file has %(count)s errors; nothing was changed.") % {"count": len(result.errors)}, returncode=1
            )
        for kind in COUNT_KINDS:
            self.stdout.write(f"{kind}: {result.counts.get(kind, 0)}")
        self.stdout.write(
            _("Archive import finished: %(rows)s entries written as drafts in %(seconds).1f s.")
            % {"rows": result.counts.get("entries", 0), "seconds": time.monotonic() - began}
        )
