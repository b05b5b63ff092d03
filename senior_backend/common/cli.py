"""Conventions shared by the three command-line tools.

One exit-code table, the `--format/--json/--debug` options, and `run_main`,
the only place that turns the library's errors (`common/errors.py`), usage
errors and Ctrl-C into one line on stderr and an exit code (a traceback only
with `--debug`).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

import click

from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.errors import (
    BadInput,
    CheckFailed,
    InternalError,
    Refused,
    ToolError,
    Unreachable,
)

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """Exit codes of every tool; CI pipelines rely on these.

    INTERNAL (70, sysexits' EX_SOFTWARE) marks a bug in the tool, so that CI never reads a crash
    as "a check failed" (1)."""

    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    REFUSED = 3
    UNREACHABLE = 4
    INTERNAL = 70
    INTERRUPTED = 130


EXIT_CODES: dict[type[ToolError], ExitCode] = {
    BadInput: ExitCode.BAD_INPUT,
    Refused: ExitCode.REFUSED,
    Unreachable: ExitCode.UNREACHABLE,
    CheckFailed: ExitCode.CHECK_FAILED,
    InternalError: ExitCode.INTERNAL,
}
"""The one table from the library's error classes to process exit codes."""


def exit_code_of(error: ToolError) -> ExitCode:
    """The exit code for a library error (its class or nearest base in `EXIT_CODES`)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return ExitCode.INTERNAL


def output_options(func: F) -> F:
    """Add `--format table|json`, `--json` (shorthand) and `--debug` to a click command."""
    func = click.option("--debug", is_flag=True, help="Show a traceback on errors.")(func)
    func = click.option("--json", "json_flag", is_flag=True, help="Shorthand for --format json.")(func)
    func = click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table: human output (rich on a terminal, plain when piped); "
        "json: one JSON document on stdout and nothing else there.",
    )(func)
    return func


def resolve_format(output_format: str, json_flag: bool) -> str:
    """The effective output format after applying `--json`."""
    return "json" if json_flag else output_format


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("SENIOR_BACKEND_DEBUG") == "1"


def run_main(command: click.Command, argv: list[str] | None = None, prog_name: str | None = None) -> None:
    """Run a click command with the shared error handling; never returns. SIGTERM is handled like
    Ctrl-C, so cleanup (temporary databases, servers) runs when a supervisor stops the tool."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except ToolError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {_strip_level(exc.diagnostic)}", err=True)
        sys.exit(exit_code_of(exc))
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        message = " ".join(exc.format_message().split())
        click.echo(f"error: {message} (hint: run with --help for usage)", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(ExitCode.OK)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if debug:
            traceback.print_exc()
        reason = " ".join(str(exc).split())
        click.echo(f"error: internal error: {type(exc).__name__}: {reason} (rerun with --debug)", err=True)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(int(result) if isinstance(result, int) else ExitCode.OK)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _strip_level(diagnostic: Diagnostic) -> str:
    """The diagnostic's line without its `error: ` prefix (the caller prints it once)."""
    line = diagnostic.one_line()
    prefix = f"{diagnostic.level.value}: "
    return line[len(prefix) :] if line.startswith(prefix) else line
