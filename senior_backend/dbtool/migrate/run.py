"""`--lint` and `--migrate` (with `--dry-run`, `--status`, `--down`, `--target`): typed options in, typed results out.

`run_lint(path)` lints a migration file or folder; `run_migrate(options)` is
the one use case of the runner: it reports the status, dry-runs, applies or
rolls back, and returns what happened. A migration whose statement fails is
a result (`FailedRun`: which statements stay applied and which do not), not
an exception; the refusals (`Refused`: an applied file was edited, a partly
applied one changed) and bad input (`BadInput`) are raised. What the exit code is stays with the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from senior_backend.common.diagnostics import Level
from senior_backend.common.errors import BadInput
from senior_backend.dbtool.migrate.dry_run import DryRunMigration, DryRunReport
from senior_backend.dbtool.migrate.lint import Finding, lint_file, lint_targets
from senior_backend.dbtool.migrate.progress import (
    APPLIED,
    SETTING,
    FailedStatement,
    MigrationFailed,
    StatementOutcome,
    numbers,
)
from senior_backend.dbtool.migrate.runner import MigrationState, RanMigration, Runner, discover


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
    """A statement failed. `statements`: the state of each statement of its migration; `rolled_back`: nothing
    of that migration stays applied (a transactional file, or a no-transaction file that failed at its first
    statement or block); `ran`: the earlier migrations of the run, applied; `dropped_indexes`: the INVALID
    indexes the failed statement left and the runner dropped; `left_indexes`: those it could not drop;
    `direction`: `down` when the failed file is a .down.sql (its progress recorded as a partial rollback);
    `simulated`: for a dry run, the migrations it ran (and rolled back) before the failed one."""

    failure: FailedStatement
    rolled_back: bool = True
    statements: list[StatementOutcome] = field(default_factory=list)
    ran: list[RanMigration] = field(default_factory=list)
    dropped_indexes: list[str] = field(default_factory=list)
    left_indexes: list[str] = field(default_factory=list)
    direction: str = "up"
    simulated: list[DryRunMigration] | None = None

    @property
    def applied_statements(self) -> list[int]:
        """Numbers of the failed migration's statements that stay applied."""
        return [s.index for s in self.statements if s.state == APPLIED]

    @property
    def resume_at(self) -> int | None:
        """The statement a rerun starts at, when some stay applied (recorded in the tracking row)."""
        applied = self.applied_statements
        return max(applied) + 1 if applied else None

    def verdict(self) -> str:
        """What the failure left, in one line: rolled back, or exactly which statements stay."""
        parts = []
        if self.rolled_back:
            parts.append(f"rolled back: nothing of {self.failure.migration} was applied")
        else:
            unapplied = [s.index for s in self.statements if s.state not in (APPLIED, SETTING)]
            rerun, what = (
                ("--down 1", "partly rolled back") if self.direction == "down" else ("", "partly applied")
            )
            parts.append(
                f"{self.failure.migration} is {what}: statement(s) {numbers(self.applied_statements)} "
                f"stay applied, {numbers(unapplied)} not; the progress is recorded, fix the cause and rerun "
                f"--migrate{' ' + rerun if rerun else ''} to resume at statement {self.resume_at}"
            )
        parts += [
            f"dropped the INVALID index {name} the failed statement left" for name in self.dropped_indexes
        ]
        parts += [f"could not drop the INVALID index {text}" for text in self.left_indexes]
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "failed": self.failure.to_json(),
            "rolled_back": self.rolled_back,
            "statements": [s.to_json() for s in self.statements],
            "resume_at": self.resume_at,
            "applied": [m.to_json() for m in self.ran],
            "dropped_indexes": self.dropped_indexes,
            "left_indexes": self.left_indexes,
            "direction": self.direction,
            **({} if self.simulated is None else {"simulated": [m.to_json() for m in self.simulated]}),
        }


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
        return FailedRun(
            exc.failure,
            exc.rolled_back,
            exc.statements,
            exc.ran,
            exc.dropped,
            exc.left,
            exc.direction,
            exc.simulated,
        )
    finally:
        runner.close()
