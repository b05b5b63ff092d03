"""Conventions shared by the three command-line tools.

One exit-code table, the `--format/--json/--debug` options, and `run_main`,
the only place that turns the library's errors (`common/errors.py`), usage
errors and Ctrl-C into one line on stderr and an exit code (a traceback only
with `--debug`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import click

from senior_backend.common.console import json_written
from senior_backend.common.diagnostics import Diagnostic, Level
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
    """Run a click command with the shared error handling; never returns.

    Every failure is one line on stderr and an exit code from `EXIT_CODES`; with `--json` /
    `--format json` it is also one JSON document on stdout (`{"error": problem, "exit_code": N}`,
    schema `error.v1.json`) unless the command already printed its document. A closed stdout
    (`tool | head -1`) is not a failure: exit 0. SIGTERM is handled like Ctrl-C, so cleanup
    (temporary databases, servers) runs when a supervisor stops the tool."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    wants_json = _json_requested(args)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # make_context + invoke rather than main(): main() turns a closed stdout into exit 1
        with command.make_context(prog_name or os.path.basename(sys.argv[0]), args) as ctx:
            result = command.invoke(ctx)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        _stdout_closed()
    except ToolError as exc:
        if debug:
            traceback.print_exc()
        _fail(exc.diagnostic, exit_code_of(exc), wants_json)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail(Diagnostic(Level.ERROR, "interrupted", "interrupted"), ExitCode.INTERRUPTED, wants_json)
    except click.ClickException as exc:
        message = " ".join(exc.format_message().split())
        usage = Diagnostic(Level.ERROR, "usage", message, hint="run with --help for usage")
        _fail(usage, ExitCode.BAD_INPUT, wants_json)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if debug:
            traceback.print_exc()
        reason = " ".join(str(exc).split())
        bug = Diagnostic(Level.ERROR, "internal-error", f"internal error: {type(exc).__name__}: {reason}")
        _fail(bug, ExitCode.INTERNAL, wants_json, suffix=" (rerun with --debug)")
    sys.exit(int(result) if isinstance(result, int) else ExitCode.OK)


def _json_requested(argv: list[str]) -> bool:
    """Whether the command line asks for JSON output (`--json`, `--format json`, `--format=json`)."""
    if "--json" in argv or "--format=json" in argv:
        return True
    return any(arg == "--format" and value == "json" for arg, value in itertools.pairwise(argv))


def _fail(diagnostic: Diagnostic, code: ExitCode, wants_json: bool, suffix: str = "") -> NoReturn:
    """One line on stderr, the error document on stdout when JSON was asked for and none was printed."""
    click.echo(f"error: {_strip_level(diagnostic)}{suffix}", err=True)
    if wants_json and not json_written():
        document = {"error": diagnostic.to_json(), "exit_code": int(code)}
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    sys.exit(code)


def _stdout_closed() -> NoReturn:
    """The reader went away (`| head`): not a failure. Point stdout at /dev/null so the interpreter's
    final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(ExitCode.OK)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _strip_level(diagnostic: Diagnostic) -> str:
    """The diagnostic's line without its `error: ` prefix (the caller prints it once)."""
    line = diagnostic.one_line()
    prefix = f"{diagnostic.level.value}: "
    return line[len(prefix) :] if line.startswith(prefix) else line
