"""Command line of the API scaffolder (`api-scaffolder`, `scripts/api_scaffolder.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.fromdb.run import project_from_db, spec_yaml
from senior_backend.scaffold.ir import ApiModel, build_model
from senior_backend.scaffold.render import FRAMEWORKS, RenderedFile, base_path, render
from senior_backend.scaffold.tospec.cli import write_spec
from senior_backend.scaffold.writer import apply_plan, plan_write

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
    type=click.Choice(["example", "not-implemented"]),
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
        if from_db is not None or source is None:
            raise BadInput(
                "missing-source",
                "--generate-spec needs a route file or folder (and no --from-db)",
            )
        return write_spec(Path(source), Path(output), out, force=force, dry_run=dry_run)
    if from_db is not None:
        if source is not None:
            raise BadInput("two-sources", "give either an OpenAPI file or --from-db, not both")
        model, files = _from_db(from_db, framework, schemas, include, exclude, spec_out, dry_run)
    else:
        if spec_out or include or exclude or schemas != ("public",):
            raise BadInput("needs-from-db", "--spec-out, --schema, --include and --exclude need --from-db")
        model, files = _from_spec(source, framework, stubs)
    target = Path(output)
    if target.exists() and not target.is_dir():
        raise BadInput("not-a-folder", f"{target} exists and is not a folder")
    operations = [f"{op.method.upper()} {op.path} {op.operation_id}" for op in model.operations]
    plan = plan_write(target, files, operations, framework, force)
    if plan.conflicts:
        raise Refused(
            "edited-generated-files",
            f"{len(plan.conflicts)} generated file(s) were edited since the last run: "
            + ", ".join(plan.conflicts[:5]),
            hint="move your changes into handlers/, or rerun with --force to overwrite",
        )
    if not dry_run:
        apply_plan(target, files, plan, operations, framework)
    for diagnostic in model.warnings:
        out.log(diagnostic.one_line())
    summary = (
        f"Generated {len(model.operations)} route handlers, validation middleware, and TypeScript types"
        f" ({framework}, {len(model.groups)} route modules) in {target}"
    )
    if out.is_json:
        out.json(
            {
                "framework": framework,
                "output": str(target),
                "dry_run": dry_run,
                "operations": [
                    {
                        "operationId": op.operation_id,
                        "method": op.method.upper(),
                        "path": op.path,
                        "handler": op.name,
                    }
                    for op in model.operations
                ],
                "files": plan.to_json(),
                "warnings": [diagnostic.to_json() for diagnostic in model.warnings],
                "summary": summary,
            }
        )
        return ExitCode.OK
    prefix = "Would write" if dry_run else "Wrote"
    rows = [(path, "create") for path in plan.created] + [(path, "update") for path in plan.updated]
    rows += [(path, "kept (yours)") for path in plan.kept] + [(path, "delete") for path in plan.deleted]
    out.table(f"{prefix} {len(plan.created) + len(plan.updated)} file(s)", ["file", "action"], rows)
    for name in plan.added_operations:
        out.line(f"added operation: {name}")
    for name in plan.removed_operations:
        out.line(f"removed operation: {name} (its handler code is kept; delete it when you are ready)")
    out.line(("Dry run: " if dry_run else "") + summary)
    return ExitCode.OK


def _from_spec(source: str | None, framework: str, stubs: str) -> tuple[ApiModel, list[RenderedFile]]:
    if source is None:
        raise BadInput("missing-source", "give an OpenAPI file, or --from-db URL")
    if Path(source).is_dir():
        raise BadInput("not-a-spec", f"{source} is a folder; pass a spec file (or --generate-spec)")
    document = load_openapi(source)
    model = build_model(document)
    if not model.operations:
        raise BadInput("no-operations", "the spec defines no operations", where=f"{source}#/paths")
    return model, render(model, framework, stubs=stubs, prefix=base_path(document.root.get("servers")))


def _from_db(
    url: str,
    framework: str,
    schemas: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    spec_out: str | None,
    dry_run: bool,
) -> tuple[ApiModel, list[RenderedFile]]:
    project = project_from_db(url, framework, schemas, include, exclude)
    project.model.warnings[:] = project.warnings
    if spec_out and not dry_run:
        text = spec_yaml(project.document)
        Path(spec_out).parent.mkdir(parents=True, exist_ok=True)
        Path(spec_out).write_text(text, encoding="utf-8")
    return project.model, project.files


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="api_scaffolder.py")
