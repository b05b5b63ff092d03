"""Command line of the API scaffolder (`api-scaffolder`, `scripts/api_scaffolder.py`)."""

from __future__ import annotations

import click

from senior_backend.common.cli import output_options, run_main

EXAMPLES = """
\b
Examples:
  api_scaffolder.py openapi.yaml --framework express --output src/routes/
  api_scaffolder.py openapi.yaml --framework fastify --output src/ --dry-run
  api_scaffolder.py --from-db postgres://localhost/app --framework koa --output src/
  api_scaffolder.py src/routes/ --generate-spec --output openapi.yaml
"""


@click.command(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source", required=False)
@click.option(
    "--framework", type=click.Choice(["express", "fastify", "koa"]), default="express", show_default=True
)
@click.option("--output", "-o", "output", type=click.Path(), help="Folder (or spec file) to write.")
@output_options
def command(
    source: str | None, framework: str, output: str | None, output_format: str, json_flag: bool, debug: bool
) -> int:
    """Turn an OpenAPI spec into TypeScript route handlers, validation middleware and types."""
    raise click.UsageError("the scaffolder is not built yet")


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="api_scaffolder.py")
