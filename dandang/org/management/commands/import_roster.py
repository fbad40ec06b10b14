"""Import a roster file (.xlsx or .csv) — the same checks and writes as the web page and the API::

    manage.py import_roster roster.xlsx
    manage.py import_roster cadres.csv --sheet cadres --user staff_a

Without ``--user`` the import runs as the system (it may also create top-level organizations).
On any error it prints each one as ``sheet!row:column: reason``, writes nothing and exits with 1;
on success it prints the rows written per kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dandang.core.errors import ApplicationError
from dandang.org.importing import KINDS, roster_import
from dandang.org.selectors import user_by_username


class Command(BaseCommand):
    help = "Import organizations, posts, cadres and tenures from an .xlsx or .csv roster file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument("--sheet", default=None, help="the kind of rows: organizations, posts, cadres, tenures")
        parser.add_argument("--user", default=None, help="import as this user (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem = {"file": path, "problem": exc.strerror}
            raise CommandError(_("Cannot read %(file)s: %(problem)s") % problem, returncode=1) from None
        try:
            actor = user_by_username(options["user"]) if options["user"] else None
            result = roster_import(actor=actor, filename=path.name, data=data, sheet=options["sheet"])
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
        for kind in KINDS:
            self.stdout.write(f"{kind}: {result.counts.get(kind, 0)}")
        self.stdout.write(_("Roster import finished: %(rows)s rows written.") % {"rows": result.total})
