"""Models of the tolerance app.  Name clearing (澄清正名) lives in its own module, imported here so
that Django finds its models."""

from dandang.tolerance.models_clearing import NameClearingCase  # noqa: F401
