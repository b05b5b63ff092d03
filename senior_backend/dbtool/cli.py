"""Command line of the database migration tool (`database-migration-tool`, `scripts/database_migration_tool.py`).

One click command; each mode is a small function the command dispatches to. A mode's library is
imported when that mode runs (the analyser's, the diff's and the runner's modules, psycopg and
pglast are not loaded to parse flags), so `--analyze` starts without the other rooms.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.diff.cli import compare_options, run_compare_mode
from senior_backend.dbtool.migrate.cli import migrate_options, run_migrate_mode

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.run import AnalyzeOptions

EXAMPLES = """
\b
Examples:
  database_migration_tool.py --connection postgres://localhost/app --analyze
  database_migration_tool.py --analyze examples/schema.sql              # no server: embedded PostgreSQL
  database_migration_tool.py --connection $DATABASE_URL --analyze --fail-on warning   # CI gate
  database_migration_tool.py --connection $DATABASE_URL --suggest-indexes --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --suggest-indexes --queries slow.sql --json
  database_migration_tool.py --connection $DATABASE_URL --compare schema/v2.sql --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --compare schema/v2.sql --shadow embedded
  database_migration_tool.py --compare schema/v1.sql schema/v2.sql      # two files, no database
  database_migration_tool.py --connection $DATABASE_URL --compare-url postgres://localhost/staging
  database_migration_tool.py --lint migrations/
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/ --dry-run
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/ --status
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/ --down 1

\b
--analyze needs no grants for the catalog checks and pg_monitor for the
statistics views; N+1 detection and query-based
suggestions need pg_stat_statements, proven suggestions need hypopg
(CREATE EXTENSION hypopg). Nothing is changed in a database except by
--migrate (and --dry-run always rolls back); --compare loads the desired
schema into a temporary database on the target's server (dropped on exit)
when the role may create one, else into the embedded PostgreSQL 18.
Exit codes: 0 ok, 1 findings at --fail-on level, lint errors or a failed
migration, 2 bad input, 3 refused (data loss without --allow-data-loss, a
change with no safe migration, an applied migration whose file changed),
4 database unreachable.
"""

_ANALYZE_LIVE = "-"


@click.command(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1)
@click.option("--connection", envvar="DATABASE_URL", help="PostgreSQL URL (default: $DATABASE_URL).")
@click.option(
    "--analyze",
    "analyze",
    is_flag=False,
    flag_value=_ANALYZE_LIVE,
    default=None,
    metavar="[SCHEMA_FILE_OR_DIR]",
    help="Report problems: unindexed foreign keys, missing primary keys, duplicate/unused/invalid indexes, "
    "N+1 shapes, seq scans, sequences, vacuum, XID age, risky types. With a schema file or folder and "
    "no --connection, loads it into an embedded PostgreSQL and runs the structural checks.",
)
@click.option(
    "--suggest-indexes",
    is_flag=True,
    help="Suggest indexes for the top pg_stat_statements queries (or --queries), each proven with hypopg.",
)
@click.option(
    "--queries",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQL file of statements to suggest indexes for, instead of pg_stat_statements.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write timestamped .up.sql/.down.sql migrations (fixes, index suggestions, schema diffs) into this folder.",
)
@click.option(
    "--min-cost-reduction",
    type=click.FloatRange(0, 100),
    default=50.0,
    show_default=True,
    help="Keep a suggested index only when it cuts the plan cost by at least this percentage.",
)
@click.option(
    "--min-rows",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Tables with fewer rows are ignored by index and statistics checks (an index would not matter).",
)
@click.option(
    "--top",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="How many statements (by total time) --suggest-indexes examines.",
)
@click.option(
    "--fail-on",
    type=click.Choice([level.value for level in Level]),
    help="Exit 1 when there are findings of this level or worse (for CI).",
)
@compare_options
@migrate_options
@output_options
def command(
    paths: tuple[str, ...],
    connection: str | None,
    analyze: str | None,
    suggest_indexes: bool,
    queries: Path | None,
    output: Path | None,
    min_cost_reduction: float,
    min_rows: int,
    top: int,
    fail_on: str | None,
    output_format: str,
    json_flag: bool,
    debug: bool,
    **modes: object,
) -> int:
    """Analyse a PostgreSQL database, suggest indexes, diff schemas and apply migrations safely."""
    out = Output(resolve_format(output_format, json_flag))
    if analyze is not None or suggest_indexes:
        from senior_backend.dbtool.analyze.run import AnalyzeOptions

        schema_path = Path(analyze) if analyze != _ANALYZE_LIVE and analyze is not None else None
        if schema_path is not None and _from_environment("connection"):
            connection = None  # an explicit schema file beats $DATABASE_URL; only --connection overrides it
        options = AnalyzeOptions(
            connection=connection,
            schema_path=schema_path,
            analyze=analyze is not None,
            suggest=suggest_indexes,
            queries=queries,
            output=output,
            min_cost_reduction=min_cost_reduction / 100.0,
            min_rows=min_rows,
            top=top,
        )
        return run_analyze_mode(out, options, fail_on)
    if paths and modes.get("compare") is None:
        raise click.UsageError(f"unexpected arguments: {' '.join(paths)} (only --compare takes a second file)")
    result = run_migrate_mode(out, connection, **modes)  # type: ignore[arg-type]
    if result is None:
        result = run_compare_mode(out, connection, paths, output=output, **modes)  # type: ignore[arg-type]
    if result is None:
        raise click.UsageError(
            "choose a mode: --analyze, --suggest-indexes, --compare, --compare-url, --lint or --migrate"
        )
    return result


def run_analyze_mode(out: Output, options: AnalyzeOptions, fail_on: str | None) -> int:
    """`--analyze` / `--suggest-indexes`: run, report, and return the exit code."""
    from senior_backend.dbtool.analyze.findings import at_least
    from senior_backend.dbtool.analyze.report import show
    from senior_backend.dbtool.analyze.run import run_analysis

    if options.schema_path is not None and options.connection:
        out.log(
            f"note: --connection was given on the command line, so {options.schema_path} is ignored and "
            "the live database is analysed (drop --connection to analyse the file)"
        )
    result = run_analysis(options)
    for warning in result.warnings:
        out.log(f"warning: {warning}")
    show(out, result)
    if fail_on and at_least(result.findings, Level(fail_on)):
        return int(ExitCode.CHECK_FAILED)
    return int(ExitCode.OK)


def _from_environment(parameter: str) -> bool:
    """True when the option's value came from its environment variable, not the command line."""
    source = click.get_current_context().get_parameter_source(parameter)
    return source is click.core.ParameterSource.ENVIRONMENT


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="database_migration_tool.py")
