"""Command-line modes `--lint` and `--migrate` of the migration tool: their flags, and the renderers of
their results (a table or plain text, or one JSON document: `dbtool-lint`, `dbtool-migrate`,
`dbtool-migrate-status` and `dbtool-migrate-dry-run` in `senior_backend/schemas/`).

Exit codes: 0 ok, 1 lint errors or a failed migration (rolled back, or for a
no-transaction file partly applied: the output names each statement's state); the
library's errors (bad input 2, an edited applied migration refused 3, an
unreachable database 4) are turned into exit codes by `run_main`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from senior_backend.common.cli import ExitCode
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput

if TYPE_CHECKING:
    from senior_backend.dbtool.migrate.dry_run import DryRunMigration, DryRunReport
    from senior_backend.dbtool.migrate.run import FailedRun, LintReport, MigrateResult
    from senior_backend.dbtool.migrate.runner import MigrationState

F = TypeVar("F", bound=Callable[..., Any])


def migrate_options(func: F) -> F:
    """The `--lint` and `--migrate` flags, as click option decorators."""
    options = [
        click.option(
            "--lint",
            "lint_path",
            metavar="FILE|DIR",
            type=click.Path(path_type=Path),
            help="Lint a migration file, or a folder's .sql files except .down.sql, for locking, rewriting "
            "and data-losing statements.",
        ),
        click.option(
            "--migrate",
            "migrate_path",
            metavar="FILE|DIR",
            type=click.Path(path_type=Path),
            help="Apply migration files (tracked in senior_backend.schema_migrations).",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="With --migrate: run pending migrations in a transaction that is rolled back; report statements, timings, locks and the schema change.",
        ),
        click.option(
            "--status", is_flag=True, help="With --migrate: list applied, pending and modified migrations."
        ),
        click.option(
            "--down",
            "down_count",
            type=click.IntRange(min=1),
            metavar="N",
            help="With --migrate DIR: roll back the last N applied migrations.",
        ),
        click.option(
            "--target",
            "target_version",
            metavar="VERSION",
            help="With --migrate: migrate up or down to this version.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_migrate_mode(
    out: Output,
    connection: str | None,
    *,
    lint_path: Path | None,
    migrate_path: Path | None,
    dry_run: bool,
    status: bool,
    down_count: int | None,
    target_version: str | None,
    **_other_modes: object,
) -> int | None:
    """Run `--lint` or `--migrate` and return the exit code; None when neither was given."""
    if lint_path is not None:
        from senior_backend.dbtool.migrate.run import run_lint

        report = run_lint(lint_path)
        show_lint(out, lint_path, report)
        return ExitCode.CHECK_FAILED if report.errors else ExitCode.OK
    if migrate_path is not None:
        from senior_backend.dbtool.migrate.run import FailedRun, MigrateOptions, run_migrate

        options = MigrateOptions(connection, migrate_path, dry_run, status, down_count, target_version)
        result = run_migrate(options)
        show_migrate(out, result)
        return ExitCode.CHECK_FAILED if isinstance(result, FailedRun) else ExitCode.OK
    if dry_run or status or down_count or target_version:
        raise BadInput("usage", "--dry-run, --status, --down and --target go with --migrate")
    return None


def show_lint(out: Output, path: Path, report: LintReport) -> None:
    """The findings as a table and a count on stderr, or the `dbtool-lint` document."""
    if out.is_json:
        out.json(report.to_json())
        return
    out.table(
        f"lint {path}",
        ["file", "line", "level", "rule", "message", "fix"],
        [(Path(f.file).name, f.line, f.level.value, f.rule, f.message, f.fix) for f in report.findings],
    )
    out.log(f"{len(report.files)} file(s), {len(report.findings)} finding(s), {report.errors} error(s)")


def show_migrate(out: Output, result: MigrateResult) -> None:
    """Any outcome of `run_migrate`: a table (and lines), or its JSON document; a failure also on stderr."""
    from senior_backend.dbtool.migrate.dry_run import DryRunReport
    from senior_backend.dbtool.migrate.run import FailedRun, RunReport, StatusReport

    if out.is_json:
        out.json(result.to_json())
    elif isinstance(result, StatusReport):
        out.table(
            "migrations",
            ["version", "name", "state", "applied_at"],
            [(row.version, row.name, _state(row), row.applied_at) for row in result.migrations],
        )
    elif isinstance(result, DryRunReport):
        _show_dry_run(out, result)
    elif isinstance(result, RunReport):
        out.table(
            "migrations run",
            ["version", "name", "direction", "ms"],
            [(m.version, m.name, m.direction, m.ms) for m in result.ran],
        )
        out.log(
            f"{len(result.ran)} migration(s) run"
            if result.ran
            else "nothing to do: the database is up to date"
        )
    if isinstance(result, FailedRun):
        if not out.is_json:
            _show_failed(out, result)
        click.echo(f"error: {result.failure.message} ({result.verdict()})", err=True)


def _state(row: MigrationState) -> str:
    """A status line's state, with the progress of a partly applied or partly rolled back migration."""
    if row.applied_statements is not None:
        return f"{row.state}: {row.applied_statements} statement(s) applied, rerun to resume"
    if row.reverted_statements is not None:
        return (
            f"partly reverted: {row.reverted_statements} statement(s) of its .down.sql applied, "
            "rerun --down 1 to finish"
        )
    return row.state


def _show_failed(out: Output, result: FailedRun) -> None:
    """The migrations the run applied (or the dry run simulated) before the failure, and the state of each
    statement of the failed one."""
    if result.simulated:
        _show_dry_statements(out, "dry run (rolled back) before the failure", result.simulated)
    if result.ran:
        out.table(
            "migrations run",
            ["version", "name", "direction", "ms"],
            [(m.version, m.name, m.direction, m.ms) for m in result.ran],
        )
    out.table(
        f"{result.failure.migration}: statements",
        ["#", "line", "state", "statement"],
        [(s.index, s.line, s.state.replace("_", " "), s.statement) for s in result.statements],
    )


def _show_dry_run(out: Output, report: DryRunReport) -> None:
    _show_dry_statements(out, "dry run (rolled back)", report.migrations)
    changes = json.dumps(report.schema_changes) if report.schema_changes else "none"
    out.line(f"schema changes: {changes}")
    for moved in report.sequences_advanced:
        out.line(
            f"sequence {moved.sequence} advanced {moved.before} -> {moved.after} "
            "(a rollback does not undo nextval; the gap is harmless)"
        )
    out.log("dry run: everything was rolled back")


def _show_dry_statements(out: Output, title: str, migrations: list[DryRunMigration]) -> None:
    """Each statement a dry run executed or reported: its time and the locks it took, or why not."""
    rows = [
        (
            f"{migration.version}_{migration.name}",
            item.line,
            item.statement,
            "" if item.ms is None else item.ms,
            "; ".join(item.locks or []) or item.note or "",
        )
        for migration in migrations
        for item in migration.statements
    ]
    out.table(title, ["migration", "line", "statement", "ms", "locks"], rows)
