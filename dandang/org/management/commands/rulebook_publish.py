"""Publish a rulebook override: ``manage.py rulebook_publish FILE [--org CODE] [--note TEXT]``.

FILE is a whole rulebook document in YAML or JSON (start from the shipped file in
``dandang/rulebooks/``).  It becomes the next version of that rulebook for the organization (and
everything beneath it), or for the whole deployment without ``--org``; the command prints the new
reference ``ID@VERSION``.  On any problem it prints every one of them, writes nothing and exits
non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dandang.core.errors import ApplicationError
from dandang.core.rulebooks import RulebookError, rulebook_document_read, rulebook_publish
from dandang.org.services import organization_by_code


def _message(exc: ApplicationError) -> str:
    lines = [str(exc.message)]
    if isinstance(exc.detail, dict):
        for key, problems in exc.detail.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                lines.append(f"  {key}: {problem}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Publish a rulebook document (YAML or JSON) as a new version, for an organization or deployment-wide."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the rulebook document, .yaml or .json")
        parser.add_argument("--org", default="", help="code of the organization it applies to (default: all)")
        parser.add_argument("--note", default="", help="why this version is published")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("cannot read %(path)s: %(problem)s") % {"path": path, "problem": exc}) from None
        try:
            document = rulebook_document_read(text, filename=str(path), translated=True)
        except RulebookError as exc:
            raise CommandError(_("%(path)s is not a readable rulebook:") % {"path": path} + f"\n{exc}") from None
        try:
            organization = organization_by_code(options["org"].strip()) if options["org"].strip() else None
            row = rulebook_publish(
                actor=None,
                document=document,
                organization=organization,
                source_name=path.name,
                note=options["note"],
            )
        except ApplicationError as exc:
            raise CommandError(_("%(path)s: nothing was published.") % {"path": path} + f"\n{_message(exc)}") from None
        self.stdout.write(row.ref)
