"""Command-line modes of the schema diff, the migration lint and the migration runner.

`migrate_options` adds the flags to the tool's click command (the command
itself owns `--connection`, `--output` (shared with `--suggest-indexes`) and a
positional `PATHS...` argument that carries the second file of
`--compare a.sql b.sql`) and
`run_migrate_mode` runs whichever of `--compare`, `--compare-url`, `--lint`
and `--migrate` was given (it returns None when none was, so the caller can
try its other modes). Exit codes: 0 ok, 1 lint errors or a failed migration,
2 bad input, 3 refused (data loss without --allow-data-loss, a change with
no safe migration, a modified applied migration), 4 unreachable database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from senior_backend.common.cli import ExitCode
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.masking import mask_password
from senior_backend.common.pg.connect import connect
from senior_backend.dbtool.diff.changes import Plan
from senior_backend.dbtool.diff.plan import migration_plans
from senior_backend.dbtool.diff.restate import restate_views
from senior_backend.dbtool.migrate.lint import ERROR, lint_file, lint_targets
from senior_backend.dbtool.migrate.runner import MigrationFailed, Runner, discover
from senior_backend.dbtool.migration_files import migration_text, write_migration
from senior_backend.dbtool.shadow import (
    DEFAULT_SEARCH_PATH,
    both,
    read_schema,
    same_major,
    snapshot_url,
)
from senior_backend.dbtool.shadow_choice import choose_shadow

F = TypeVar("F", bound=Callable[..., Any])


def migrate_options(func: F) -> F:
    """The diff / lint / runner flags, as click option decorators."""
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
    extra_args: tuple[str, ...],
    *,
    compare: str | None,
    compare_url: str | None,
    shadow_choice: str | None,
    shadow_url: str | None,
    output: Path | None,
    migration_name: str,
    allow_data_loss: bool,
    with_privileges: bool,
    lint_path: Path | None,
    migrate_path: Path | None,
    dry_run: bool,
    status: bool,
    down_count: int | None,
    target_version: str | None,
) -> int | None:
    """Run the selected mode and return its exit code, or None when no mode of this module was selected."""
    if lint_path is not None:
        return _lint(out, lint_path)
    if migrate_path is not None:
        if not connection:
            raise BadInput("no-connection", "--migrate needs --connection or DATABASE_URL")
        return _migrate(out, connection, migrate_path, dry_run, status, down_count, target_version)
    if dry_run or status or down_count or target_version:
        raise BadInput("usage", "--dry-run, --status, --down and --target go with --migrate")
    if compare is not None or compare_url is not None:
        plans, title = _compare(
            connection, compare, compare_url, extra_args, shadow_choice, shadow_url, with_privileges
        )
        return _emit_plan(out, plans, title, output, migration_name, allow_data_loss)
    return None


def _compare(
    connection: str | None,
    compare: str | None,
    compare_url: str | None,
    extra_args: tuple[str, ...],
    shadow_choice: str | None,
    shadow_url: str | None,
    with_privileges: bool,
) -> tuple[tuple[Plan, Plan], str]:
    if compare is not None and compare_url is not None:
        raise BadInput("usage", "give either --compare or --compare-url, not both")
    if len(extra_args) > 1:
        raise BadInput("usage", f"unexpected arguments: {' '.join(extra_args[1:])}")
    second = Path(extra_args[0]) if extra_args else None
    if compare_url is not None:
        if not connection:
            raise BadInput("no-connection", "--compare-url needs --connection (the database to migrate)")
        old, new = both(lambda: snapshot_url(connection), lambda: snapshot_url(compare_url))
        if not same_major(old, new):
            with connect(compare_url) as conn:  # temporary views only, in a transaction rolled back
                restate_views(conn, old, new, DEFAULT_SEARCH_PATH)
            click.echo(
                f"warning: the databases run PostgreSQL {old.server_version // 10000} and "
                f"{new.server_version // 10000}: views are compared as the second one spells them, other "
                "catalog text may still differ",
                err=True,
            )
        title = f"{mask_password(connection)} -> {mask_password(compare_url)}"
    else:
        first = Path(compare)  # type: ignore[arg-type]
        desired_sources = read_schema(second if second else first)
        current_sources = read_schema(first) if second else None
        if second is None and not connection:
            raise BadInput("no-connection", "--compare FILE needs --connection (or give two files)")
        shadow = choose_shadow(shadow_choice, shadow_url, None if second else connection)
        for note in shadow.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"shadow: {shadow.describe()} ({shadow.reason})", err=True)
        if current_sources is not None:
            old, new = both(
                lambda: shadow.snapshot_of(current_sources),
                lambda: shadow.snapshot_of(desired_sources),
            )
            title = f"{first} -> {second}"
        else:
            old, new = shadow.snapshots_against(desired_sources, lambda: snapshot_url(connection))  # type: ignore[arg-type]
            warning = shadow.version_warning(old.server_version)
            if warning:
                click.echo(f"warning: {warning}", err=True)
            title = f"{mask_password(connection)} -> {first}"  # type: ignore[arg-type]
        skipped = desired_sources.warnings + (current_sources.warnings if current_sources else [])
        for warning in skipped + shadow.warnings:
            click.echo(f"warning: {warning}", err=True)
    return migration_plans(old, new, with_privileges=with_privileges), title


def _emit_plan(
    out: Output, plans: tuple[Plan, Plan], title: str, output: Path | None, name: str, allow_data_loss: bool
) -> int:
    up, down = plans
    for warning in up.warnings + [w for w in down.warnings if w not in up.warnings]:
        out.log(f"warning: {warning.message}")
    if up.refusals:
        raise Refused(
            "unsupported-change",
            f"{len(up.refusals)} change(s) have no safe migration: {'; '.join(r.message for r in up.refusals)}",
            hint="make those changes in a separate, hand-written migration first",
        )
    lossy = up.data_loss
    if lossy and not allow_data_loss:
        listed = "; ".join(change.description for change in lossy[:5])
        raise Refused(
            "data-loss",
            f"{len(lossy)} change(s) can lose data: {listed}",
            hint="review them and rerun with --allow-data-loss",
        )
    split = up.no_transaction or down.no_transaction
    up_sql = up.render(f"up: {title}", split=split)
    down_sql = down.render(f"down: {title}", split=split)
    paths: list[str] = []
    if output is not None and not up.empty:
        paths = [str(p) for p in write_migration(output, name, up_sql, down_sql, split)]
    if out.is_json:
        out.json(
            {
                "changes": [change.to_json() for change in up.changes],
                "summary": up.summary(),
                "warnings": [warning.to_json() for warning in up.warnings],
                "no_transaction": split,
                "up_sql": up_sql,
                "down_sql": down_sql,
                "files": paths,
            }
        )
        return ExitCode.OK
    if output is None:
        click.echo(migration_text(up_sql, split), nl=False)
    summary = ", ".join(f"{k}: {v}" for k, v in up.summary().items())
    out.log(f"{'no changes' if up.empty else summary}")
    for path in paths:
        out.log(f"wrote {path}")
    return ExitCode.OK


def _lint(out: Output, path: Path) -> int:
    files = lint_targets(path)
    findings = [(file, finding) for file in files for finding in lint_file(file)]
    errors = sum(1 for _, f in findings if f.level == ERROR)
    if out.is_json:
        out.json(
            {
                "files": [str(file) for file in files],
                "findings": [{"file": str(file), **f.to_json()} for file, f in findings],
                "errors": errors,
            }
        )
    else:
        out.table(
            f"lint {path}",
            ["file", "line", "level", "rule", "message", "fix"],
            [(file.name, f.line, f.level, f.rule, f.message, f.fix) for file, f in findings],
        )
        out.log(f"{len(files)} file(s), {len(findings)} finding(s), {errors} error(s)")
    return ExitCode.CHECK_FAILED if errors else ExitCode.OK


def _migrate(
    out: Output, url: str, path: Path, dry_run: bool, status: bool, down_count: int | None, target: str | None
) -> int:
    migrations = discover(path)
    runner = Runner(url)
    try:
        if status:
            rows = runner.status(migrations)
            if out.is_json:
                out.json({"migrations": rows})
            else:
                out.table(
                    "migrations",
                    ["version", "name", "state", "applied_at"],
                    [(r["version"], r["name"], r["state"], r["applied_at"]) for r in rows],
                )
            return ExitCode.OK
        try:
            if dry_run:
                report = runner.dry_run(migrations)
                _print_dry_run(out, report)
                return ExitCode.OK
            done = runner.down(migrations, down_count) if down_count else runner.migrate(migrations, target)
        except MigrationFailed as exc:
            if out.is_json:
                out.json({"failed": exc.to_json(), "rolled_back": True})
            click.echo(f"error: {exc} (rolled back)", err=True)
            return ExitCode.CHECK_FAILED
        if out.is_json:
            out.json({"applied": done})
        else:
            out.table(
                "migrations run",
                ["version", "name", "direction", "ms"],
                [(d["version"], d["name"], d["direction"], d["ms"]) for d in done],
            )
            out.log(f"{len(done)} migration(s) run" if done else "nothing to do: the database is up to date")
        return ExitCode.OK
    finally:
        runner.close()


def _print_dry_run(out: Output, report: dict) -> None:
    if out.is_json:
        out.json(report)
        return
    rows = []
    for migration in report["migrations"]:
        for item in migration["statements"]:
            rows.append(
                (
                    f"{migration['version']}_{migration['name']}",
                    item["line"],
                    item["statement"],
                    item.get("ms", ""),
                    "; ".join(item.get("locks", [])) or item.get("note", ""),
                )
            )
    out.table("dry run (rolled back)", ["migration", "line", "statement", "ms", "locks"], rows)
    out.line(
        "schema changes: " + (json.dumps(report["schema_changes"]) if report["schema_changes"] else "none")
    )
    for moved in report.get("sequences_advanced", []):
        out.line(
            f"sequence {moved['sequence']} advanced {moved['before']} -> {moved['after']} "
            "(a rollback does not undo nextval; the gap is harmless)"
        )
    out.log("dry run: everything was rolled back")
