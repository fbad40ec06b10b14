"""Validators the rulebook schemas of the apps share (pure pydantic helpers: no Django, so that
the schemas stay importable by the kernels' tests and the sandbox)."""

from __future__ import annotations

from typing import TypeVar

LABEL_LANGUAGES = ("zh-hans", "en")

T = TypeVar("T")


def both_languages(label: dict[str, str]) -> dict[str, str]:
    """A text given in every language of the deployment, and in no other."""
    missing = [code for code in LABEL_LANGUAGES if not str(label.get(code, "")).strip()]
    if missing:
        raise ValueError(f"needs a text in {' and '.join(LABEL_LANGUAGES)} (missing: {', '.join(missing)})")
    unknown = sorted(set(label) - set(LABEL_LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language: {', '.join(unknown)}")
    return label


def exactly(names: tuple[str, ...], given: dict[str, T]) -> dict[str, T]:
    """A mapping whose keys are exactly ``names`` (none missing, none unknown)."""
    missing = [n for n in names if n not in given]
    unknown = sorted(n for n in given if n not in names)
    if missing or unknown:
        problems = [f"missing: {', '.join(missing)}"] if missing else []
        problems += [f"unknown: {', '.join(unknown)}"] if unknown else []
        raise ValueError(f"must name exactly {', '.join(names)} ({'; '.join(problems)})")
    return given


__all__ = ["LABEL_LANGUAGES", "both_languages", "exactly"]
