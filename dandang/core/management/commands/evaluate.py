"""The rule sandbox — a public contract (issue 5; other tools depend on it)::

    manage.py evaluate tolerance case.json [--language zh-hans|en]

Reads one JSON document, runs the named kernel on it without touching the database and prints
one JSON object (UTF-8, not ASCII-escaped).  Bad input — an unreadable file, invalid JSON, a
missing, unknown or ill-typed field, an unknown item code — prints ``field: message`` lines on
stderr and exits with 2.  JSON numbers with a fraction are read as exact decimals.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from dandang.core.evaluate import EvaluationContext, EvaluationError, evaluator_names, get_evaluator

BAD_INPUT = 2


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class Command(BaseCommand):
    help = "Run a decision kernel on a JSON document without touching the database (the rule sandbox)."
    # No system checks: the sandbox reads files only (checks may look at the database).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kernel", help="the kernel to run, e.g. tolerance")
        parser.add_argument("file", help="the JSON document")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=None,
            help="language of the explanation (default: LANGUAGE_CODE)",
        )

    def fail(self, problems: list[tuple[str, str]]) -> CommandError:
        for key, message in problems:
            self.stderr.write(f"{key}: {message}")
        return CommandError(
            _("Nothing was evaluated: the input has %(count)s problems.") % {"count": len(problems)},
            returncode=BAD_INPUT,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self.stdout.write(json.dumps(self.evaluate(options["kernel"], Path(options["file"])), ensure_ascii=False))

    def evaluate(self, kernel: str, path: Path) -> Any:
        evaluator = get_evaluator(kernel)
        if evaluator is None:
            message = _("No kernel is called %(name)s (known: %(known)s).")
            raise self.fail([("kernel", message % {"name": kernel, "known": ", ".join(evaluator_names())})])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise self.fail([(str(path), _("Cannot read the file: %(problem)s") % {"problem": problem})]) from None
        try:
            document = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except ValueError as exc:
            raise self.fail([("(document)", _("Not valid JSON: %(problem)s") % {"problem": exc})]) from None
        try:
            return evaluator(document, EvaluationContext(base_dir=path.resolve().parent))
        except EvaluationError as exc:
            raise self.fail(exc.problems) from None
