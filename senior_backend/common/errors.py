"""The errors the library raises: one class per kind of failure, and nothing about processes.

Library code raises these and never chooses an exit code or imports click;
`common/cli.run_main` is the one place that turns them into one line on
stderr and the exit code of its table (bad input 2, refused 3, unreachable 4,
a failed check 1, a bug 70).
"""

from __future__ import annotations

from senior_backend.common.diagnostics import Diagnostic, Level


class ToolError(Exception):
    """A problem that ends the run, carrying one error-level diagnostic (rule, message, where, hint)."""

    def __init__(self, rule: str, message: str, where: str | None = None, hint: str | None = None) -> None:
        self.diagnostic = Diagnostic(Level.ERROR, rule, message, where, hint)
        super().__init__(self.diagnostic.one_line())


class BadInput(ToolError):
    """The input or the options are wrong: a malformed file, a bad flag, a schema that does not load."""


class Refused(ToolError):
    """An unsafe action was refused: data loss without consent, overwriting edited files."""


class Unreachable(ToolError):
    """A database or host could not be reached or started."""


class CheckFailed(ToolError):
    """The run worked but a check the user asked for did not hold."""


class InternalError(ToolError):
    """A bug in the tool: never to be read as a failed check."""
