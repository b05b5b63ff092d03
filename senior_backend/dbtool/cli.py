"""Command line of the database migration tool (`database-migration-tool`, `scripts/database_migration_tool.py`)."""

from __future__ import annotations

import click

from senior_backend.common.cli import output_options, run_main

EXAMPLES = """
\b
Examples:
  database_migration_tool.py --connection postgres://localhost/app --analyze
  database_migration_tool.py --analyze examples/schema.sql
  database_migration_tool.py --connection $DATABASE_URL --suggest-indexes --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --compare schema/v2.sql --output migrations/
  database_migration_tool.py --connection $DATABASE_URL --migrate migrations/ --dry-run
"""


@click.command(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--connection", envvar="DATABASE_URL", help="PostgreSQL URL (default: $DATABASE_URL).")
@output_options
def command(connection: str | None, output_format: str, json_flag: bool, debug: bool) -> int:
    """Analyse a PostgreSQL database, suggest indexes, diff schemas and apply migrations safely."""
    raise click.UsageError("the migration tool is not built yet")


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="database_migration_tool.py")
