"""The spec -> code use case called directly (no click, no subprocess): `run_scaffold` writes the
project, keeps handlers byte for byte on regeneration, reports operations added and removed,
refuses to clobber an edited generated file, and its JSON document matches the published schema
strictly enough that a renamed key fails."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.json_schemas import validation_errors
from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.fromdb.run import FromDbResult
from senior_backend.scaffold.ir import build_model
from senior_backend.scaffold.render import render
from senior_backend.scaffold.report import to_json
from senior_backend.scaffold.run import ScaffoldOptions, run_scaffold
from senior_backend.scaffold.writer import MANIFEST
from tests.scaffold.conftest import SPECS, valid_document

pytestmark = pytest.mark.quick


def _spec(tmp_path: Path, servers: list[dict[str, Any]] | None = None) -> Path:
    document = yaml.safe_load(SPECS["shop"].read_text())
    if servers is not None:
        document["servers"] = servers
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False))
    return spec


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_first_run_writes_the_project_and_reports_every_file_and_operation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_scaffold(ScaffoldOptions(_spec(tmp_path), out, "fastify"))
    written = _tree(out)
    assert set(result.files.created) | {MANIFEST} == set(written)
    assert {"app.ts", "server.ts", "types.ts", "schemas.ts", "routes/users.ts", "handlers/orders.ts"} <= set(
        written
    )
    assert result.files.first_run and result.files.kept == [] and result.files.added_operations == []
    assert [(op.method, op.path) for op in result.operations][:2] == [("get", "/users"), ("post", "/users")]
    assert len(result.operations) == 6 and result.modules == ["users", "orders"]
    assert result.source == str(tmp_path / "openapi.yaml") and result.base_path == ""
    document = valid_document(to_json(result), "scaffold-generate")
    assert document["files"]["created"] == result.files.created
    assert {op["handler"] for op in document["operations"]} >= {"listUsers", "createOrder"}


def test_regeneration_keeps_the_handler_byte_for_byte_and_reports_operation_changes(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    run_scaffold(ScaffoldOptions(spec, out))
    handler = out / "handlers" / "users.ts"
    mine = handler.read_bytes().replace(
        b"// TODO: implement listUsers", b"// mine \xe2\x9c\x93\r\n  return x;"
    )
    handler.write_bytes(mine)
    document = yaml.safe_load(spec.read_text())
    del document["paths"]["/users/{userId}"]["delete"]
    document["paths"]["/health"] = {
        "get": {"operationId": "health", "tags": ["users"], "responses": {"204": {"description": "ok"}}}
    }
    spec.write_text(yaml.safe_dump(document))

    result = run_scaffold(ScaffoldOptions(spec, out))

    assert handler.read_bytes() == mine
    assert "handlers/users.ts" in result.files.kept and "handlers/users.ts" not in result.files.updated
    assert result.files.added_operations == ["GET /health health"]
    assert result.files.removed_operations == ["DELETE /users/{userId} deleteUser"]
    assert {"routes/users.ts", "types.ts"} <= set(result.files.updated)
    assert "/health" in (out / "routes" / "users.ts").read_text()
    assert not result.files.first_run
    valid_document(to_json(result), "scaffold-generate")


def test_an_edited_generated_file_is_refused_untouched_then_forced(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    run_scaffold(ScaffoldOptions(spec, out, "koa"))
    routes = out / "routes" / "orders.ts"
    routes.write_text(routes.read_text() + "// my tweak\n")
    before = _tree(out)
    with pytest.raises(Refused) as refused:
        run_scaffold(ScaffoldOptions(spec, out, "koa"))
    assert refused.value.diagnostic.rule == "edited-generated-files"
    assert "routes/orders.ts" in refused.value.diagnostic.message
    assert _tree(out) == before
    forced = run_scaffold(ScaffoldOptions(spec, out, "koa", force=True))
    assert forced.files.updated == ["routes/orders.ts"] and "my tweak" not in routes.read_text()


def test_a_dry_run_writes_nothing_and_reports_what_it_would_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_scaffold(ScaffoldOptions(_spec(tmp_path), out, stubs="not-implemented", dry_run=True))
    assert not out.exists()
    assert result.dry_run and "handlers/users.ts" in result.files.created
    assert valid_document(to_json(result), "scaffold-generate")["dry_run"] is True


def test_the_model_carries_the_mount_prefix_and_the_renderer_reads_only_the_model(tmp_path: Path) -> None:
    servers = [
        {
            "url": "https://{host}/api/{version}",
            "variables": {"host": {"default": "a"}, "version": {"default": "v2"}},
        }
    ]
    spec = _spec(tmp_path, servers)
    result = run_scaffold(ScaffoldOptions(spec, tmp_path / "out"))
    assert result.base_path == "/api/v2"
    assert 'app.use("/api/v2", ' in (tmp_path / "out" / "app.ts").read_text()
    assert to_json(result)["base_path"] == "/api/v2"
    model = build_model(load_openapi(spec))
    assert model.base_path == "/api/v2"
    model.base_path = "/elsewhere"
    app = next(file for file in render(model, "express") if file.path == "app.ts")
    assert 'app.use("/elsewhere", ' in app.content and "/api/v2" not in app.content


def test_bad_input_is_a_typed_error_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(BadInput, match="is a folder"):
        run_scaffold(ScaffoldOptions(tmp_path, out))
    empty = tmp_path / "empty.yaml"
    empty.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(BadInput, match="no operations"):
        run_scaffold(ScaffoldOptions(empty, out))
    with pytest.raises(BadInput, match="unknown framework 'hapi'"):
        run_scaffold(ScaffoldOptions(_spec(tmp_path), out, "hapi"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput, match="is not a folder"):
        run_scaffold(ScaffoldOptions(_spec(tmp_path), tmp_path / "file"))
    assert not out.exists()


def _renamed(document: dict[str, Any], path: tuple[str, ...], new: str) -> dict[str, Any]:
    """A deep copy of `document` with the key at `path` renamed to `new`."""
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key][0] if isinstance(parent[key], list) else parent[key]
    parent[new] = parent.pop(path[-1])
    return changed


@pytest.mark.parametrize(
    "path",
    [
        ("operations",),
        ("dry_run",),
        ("base_path",),
        ("files", "kept"),
        ("operations", "operationId"),
        ("warnings", "rule"),
        ("spec_out",),
    ],
    ids=lambda path: "/".join(path),
)
def test_the_schemas_catch_a_renamed_key(tmp_path: Path, path: tuple[str, ...]) -> None:
    servers = [{"url": "/{v}", "variables": {"v": {"enum": ["x"]}}}]  # no default: one warning
    result = run_scaffold(ScaffoldOptions(_spec(tmp_path, servers), tmp_path / "out", dry_run=True))
    assert [w.rule for w in result.warnings] == ["server-variable"]
    db_result = FromDbResult(**vars(result), spec_out=tmp_path / "openapi.yaml")
    for kind, document in (("scaffold-generate", to_json(result)), ("scaffold-from-db", to_json(db_result))):
        valid_document(document, kind)
        if path[0] in document:
            assert validation_errors(_renamed(document, path, path[-1] + "s"), kind), (kind, path)
    assert "spec_out" not in to_json(result)
