"""Problems as values: a level, a stable rule name, a message, where it happened and a hint.

Every tool's `--json` speaks this vocabulary for its problems (warnings,
refusals, notes, findings): the keys `rule`, `level`, `message`, `where`,
`hint`, and `level` one of `info`, `warning`, `error`.

Parsers and analysers collect `Diagnostic`s instead of printing or raising; a CLI
decides how to show them. A problem that has to stop the run is raised as one
of the error classes of `errors.py`, which carry one diagnostic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Level(str, Enum):
    """How bad a diagnostic is; ordered from least to most severe."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ("info", "warning", "error").index(self.value)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in an input (spec, schema, migration file, ...) or refused in a plan."""

    level: Level
    rule: str
    message: str
    where: str | None = None
    hint: str | None = None

    def one_line(self) -> str:
        """Render as the single line the CLIs print: `level: where: message (hint: ...)`."""
        text = f"{self.level.value}: "
        if self.where:
            text += f"{self.where}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_json(self) -> dict[str, str | None]:
        data = asdict(self)
        data["level"] = self.level.value
        return data


def error(rule: str, message: str, where: str | None = None, hint: str | None = None) -> Diagnostic:
    """Shorthand for an error-level diagnostic."""
    return Diagnostic(Level.ERROR, rule, message, where, hint)


def warning(rule: str, message: str, where: str | None = None, hint: str | None = None) -> Diagnostic:
    """Shorthand for a warning-level diagnostic."""
    return Diagnostic(Level.WARNING, rule, message, where, hint)


def info(rule: str, message: str, where: str | None = None, hint: str | None = None) -> Diagnostic:
    """Shorthand for an info-level diagnostic (a note)."""
    return Diagnostic(Level.INFO, rule, message, where, hint)
