"""Writing generated files without ever clobbering user code.

Derived files are rewritten; user files (handlers) are created once. A
manifest (`.api-scaffolder.json`) remembers the hash of every derived file
as written, so a derived file the user edited is detected and not
overwritten without `force`, and the operations of the previous run are
known so that added and removed ones can be reported. Nothing is written
outside the output folder.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from senior_backend.common.errors import BadInput, Refused
from senior_backend.scaffold.ir import Operation
from senior_backend.scaffold.render import RenderedFile

MANIFEST = ".api-scaffolder.json"


def sha256(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass
class Plan:
    """What a run does to the output folder."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    added_operations: list[str] = field(default_factory=list)
    removed_operations: list[str] = field(default_factory=list)
    first_run: bool = True


def safe_target(output: Path, relative: str) -> Path:
    """`output/relative`, refusing anything that would land outside `output` (also through symlinks)."""
    root = output.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise Refused("unsafe-path", f"refusing to write {relative!r} outside {output}")
    return target


def read_manifest(output: Path) -> dict[str, Any]:
    path = output / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BadInput(
            "bad-manifest", f"{path} is not a valid manifest", hint="delete it to start over"
        ) from None
    return data if isinstance(data, dict) else {}


def plan_write(
    output: Path, files: list[RenderedFile], operations: list[str], framework: str, force: bool
) -> Plan:
    """Decide, for every file, whether it is created, updated, kept or in conflict."""
    manifest = read_manifest(output)
    previous: dict[str, Any] = manifest.get("files", {}) if manifest.get("framework") == framework else {}
    plan = Plan(first_run=not manifest)
    if manifest:
        before = set(manifest.get("operations", []))
        plan.added_operations = sorted(set(operations) - before)
        plan.removed_operations = sorted(before - set(operations))
    produced = set()
    for file in files:
        produced.add(file.path)
        target = safe_target(output, file.path)
        if not target.exists():
            plan.created.append(file.path)
            continue
        if file.kind == "user":
            plan.kept.append(file.path)
            continue
        current = sha256(target.read_bytes())
        if current == sha256(file.content):
            plan.unchanged.append(file.path)
        elif previous.get(file.path, {}).get("sha256") == current or force:
            plan.updated.append(file.path)
        else:
            plan.conflicts.append(file.path)
    for path, entry in previous.items():
        if path in produced or entry.get("kind") != "derived":
            continue
        target = safe_target(output, path)
        if target.exists() and (sha256(target.read_bytes()) == entry.get("sha256") or force):
            plan.deleted.append(path)
    return plan


def apply_plan(
    output: Path, files: list[RenderedFile], plan: Plan, operations: list[str], framework: str
) -> None:
    """Write the plan's files and the new manifest."""
    writes = set(plan.created) | set(plan.updated)
    for file in files:
        if file.path in writes:
            target = safe_target(output, file.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.content, encoding="utf-8")
    for path in plan.deleted:
        safe_target(output, path).unlink()
    manifest = {
        "generator": "api-scaffolder",
        "framework": framework,
        "operations": sorted(operations),
        "files": {
            file.path: {"kind": file.kind, "sha256": sha256(file.content)}
            for file in files
            if file.kind == "derived"
        },
    }
    safe_target(output, MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def operation_key(operation: Operation) -> str:
    """How the manifest and the report name an operation: `GET /users/{id} getUser`."""
    return f"{operation.method.upper()} {operation.path} {operation.operation_id}"


def write_project(
    output: Path,
    files: list[RenderedFile],
    operations: list[Operation],
    framework: str,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> Plan:
    """Plan the generated project's files in `output` and, unless `dry_run`, write them and the manifest.

    Nothing is written when a derived file was edited since the last run (`Refused`), unless `force`."""
    if output.exists() and not output.is_dir():
        raise BadInput("not-a-folder", f"{output} exists and is not a folder")
    keys = [operation_key(operation) for operation in operations]
    plan = plan_write(output, files, keys, framework, force)
    if plan.conflicts:
        raise Refused(
            "edited-generated-files",
            f"{len(plan.conflicts)} generated file(s) were edited since the last run: "
            + ", ".join(plan.conflicts[:5]),
            hint="move your changes into handlers/, or rerun with --force to overwrite",
        )
    if not dry_run:
        apply_plan(output, files, plan, keys, framework)
    return plan
