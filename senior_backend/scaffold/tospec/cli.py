"""`--generate-spec`: recover the spec from route files, write it, report what was found."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from senior_backend.common.cli import ExitCode
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput, Refused
from senior_backend.scaffold.tospec.openapi_out import GENERATED_BY, to_openapi
from senior_backend.scaffold.tospec.run import build_from_routes, route_files


def write_spec(source: Path, output: Path, out: Output, *, force: bool = False, dry_run: bool = False) -> int:
    """Parse the route files of `source`, write the OpenAPI document to `output`.

    An existing file that this command did not write (say, a hand-written spec) is kept unless `force`."""
    if not source.exists():
        raise BadInput("not-found", f"{source} does not exist")
    if output.is_dir():
        raise BadInput("not-a-file", f"{output} is a folder; --output names the spec file to write")
    if (
        output.is_file()
        and not (force or dry_run)
        and GENERATED_BY not in output.read_text(encoding="utf-8", errors="replace")
    ):
        raise Refused(
            "not-generated",
            f"{output} exists and was not written by --generate-spec",
            hint="choose another --output, or pass --force to overwrite it",
        )
    files = route_files(source)
    if not files:
        raise BadInput("no-route-files", f"no .ts/.js files in {source}")
    model = build_from_routes(source, title=source.resolve().name or "API")
    document = to_openapi(model)
    if output.suffix.lower() == ".json":
        text = json.dumps(document, indent=2) + "\n"
    else:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 10x faster
        text = yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True)
    if not dry_run:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    for diagnostic in model.warnings:
        out.log(diagnostic.one_line())
    summary = (
        f"Recovered {len(model.operations)} operations and {len(model.schemas)} schemas"
        f" from {len(files)} files into {output}"
    )
    if dry_run:
        summary = "Dry run: " + summary.replace(" into ", " (not written) for ")
    if out.is_json:
        out.json(
            {
                "output": str(output),
                "dry_run": dry_run,
                "files": len(files),
                "operations": [
                    {
                        "operationId": op.operation_id,
                        "method": op.method.upper(),
                        "path": op.path,
                        "where": op.where,
                    }
                    for op in model.operations
                ],
                "schemas": sorted(model.schemas),
                "warnings": [diagnostic.to_json() for diagnostic in model.warnings],
                "summary": summary,
            }
        )
    else:
        out.line(summary)
    return ExitCode.OK
