"""`--generate-spec`, the use case: `GenerateSpecOptions` in, the OpenAPI file written, a
`GenerateSpecResult` out; and route files -> API model, what Express, Fastify and Koa code states
about its API.

Files are parsed with tree-sitter (tospec/jsast.py), routes and mounts found
(tospec/routes.py), and each route's schemas recovered from what the code
says: Fastify `schema` objects as JSON Schema, zod schemas (as our generator
writes them, or by hand) through tospec/zodback.py, response types of our
generated `types.ts` through tospec/tsback.py. Whatever cannot be recovered is
a warning with file and line. The model is written as OpenAPI 3.1 by
tospec/openapi_out.py; tospec/report.py renders the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.errors import BadInput, Refused
from senior_backend.scaffold.ir import TS_GLOBAL_TYPES, WINDOWS_DEVICE_NAMES, ApiModel, Group, Operation
from senior_backend.scaffold.naming import NameTable, file_stem, identifier
from senior_backend.scaffold.security import read_schemes
from senior_backend.scaffold.tospec.components import drop_derived_views
from senior_backend.scaffold.tospec.jsast import (
    EXTENSIONS,
    Source,
    first_error,
    line,
    parse_file,
)
from senior_backend.scaffold.tospec.openapi_out import GENERATED_BY, to_openapi
from senior_backend.scaffold.tospec.operations import OperationReader
from senior_backend.scaffold.tospec.opnames import RecoveredOperation, unique_ids
from senior_backend.scaffold.tospec.project import Project, imported_files
from senior_backend.scaffold.tospec.routes import compose_with_base, find_routes, join

SKIP_DIRS = {"node_modules", ".git", "dist", "build"}


@dataclass(frozen=True)
class GenerateSpecOptions:
    """What the command line asked for: route files in, one spec file out."""

    source: Path  # a route file or a folder of them
    output: Path  # the spec to write: JSON for `.json`, else YAML
    force: bool = False
    dry_run: bool = False


@dataclass
class GenerateSpecResult:
    """What one run recovered, and the document it wrote (or, dry, would write)."""

    source: Path
    output: Path
    dry_run: bool
    route_files: list[Path]  # the files found under `source` (the files they import are read too)
    operations: list[Operation]
    schemas: list[str]  # component names, sorted
    document: dict[str, Any]  # the OpenAPI 3.1 document
    warnings: list[Diagnostic]


def run_generate_spec(options: GenerateSpecOptions) -> GenerateSpecResult:
    """Recover the API of the route files under `options.source` and write it to `options.output`.

    An existing file that this command did not write (a hand-written spec, say) raises `Refused`
    unless `force`; a missing source, no route files or an `output` that is a folder raise `BadInput`."""
    source, output = options.source, options.output
    if not source.exists():
        raise BadInput("not-found", f"{source} does not exist")
    if output.is_dir():
        raise BadInput("not-a-file", f"{output} is a folder; --output names the spec file to write")
    if (
        output.is_file()
        and not (options.force or options.dry_run)
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
    if not options.dry_run:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            _spec_text(document, json_format=output.suffix.lower() == ".json"), encoding="utf-8"
        )
    return GenerateSpecResult(
        source=source,
        output=output,
        dry_run=options.dry_run,
        route_files=files,
        operations=model.operations,
        schemas=sorted(model.schemas),
        document=document,
        warnings=model.warnings,
    )


def _spec_text(document: dict[str, Any], json_format: bool) -> str:
    if json_format:
        return json.dumps(document, indent=2) + "\n"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 10x faster
    return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True)


def route_files(source: Path) -> list[Path]:
    """The JavaScript/TypeScript files of a file or folder (no declarations, no node_modules)."""
    if source.is_file():
        return [source.resolve()]
    found = []
    for path in sorted(source.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(source).parts):
            continue
        if path.is_file() and path.suffix.lower() in EXTENSIONS and not path.name.endswith(".d.ts"):
            found.append(path.resolve())
    return found


def build_from_routes(source: Path, title: str = "API", version: str = "0.0.0") -> ApiModel:
    """The API model of the route files under `source`."""
    warnings: list[Diagnostic] = []
    sources: list[Source] = []
    pending = route_files(source)
    queued = set(pending)
    while pending:
        path = pending.pop(0)
        try:
            parsed = parse_file(path, path.read_bytes())
        except OSError as error:
            warnings.append(warning("unreadable", f"cannot read: {error.strerror}", where=str(path)))
            continue
        error = first_error(parsed.root)
        if error is not None:
            column = error.start_point[1] + 1
            warnings.append(
                warning(
                    "syntax-error",
                    f"syntax error at column {column} (or syntax tree-sitter does not know); routes there may be missed",
                    where=f"{path}:{line(error)}",
                )
            )
        sources.append(parsed)
        for imported in imported_files(parsed):  # schemas.ts, types.ts, routers beside the folder
            if (
                imported not in queued
                and imported.suffix in EXTENSIONS
                and not imported.name.endswith(".d.ts")
            ):
                queued.add(imported)
                pending.append(imported)
    project = Project(sources)
    found = find_routes(project)
    warnings.extend(found.warnings)
    recovery = OperationReader(project, warnings)
    recovery.components.named_zod()
    operations: list[RecoveredOperation] = []
    seen: dict[tuple[str, str], str] = {}
    composed = compose_with_base(found)
    bases = {base for _, base, _ in composed}
    base_path = bases.pop() if len(bases) == 1 else ""  # one base path for every route: the server's
    for route, base, path in composed:
        for method in route.methods:
            full_path = path if base_path else join(base, path)
            operation = recovery.operation(route, method, full_path)
            key = (operation.method, operation.path)
            if key in seen:
                warnings.append(
                    warning(
                        "duplicate-route",
                        f"{method.upper()} {operation.path} is also "
                        f"registered at {seen[key]}; the first one is kept",
                        where=operation.where,
                    )
                )
                continue
            seen[key] = operation.where
            operations.append(operation)
    unique_ids(operations, warnings)
    schemas = drop_derived_views(recovery.schemas, operations)
    security = read_schemes(recovery.security.schemes, lambda node: node, str)  # as generated: all valid
    model = ApiModel(
        title, version, schemas, {}, list(operations), [], warnings, base_path=base_path, security=security
    )
    return _named(model)


def _named(model: ApiModel) -> ApiModel:
    """TypeScript names and route modules, claimed as ir.py claims them for a spec."""
    names = NameTable(TS_GLOBAL_TYPES)
    model.type_names = {raw: names.claim(identifier(raw, "Schema", style="pascal")) for raw in model.schemas}
    modules = NameTable({"app", "server", "types", "http", "schemas", "index", *WINDOWS_DEVICE_NAMES})
    groups: dict[str, Group] = {}
    for operation in model.operations:
        operation.type_name = names.claim(identifier(operation.name, "Operation", style="pascal"))
        if operation.group not in groups:
            groups[operation.group] = Group(operation.group, modules.claim(file_stem(operation.group)))
        groups[operation.group].operations.append(operation)
    model.groups = list(groups.values())
    return model
