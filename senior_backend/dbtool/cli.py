"""Command line of the database migration tool (`database-migration-tool`, `scripts/database_migration_tool.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from senior_backend.common.cli import output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.dbtool.cli_migrate import MIGRATE_EXAMPLES, migrate_options, run_migrate_mode

EXAMPLES = """
\b
Examples:
  database_migration_tool.py --connection postgres://localhost/app --analyze
  database_migration_tool.py --analyze examples/schema.sql
  database_migration_tool.py --connection $DATABASE_URL --suggest-indexes --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --compare schema/v2.sql --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/ --dry-run
"""


@click.command(epilog=EXAMPLES + MIGRATE_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1)
@click.option("--connection", envvar="DATABASE_URL", help="PostgreSQL URL (default: $DATABASE_URL).")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write a timestamped .up.sql/.down.sql migration into this folder.",
)
@migrate_options
@output_options
def command(
    paths: tuple[str, ...],
    connection: str | None,
    output: Path | None,
    output_format: str,
    json_flag: bool,
    debug: bool,
    **modes: object,
) -> int:
    """Analyse a PostgreSQL database, suggest indexes, diff schemas and apply migrations safely."""
    out = Output(resolve_format(output_format, json_flag))
    result = run_migrate_mode(out, connection, paths, output=output, **modes)  # type: ignore[arg-type]
    if result is None:
        raise click.UsageError("choose a mode: --compare, --compare-url, --lint or --migrate")
    return result


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="database_migration_tool.py")
