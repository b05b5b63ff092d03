"""Showing a `--generate-spec` run: one summary line, or one JSON document
(published as `schemas/scaffold-generate-spec.v1.json`); warnings go to stderr in both formats."""

from __future__ import annotations

from typing import Any

from senior_backend.common.console import Output
from senior_backend.scaffold.tospec.run import GenerateSpecResult


def summary(result: GenerateSpecResult) -> str:
    """One sentence: what was recovered from how many files, and where it went."""
    text = (
        f"Recovered {len(result.operations)} operations and {len(result.schemas)} schemas"
        f" from {len(result.route_files)} files into {result.output}"
    )
    return "Dry run: " + text.replace(" into ", " (not written) for ") if result.dry_run else text


def to_json(result: GenerateSpecResult) -> dict[str, Any]:
    """The `--format json` document."""
    return {
        "source": str(result.source),
        "output": str(result.output),
        "dry_run": result.dry_run,
        "files": len(result.route_files),
        "operations": [
            {
                "operationId": op.operation_id,
                "method": op.method.upper(),
                "path": op.path,
                "where": op.where,
            }
            for op in result.operations
        ],
        "schemas": result.schemas,
        "warnings": [diagnostic.to_json() for diagnostic in result.warnings],
        "summary": summary(result),
    }


def show(out: Output, result: GenerateSpecResult) -> None:
    """Print the run in the chosen format; warnings go to stderr as log lines."""
    for diagnostic in result.warnings:
        out.log(diagnostic.one_line())
    if out.is_json:
        out.json(to_json(result))
    else:
        out.line(summary(result))
