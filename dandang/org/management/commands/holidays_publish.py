"""Add a year to the holiday table from the State Council's notice::

    manage.py holidays_publish --year 2027 \\
        --holidays 2027-01-01,2027-02-06..2027-02-12 --workdays 2027-02-14 \\
        --source "国务院办公厅关于2027年部分节假日安排的通知"

Dates are separated by commas; ``A..B`` is an inclusive range.  The year becomes part of a new
deployment-wide version of the ``calendar`` rulebook; the command prints its reference.  On any
problem it prints every one of them, writes nothing and exits non-zero.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dandang.core.calendar import date_list_parse
from dandang.core.errors import ApplicationError
from dandang.org.calendar_admin import holiday_table_publish


class Command(BaseCommand):
    help = "Publish one year of public holidays and adjusted working days (from the State Council's notice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--holidays", required=True, help="dates and ranges: 2027-01-01,2027-02-06..2027-02-12")
        parser.add_argument("--workdays", default="", help="adjusted working days (weekend days), same format")
        parser.add_argument("--source", required=True, help="the State Council notice the dates come from")

    def handle(self, *args: Any, **options: Any) -> None:
        holidays, holiday_errors = date_list_parse(options["holidays"])
        workdays, workday_errors = date_list_parse(options["workdays"])
        problems = [f"  --holidays: {e}" for e in holiday_errors] + [f"  --workdays: {e}" for e in workday_errors]
        if problems:
            raise CommandError(_("nothing was published.") + "\n" + "\n".join(problems))
        try:
            row = holiday_table_publish(
                actor=None, year=options["year"], holidays=holidays, workdays=workdays, source=options["source"]
            )
        except ApplicationError as exc:
            lines = [str(exc.message)]
            if isinstance(exc.detail, dict):
                lines += [f"  --{key}: {message}" for key, messages in exc.detail.items() for message in messages]
            raise CommandError(_("nothing was published.") + "\n" + "\n".join(lines)) from None
        self.stdout.write(row.ref)
