"""The rule sandbox: ``manage.py evaluate <kernel> FILE.json`` (DESIGN.md "Interfaces").

A registry of evaluators, one per kernel.  Each app registers its own in ``AppConfig.ready``
(core never imports the apps above it); an evaluator takes the parsed JSON document and returns
the JSON object the command prints, or raises :class:`EvaluationError` naming every field at
fault.  Evaluators touch no database: they read rulebooks from the shipped files or from a file
the document names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from dandang.core.rulebooks import Rulebook, RulebookError, load_rulebook_file, shipped_rulebooks


class EvaluationError(Exception):
    """Bad input: each problem is ``(field path, message)``, e.g. ``("facts.personal_gain", …)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{key}: {message}" for key, message in problems))


@dataclass(frozen=True)
class EvaluationContext:
    # The directory of the document: a relative rulebook path is also looked up there.
    base_dir: Path


Evaluator = Callable[[Any, EvaluationContext], dict[str, Any]]

_EVALUATORS: dict[str, Evaluator] = {}


def register_evaluator(name: str, evaluator: Evaluator) -> None:
    """Register the sandbox evaluator of a kernel (idempotent: ``ready()`` may run twice)."""
    _EVALUATORS[name] = evaluator


def get_evaluator(name: str) -> Evaluator | None:
    return _EVALUATORS.get(name)


def evaluator_names() -> list[str]:
    return sorted(_EVALUATORS)


_RULEBOOK_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def rulebook_from_reference(reference: Any, *, default: str, context: EvaluationContext) -> Rulebook:
    """The rulebook a sandbox document names: ``None`` → the shipped rulebook ``default``; the id
    of a shipped rulebook → that file; otherwise a path to a rulebook file (relative to the
    working directory, else to the document's directory).  No database is read: a published
    override is evaluated by passing its file."""
    if reference is None:
        return shipped_rulebooks()[default]
    if not isinstance(reference, str) or not reference.strip():
        raise EvaluationError([("rulebook", _("Name a rulebook by its id or by the path of its file."))])
    if _RULEBOOK_ID.match(reference) and reference in shipped_rulebooks():
        return shipped_rulebooks()[reference]
    path = Path(reference)
    if not path.is_absolute() and not path.exists():
        path = context.base_dir / path
    if not path.is_file():
        raise EvaluationError(
            [("rulebook", _("No shipped rulebook and no file is called %(name)s.") % {"name": reference})]
        )
    try:
        return load_rulebook_file(path)
    except RulebookError as exc:
        raise EvaluationError([("rulebook", f"{key}: {problem}") for key, problem in exc.problems]) from None
