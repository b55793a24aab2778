"""One exception hierarchy for everything biaskit raises on purpose.

Every error a user can cause derives from :class:`BiaskitError`; the CLI turns
these into a one-line message and a non-zero exit code (see ``cli.EXIT_CODES``).
Subclasses also inherit the matching built-in (``ValueError``, ``LookupError``,
``OSError``) so that generic ``except`` clauses keep working.
"""

from __future__ import annotations


class BiaskitError(Exception):
    """Base class of all errors biaskit raises deliberately."""

    exit_code: int = 1


class InputError(BiaskitError, ValueError):
    """Input text, file or table is malformed (names the file, line or row)."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class SchemaError(InputError):
    """A table lacks required columns or has columns of the wrong type."""


class CorpusError(InputError):
    """The annotated corpus violates its format or the annotation taxonomy."""


class ModelError(BiaskitError, ValueError):
    """A model file is missing, untrusted, corrupt or from an incompatible version."""

    exit_code = 3


class NotFittedError(ModelError):
    """An estimator was used before ``fit``."""


class OutputError(BiaskitError, OSError):
    """An output location cannot be written (exists as a file, read-only, disk full, locked)."""

    exit_code = 4


class InterruptedRun(BiaskitError):
    """A batch run stopped early; ``--resume`` continues it."""

    exit_code = 130
