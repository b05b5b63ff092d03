"""Spec -> code, the use case: `ScaffoldOptions` in, the project written, a `ScaffoldResult` out.

This is what `api_scaffolder.py SPEC --output DIR` does, callable without click: load the
spec into the API model (ir.py, which also carries the base path the routes are mounted
under), render the framework's files (render.py), and write them without clobbering user
code (writer.py). `--from-db` (fromdb/run.py) and `--generate-spec` (tospec/run.py) have the
same shape; report.py renders the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.errors import BadInput
from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import Operation, build_model
from senior_backend.scaffold.render import render
from senior_backend.scaffold.security import missing_verifiers
from senior_backend.scaffold.writer import Plan, write_project


@dataclass(frozen=True)
class ScaffoldOptions:
    """What the command line asked for: a spec file, an output folder and how to generate."""

    spec: Path
    output: Path
    framework: str = "express"
    stubs: str = "example"
    force: bool = False
    dry_run: bool = False


@dataclass
class ScaffoldResult:
    """What one run generated and what it did (or, dry, would do) to the output folder."""

    source: str  # the spec file, or the database URL with its password masked
    framework: str
    output: Path
    dry_run: bool
    base_path: str
    operations: list[Operation]  # the operations served (the spec's, less `skipped`)
    skipped: list[Operation]  # operations this framework cannot serve, each named in a warning
    modules: list[str]  # route modules: routes/<module>.ts and handlers/<module>.ts
    files: Plan  # created, updated, kept, deleted files; operations added and removed since the last run
    warnings: list[Diagnostic]


def run_scaffold(options: ScaffoldOptions) -> ScaffoldResult:
    """Generate the project of `options.spec` into `options.output`.

    Raises `BadInput` for a spec that does not load or has no operations, `Refused` when a
    generated file was edited since the last run (unless `force`); nothing is written then."""
    spec = options.spec
    if spec.is_dir():
        raise BadInput("not-a-spec", f"{spec} is a folder; pass a spec file (or --generate-spec)")
    model = build_model(load_openapi(spec))
    if not model.operations:
        raise BadInput("no-operations", "the spec defines no operations", where=f"{spec}#/paths")
    files = render(model, options.framework, stubs=options.stubs)  # may add stub-example warnings
    plan = write_project(
        options.output,
        files,
        model.operations,
        options.framework,
        force=options.force,
        dry_run=options.dry_run,
    )
    kept = options.output / "security.ts"
    if "security.ts" in plan.kept and kept.is_file():
        text = kept.read_text(encoding="utf-8", errors="replace")
        model.warnings.extend(missing_verifiers(text, model.security.schemes, str(kept)))
    return ScaffoldResult(
        source=str(spec),
        framework=options.framework,
        output=options.output,
        dry_run=options.dry_run,
        base_path=model.base_path,
        operations=[op for op in model.operations if op.name not in model.skipped],
        skipped=[op for op in model.operations if op.name in model.skipped],
        modules=[group.module for group in model.groups],
        files=plan,
        warnings=list(model.warnings),
    )
