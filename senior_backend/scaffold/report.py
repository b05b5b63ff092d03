"""Showing a scaffold run (from a spec or `--from-db`): a table of files and a summary, or one JSON document.

The JSON documents are published as `schemas/scaffold-generate.v1.json` and
`schemas/scaffold-from-db.v1.json`; warnings go to stderr in both formats.
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.console import Output
from senior_backend.scaffold.fromdb.run import FromDbResult
from senior_backend.scaffold.ir import Operation
from senior_backend.scaffold.run import ScaffoldResult

PLAN_KEYS = (
    "created",
    "updated",
    "unchanged",
    "kept",
    "deleted",
    "conflicts",
    "added_operations",
    "removed_operations",
    "first_run",
)
"""The keys of the `files` object, in the order they are shown."""


def summary(result: ScaffoldResult) -> str:
    """One sentence: how many handlers for which framework, and where."""
    return (
        f"Generated {len(result.operations)} route handlers, validation middleware, and TypeScript types"
        f" ({result.framework}, {len(result.modules)} route modules) in {result.output}"
        + (f"; {len(result.skipped)} operation(s) skipped (see the warnings)" if result.skipped else "")
    )


def to_json(result: ScaffoldResult) -> dict[str, Any]:
    """The `--format json` document (a `--from-db` result adds `spec_out`)."""
    document: dict[str, Any] = {
        "source": result.source,
        "framework": result.framework,
        "output": str(result.output),
        "dry_run": result.dry_run,
        "base_path": result.base_path,
        "operations": [_operation(op) for op in result.operations],
        "skipped": [_operation(op) for op in result.skipped],
        "files": {key: getattr(result.files, key) for key in PLAN_KEYS},
        "warnings": [diagnostic.to_json() for diagnostic in result.warnings],
        "summary": summary(result),
    }
    if isinstance(result, FromDbResult):
        document["spec_out"] = None if result.spec_out is None else str(result.spec_out)
    return document


def show(out: Output, result: ScaffoldResult) -> None:
    """Print the run in the chosen format; warnings go to stderr as log lines."""
    for diagnostic in result.warnings:
        out.log(diagnostic.one_line())
    if out.is_json:
        out.json(to_json(result))
        return
    plan = result.files
    prefix = "Would write" if result.dry_run else "Wrote"
    rows = [(path, "create") for path in plan.created] + [(path, "update") for path in plan.updated]
    rows += [(path, "kept (yours)") for path in plan.kept] + [(path, "delete") for path in plan.deleted]
    out.table(f"{prefix} {len(plan.created) + len(plan.updated)} file(s)", ["file", "action"], rows)
    for name in plan.added_operations:
        out.line(f"added operation: {name}")
    for name in plan.removed_operations:
        out.line(f"removed operation: {name} (its handler code is kept; delete it when you are ready)")
    if isinstance(result, FromDbResult) and result.spec_out is not None:
        out.line(f"{prefix} the OpenAPI document: {result.spec_out}")
    out.line(("Dry run: " if result.dry_run else "") + summary(result))


def _operation(op: Operation) -> dict[str, str]:
    return {"operationId": op.operation_id, "method": op.method.upper(), "path": op.path, "handler": op.name}
