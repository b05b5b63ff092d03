"""Command line of the API scaffolder (`api-scaffolder`, `scripts/api_scaffolder.py`).

It only parses: each mode is one use case (spec -> code: run.py; `--from-db`: fromdb/run.py;
`--generate-spec`: tospec/run.py through tospec/cli.py), called with typed options, its typed
result shown by one renderer (report.py, tospec/report.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput
from senior_backend.scaffold.fromdb.run import FromDbOptions, run_from_db
from senior_backend.scaffold.render import FRAMEWORKS, STUBS
from senior_backend.scaffold.report import show
from senior_backend.scaffold.run import ScaffoldOptions, run_scaffold
from senior_backend.scaffold.tospec.cli import generate_spec_mode

EXAMPLES = """
\b
Examples:
  api_scaffolder.py openapi.yaml --framework express --output src/api/
  api_scaffolder.py openapi.yaml --framework fastify --output src/api/ --dry-run
  api_scaffolder.py openapi.yaml --framework koa --output src/api/ --stubs not-implemented
  api_scaffolder.py openapi.yaml --output src/api/ --format json
  api_scaffolder.py --from-db postgres://app@localhost/shop --output src/ --spec-out openapi.yaml
  api_scaffolder.py --from-db "$DATABASE_URL" --schema public --schema billing --exclude audit_log -o src/
  api_scaffolder.py src/routes/ --generate-spec --output openapi.yaml

\b
Output: types.ts, schemas.ts (validators), http.ts (errors, request ids), app.ts,
server.ts (PORT/HOST, default 127.0.0.1:3000), routes/<tag>.ts, package.json
(all regenerated) and handlers/<tag>.ts (created once, never overwritten).
With --from-db, handlers/<table>.ts run parameterised SQL through `pg` (pool from DATABASE_URL),
db.ts maps constraint errors (409 unique, 422 foreign key/check), and views are read-only.
With --generate-spec, SOURCE is a route file or folder (Express, Fastify, Koa;
.ts/.js) and --output the OpenAPI file to write (.json for JSON, else YAML).
Exit codes: 0 ok, 2 bad spec or usage, 3 refused to overwrite an edited generated file
(with --generate-spec: an existing spec that it did not write), 4 database unreachable.
"""


@click.command(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source", required=False, type=click.Path())
@click.option("--framework", type=click.Choice(FRAMEWORKS), default="express", show_default=True)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(),
    required=True,
    help="Folder to write (with --generate-spec: the spec file).",
)
@click.option(
    "--generate-spec", is_flag=True, help="Recover an OpenAPI document from existing route files in SOURCE."
)
@click.option(
    "--stubs",
    type=click.Choice(STUBS),
    default="example",
    show_default=True,
    help="example: handlers answer the spec's example response (a working mock); not-implemented: 501.",
)
@click.option(
    "--from-db", "from_db", metavar="URL", help="Build a CRUD API from this database instead of a spec."
)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    default=("public",),
    show_default=True,
    help="With --from-db: schema to read (repeatable).",
)
@click.option(
    "--include", multiple=True, metavar="TABLE", help="With --from-db: only these tables/views (repeatable)."
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="TABLE",
    help="With --from-db: leave out these tables/views (repeatable).",
)
@click.option(
    "--spec-out",
    type=click.Path(dir_okay=False),
    help="With --from-db: also write the OpenAPI document of the generated API here.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite generated files even if they were edited (or a spec --generate-spec did not write).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@output_options
def command(
    source: str | None,
    framework: str,
    output: str,
    stubs: str,
    from_db: str | None,
    schemas: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    spec_out: str | None,
    force: bool,
    dry_run: bool,
    generate_spec: bool,
    output_format: str,
    json_flag: bool,
    debug: bool,
) -> int:
    """Turn an OpenAPI spec into TypeScript route handlers, validation middleware and types
    (or, with --generate-spec, existing route files into an OpenAPI spec)."""
    out = Output(resolve_format(output_format, json_flag))
    if generate_spec:
        return generate_spec_mode(out, source, output, from_db=from_db, force=force, dry_run=dry_run)
    if from_db is not None:
        if source is not None:
            raise BadInput("two-sources", "give either an OpenAPI file or --from-db, not both")
        result = run_from_db(
            FromDbOptions(
                from_db,
                Path(output),
                framework,
                schemas=schemas,
                include=include,
                exclude=exclude,
                spec_out=Path(spec_out) if spec_out else None,
                force=force,
                dry_run=dry_run,
            )
        )
    else:
        if spec_out or include or exclude or schemas != ("public",):
            raise BadInput("needs-from-db", "--spec-out, --schema, --include and --exclude need --from-db")
        if source is None:
            raise BadInput("missing-source", "give an OpenAPI file, or --from-db URL")
        result = run_scaffold(
            ScaffoldOptions(Path(source), Path(output), framework, stubs=stubs, force=force, dry_run=dry_run)
        )
    show(out, result)
    return ExitCode.OK


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="api_scaffolder.py")
