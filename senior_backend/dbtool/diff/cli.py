"""Command-line modes `--compare` and `--compare-url` of the migration tool: their flags, and the
renderer of the comparison (the migration text on stdout, or the `dbtool-compare` JSON document).

The tool's command owns `--connection`, `--output` (shared with
`--suggest-indexes`) and the positional `PATHS...` argument that carries the
second file of `--compare a.sql b.sql`. Which shadow was used and why, notes
and warnings go to stderr, also when the migration is refused. Exit codes: 0
ok; the library's errors (bad input 2, refused 3: data loss without
--allow-data-loss or a change with no safe migration, unreachable 4) are
turned into exit codes by `run_main`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from senior_backend.common.cli import ExitCode
from senior_backend.common.console import Output
from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.errors import BadInput
from senior_backend.dbtool.migration_files import migration_text

if TYPE_CHECKING:
    from senior_backend.dbtool.diff.run import CompareResult
    from senior_backend.dbtool.schema_load import SchemaLoadFailed

F = TypeVar("F", bound=Callable[..., Any])


def compare_options(func: F) -> F:
    """The schema diff flags, as click option decorators."""
    options = [
        click.option(
            "--compare",
            "compare",
            metavar="FILE|DIR",
            help="Desired schema (.sql file or folder); with a second FILE argument and no connection, diff two files.",
        ),
        click.option("--compare-url", metavar="URL", help="Desired schema from a second database."),
        click.option(
            "--shadow",
            "shadow_choice",
            metavar="embedded|target|URL",
            help="Where --compare loads the desired schema: 'target' (a temporary database on the target's "
            "server; the default when the role may create databases), 'embedded' (the bundled PostgreSQL "
            "18, the default otherwise) or a server URL.",
        ),
        click.option(
            "--shadow-url",
            metavar="URL",
            help="Same as --shadow URL.",
        ),
        click.option(
            "--name",
            "migration_name",
            default="schema_diff",
            show_default=True,
            help="Name part of the migration files.",
        ),
        click.option(
            "--allow-data-loss",
            is_flag=True,
            help="Allow changes that can lose data (dropped tables or columns, narrowed types).",
        ),
        click.option(
            "--with-privileges",
            is_flag=True,
            help="Also diff GRANTs (tables, columns, sequences, functions, types, schemas) and object owners "
            "(ALTER ... OWNER TO); without it both are ignored.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_compare_mode(
    out: Output,
    connection: str | None,
    extra_args: tuple[str, ...],
    *,
    output: Path | None,
    compare: str | None,
    compare_url: str | None,
    shadow_choice: str | None,
    shadow_url: str | None,
    migration_name: str,
    allow_data_loss: bool,
    with_privileges: bool,
    **_other_modes: object,
) -> int | None:
    """Run `--compare` or `--compare-url` and return the exit code; None when neither was given."""
    if compare is None and compare_url is None:
        return None
    if len(extra_args) > 1:
        raise BadInput("usage", f"unexpected arguments: {' '.join(extra_args[1:])}")
    from senior_backend.dbtool.diff.run import CompareOptions, CompareRefused, run_compare
    from senior_backend.dbtool.schema_load import SchemaLoadFailed

    first = Path(compare) if compare is not None else None
    second = Path(extra_args[0]) if extra_args else None
    current, desired = (first, second) if first is not None and second is not None else (None, first)
    options = CompareOptions(
        connection=connection,
        desired_schema=desired,
        current_schema=current,
        desired_url=compare_url,
        shadow=shadow_choice,
        shadow_url=shadow_url,
        with_privileges=with_privileges,
        allow_data_loss=allow_data_loss,
        output=output,
        name=migration_name,
    )
    try:
        result = run_compare(options, on_shadow=show_shadow)
    except CompareRefused as refused:
        show_warnings(refused.result)
        raise
    except SchemaLoadFailed as failed:
        show_unloadable(failed)
        raise
    show_warnings(result)
    show(out, result, sql_on_stdout=output is None)
    return ExitCode.OK


def show_shadow(shadow: str, reason: str, notes: list[Diagnostic]) -> None:
    """On stderr, as soon as it is chosen: the notes of choosing it, which shadow server and why."""
    for note in notes:
        click.echo(f"note: {note.message}", err=True)
    click.echo(f"shadow: {shadow} ({reason})", err=True)


def show_unloadable(failed: SchemaLoadFailed) -> None:
    """On stderr, one line each: the statements of the schema files that load in no order, but the
    first (the error line that ends the run names it)."""
    for problem in failed.problems[1:]:
        click.echo(f"error: {problem.where}: {problem.message}", err=True)


def show_warnings(result: CompareResult) -> None:
    """On stderr: every warning of the comparison."""
    for warning in result.warnings:
        hint = f" (hint: {warning.hint})" if warning.hint else ""
        click.echo(f"warning: {warning.message}{hint}", err=True)


def to_json(result: CompareResult) -> dict[str, Any]:
    """The `dbtool-compare` document."""
    return {
        "changes": [change.to_json() for change in result.up.changes],
        "summary": result.up.summary(),
        "warnings": [warning.to_json() for warning in result.warnings],
        "no_transaction": result.no_transaction,
        "up_sql": result.up_sql,
        "down_sql": result.down_sql,
        "files": [str(path) for path in result.files],
    }


def show(out: Output, result: CompareResult, *, sql_on_stdout: bool) -> None:
    """The JSON document, or the up migration exactly as its file would hold it (with `sql_on_stdout`)
    and a summary and the files written on stderr."""
    if out.is_json:
        out.json(to_json(result))
        return
    if sql_on_stdout:
        click.echo(migration_text(result.up_sql, result.no_transaction), nl=False)
    summary = ", ".join(f"{kind}: {count}" for kind, count in result.up.summary().items())
    out.log("no changes" if result.up.empty else summary)
    for path in result.files:
        out.log(f"wrote {path}")
