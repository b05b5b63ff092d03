"""`--from-db`, the use case: `FromDbOptions` in, the CRUD project written, a `FromDbResult` out.

The database is introspected (catalog.py), turned into an OpenAPI document and SQL plans
(spec.py), built into the same API model as a spec file (ir.py), rendered with SQL handlers
(render.py) and written like any scaffolded project (writer.py); `--spec-out` also writes the
document. The result has the shape of scaffold/run.py's, plus where the spec went.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from senior_backend.common.masking import mask_password
from senior_backend.common.openapi import OpenAPIDocument
from senior_backend.common.pg.connect import connect
from senior_backend.scaffold.fromdb.catalog import read_resources
from senior_backend.scaffold.fromdb.render import render_from_db
from senior_backend.scaffold.fromdb.spec import build_spec
from senior_backend.scaffold.ir import build_model
from senior_backend.scaffold.run import ScaffoldResult
from senior_backend.scaffold.writer import write_project


@dataclass(frozen=True)
class FromDbOptions:
    """What the command line asked for: a database, what to read of it, and where to write."""

    url: str
    output: Path
    framework: str = "express"
    schemas: tuple[str, ...] = ("public",)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    spec_out: Path | None = None
    force: bool = False
    dry_run: bool = False


@dataclass
class FromDbResult(ScaffoldResult):
    """A scaffold result (`source` is the masked URL) and the OpenAPI file written, if asked for."""

    spec_out: Path | None = None


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases: shared schema objects are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def spec_yaml(document: dict[str, Any]) -> str:
    """The OpenAPI document as YAML, in the order it was built."""
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def _title(url: str) -> str:
    database = urlsplit(url).path.strip("/") if "://" in url else ""
    return f"{database or 'database'} API"


def run_from_db(options: FromDbOptions) -> FromDbResult:
    """Generate the CRUD project of the database at `options.url` into `options.output`.

    Raises `Unreachable` when the database cannot be reached, `BadInput` when the selection holds no
    table or view (or `include` names one that is not there), `Refused` like `run_scaffold`. The spec
    is written after the project, so a refused run writes nothing."""
    masked = mask_password(options.url)
    with connect(options.url) as conn:
        resources, warnings = read_resources(masked, options.schemas, options.include, options.exclude, conn)
    document, plans, spec_warnings = build_spec(resources, _title(options.url))
    model = build_model(OpenAPIDocument(document, Path("openapi.yaml"), "3.1.0"))
    files = render_from_db(model, plans, resources, options.framework, masked)
    plan = write_project(
        options.output,
        files,
        model.operations,
        options.framework,
        force=options.force,
        dry_run=options.dry_run,
    )
    if options.spec_out is not None and not options.dry_run:
        options.spec_out.parent.mkdir(parents=True, exist_ok=True)
        options.spec_out.write_text(spec_yaml(document), encoding="utf-8")
    return FromDbResult(
        source=masked,
        framework=options.framework,
        output=options.output,
        dry_run=options.dry_run,
        base_path=model.base_path,
        operations=[op for op in model.operations if op.name not in model.skipped],
        skipped=[op for op in model.operations if op.name in model.skipped],
        modules=[group.module for group in model.groups],
        files=plan,
        warnings=[*warnings, *spec_warnings, *model.warnings],
        spec_out=options.spec_out,
    )
