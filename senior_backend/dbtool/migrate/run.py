"""`--lint` and `--migrate` (with `--dry-run`, `--status`, `--down`, `--target`): typed options in, typed results out.

`run_lint(path)` lints a migration file or folder; `run_migrate(options)` is
the one use case of the runner: it reports the status, dry-runs, applies or
rolls back, and returns what happened. A migration whose statement fails is
a result (`FailedRun`: that migration was rolled back), not an exception; the
refusals (`Refused`: an applied file was edited) and bad input (`BadInput`)
are raised. What the exit code is stays with the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senior_backend.common.diagnostics import Level
from senior_backend.common.errors import BadInput
from senior_backend.dbtool.migrate.lint import Finding, lint_file, lint_targets
from senior_backend.dbtool.migrate.runner import (
    DryRunReport,
    FailedStatement,
    MigrationFailed,
    MigrationState,
    RanMigration,
    Runner,
    discover,
)


@dataclass(frozen=True)
class LintReport:
    """The files `--lint` read and every finding in them, in file order."""

    files: list[Path]
    findings: list[Finding]

    @property
    def errors(self) -> int:
        """How many findings are errors (the run fails when there is one)."""
        return sum(1 for finding in self.findings if finding.level is Level.ERROR)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [str(file) for file in self.files],
            "findings": [finding.to_json() for finding in self.findings],
            "errors": self.errors,
        }


def run_lint(path: Path) -> LintReport:
    """Lint a migration file, or a folder's `.sql` files except `.down.sql` ones."""
    files = lint_targets(path)
    return LintReport(files, [finding for file in files for finding in lint_file(file)])


@dataclass(frozen=True)
class MigrateOptions:
    """What `--migrate PATH` was asked to do; `status` beats `dry_run`, which beats `down`; else apply
    pending migrations (up to `target`, rolling back applied ones above it, when given)."""

    connection: str | None
    path: Path
    dry_run: bool = False
    status: bool = False
    down: int | None = None
    target: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """`--status`: every migration file and applied version with its state."""

    migrations: list[MigrationState]

    def to_json(self) -> dict[str, Any]:
        return {"migrations": [row.to_json() for row in self.migrations]}


@dataclass(frozen=True)
class RunReport:
    """The migrations a run applied or rolled back, in the order they ran (empty: nothing to do)."""

    ran: list[RanMigration]

    def to_json(self) -> dict[str, Any]:
        return {"applied": [migration.to_json() for migration in self.ran]}


@dataclass(frozen=True)
class FailedRun:
    """A statement failed: its migration was rolled back (earlier migrations of the run stay applied;
    in a dry run everything was rolled back anyway)."""

    failure: FailedStatement

    def to_json(self) -> dict[str, Any]:
        return {"failed": self.failure.to_json(), "rolled_back": True}


MigrateResult = StatusReport | DryRunReport | RunReport | FailedRun
"""What `run_migrate` returns, one type per outcome."""


def run_migrate(options: MigrateOptions) -> MigrateResult:
    """Report, dry-run, apply or roll back the migrations of `options.path` on `options.connection`."""
    if not options.connection:
        raise BadInput("no-connection", "--migrate needs --connection or DATABASE_URL")
    chosen = [
        flag
        for flag, given in (
            ("--status", options.status),
            ("--dry-run", options.dry_run),
            ("--down", bool(options.down)),
            ("--target", options.target is not None),
        )
        if given
    ]
    if len(chosen) > 1:
        raise BadInput("usage", f"{' and '.join(chosen)} do not go together: choose one")
    migrations = discover(options.path)
    runner = Runner(options.connection)
    try:
        if options.status:
            return StatusReport(runner.status(migrations))
        if options.dry_run:
            return runner.dry_run(migrations)
        if options.down:
            return RunReport(runner.down(migrations, options.down))
        return RunReport(runner.migrate(migrations, options.target))
    except MigrationFailed as exc:
        return FailedRun(exc.failure)
    finally:
        runner.close()
