"""The CLI and the writer: regeneration keeps user code, reports operation changes, refuses to
clobber edited generated files (exit 3), dry runs write nothing, bad input exits 2 in one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from senior_backend.scaffold.writer import MANIFEST
from tests.scaffold.conftest import SPECS, generate


def _spec_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPECS["shop"].read_text())
    return spec


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.quick
def test_regeneration_keeps_edited_handler_and_reports_operation_changes(tmp_path: Path) -> None:
    spec, out = _spec_copy(tmp_path), tmp_path / "out"
    assert generate(spec, "express", out).returncode == 0
    handler = out / "handlers" / "users.ts"
    edited = handler.read_text().replace(
        "// TODO: implement listUsers", "// mine: real database code\n  // ✓"
    )
    handler.write_text(edited)
    document = yaml.safe_load(spec.read_text())
    del document["paths"]["/users/{userId}"]["delete"]
    document["paths"]["/health"] = {
        "get": {"operationId": "health", "tags": ["users"], "responses": {"204": {"description": "ok"}}}
    }
    spec.write_text(yaml.safe_dump(document))
    result = generate(spec, "express", out, "--format", "json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["files"]["added_operations"] == ["GET /health health"]
    assert report["files"]["removed_operations"] == ["DELETE /users/{userId} deleteUser"]
    assert "handlers/users.ts" in report["files"]["kept"]
    assert handler.read_text() == edited  # byte for byte
    assert "/health" in (out / "routes" / "users.ts").read_text()
    assert "health" in (out / "types.ts").read_text().lower()


def test_edited_generated_file_is_refused_then_forced(tmp_path: Path, run_tool) -> None:
    spec, out = _spec_copy(tmp_path), tmp_path / "out"
    assert generate(spec, "koa", out).returncode == 0
    routes = out / "routes" / "orders.ts"
    routes.write_text(routes.read_text() + "\n// my tweak\n")
    refused = run_tool("api_scaffolder", str(spec), "--framework", "koa", "--output", str(out))
    assert refused.returncode == 3
    assert refused.stderr.startswith("error: ") and "routes/orders.ts" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert routes.read_text().endswith("// my tweak\n")
    forced = run_tool("api_scaffolder", str(spec), "--framework", "koa", "--output", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "my tweak" not in routes.read_text()
    assert "Generated 6 route handlers, validation middleware, and TypeScript types" in forced.stdout


@pytest.mark.quick
def test_unchanged_rerun_rewrites_nothing_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    spec, out = _spec_copy(tmp_path), tmp_path / "out"
    dry = generate(spec, "fastify", out, "--dry-run", "--json")
    assert dry.returncode == 0
    assert not out.exists()
    assert "types.ts" in json.loads(dry.stdout)["files"]["created"]
    assert generate(spec, "fastify", out).returncode == 0
    before = _files(out)
    again = json.loads(generate(spec, "fastify", out, "--json").stdout)
    assert again["files"]["created"] == [] and again["files"]["updated"] == []
    assert _files(out) == before
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["framework"] == "fastify" and "types.ts" in manifest["files"]
    assert "handlers/users.ts" not in manifest["files"]


@pytest.mark.quick
def test_stubs_not_implemented_answer_501(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert generate(SPECS["shop"], "express", out, "--stubs", "not-implemented").returncode == 0
    text = (out / "handlers" / "users.ts").read_text()
    assert text.count("status: 501") == 5 and "NOT_IMPLEMENTED" in text


@pytest.mark.quick
def test_hostile_spec_writes_only_sanitized_files_inside_output(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    result = generate(SPECS["hostile"], "express", out, "--json")
    assert result.returncode == 0, result.stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in written)
    modules = sorted(p.name for p in (out / "routes").iterdir())
    assert modules == ["class.ts", "etc-evil.ts", "proto.ts", "windows.ts"]
    report = json.loads(result.stdout)
    renamed = [w for w in report["warnings"] if w["rule"] == "renamed-operation"]
    assert renamed and renamed[0]["where"].endswith("hostile.yaml#/paths/~1items/post")
    patterns = [w["where"] for w in report["warnings"] if w["rule"] == "bad-pattern"]
    assert patterns == [f"{SPECS['hostile']}#/paths/~1signed/get/parameters/2/schema/pattern"]
    keywords = [w["where"].split("#")[1] for w in report["warnings"] if w["rule"] == "bad-keyword"]
    assert keywords == [
        "/components/schemas/Loose/required",
        "/components/schemas/Loose/enum",
        "/components/schemas/Loose/properties",
        "/paths/~1signed/get/parameters/3/schema/minLength",
        "/paths/~1signed/get/parameters/4/schema/minimum",
    ]
    handlers = [op["handler"] for op in report["operations"]]
    assert len(set(handlers)) == len(handlers)
    assert "n123start" in handlers and "delete_" in handlers and "constructor_" in handlers
    types = (out / "types.ts").read_text()
    assert (
        "export type Class =" in types and "export type N2fa =" in types and "export type Array2 =" in types
    )
    for path in out.rglob("*.ts"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("//", "/**", "/*")) and "*/" in stripped:
                assert stripped.endswith("*/") and stripped.count("*/") == 1, (path, line)


def test_symlink_out_of_output_is_refused(tmp_path: Path, run_tool) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    os.symlink(outside, out / "routes")
    result = run_tool("api_scaffolder", str(SPECS["shop"]), "--output", str(out))
    assert result.returncode == 3, result.stderr
    assert "outside" in result.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("openapi: 3.0.0\npaths: [", "invalid YAML"),
        (
            "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
            "        '200': {$ref: '#/components/responses/Nope'}\n",
            "does not resolve",
        ),
        ("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n", "no operations"),
        ("swagger: '1.2'\n", "not an OpenAPI document"),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {responses: [1]}}}\n",
            "#/paths/~1a/get/responses: 'responses' must be a mapping",
        ),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {post: {requestBody: {content: x},"
            " responses: {'204': {description: x}}}}\n",
            "#/paths/~1a/post/requestBody/content: 'content' must be a mapping",
        ),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {responses: {'200':"
            " {description: x, content: {application/json: x}}}}}\n",
            "#/paths/~1a/get/responses/200/content/application~1json: 'application/json' must be a mapping",
        ),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ncomponents: {schemas: [1]}\npaths: {}\n",
            "#/components/schemas",
        ),
    ],
)
def test_bad_specs_exit_2_with_one_line(tmp_path: Path, run_tool, content: str, message: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(content)
    result = run_tool("api_scaffolder", str(spec), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path: Path, run_tool) -> None:
    missing = run_tool("api_scaffolder", str(tmp_path / "none.yaml"), "--output", str(tmp_path / "o"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_framework = run_tool("api_scaffolder", str(SPECS["shop"]), "--framework", "hapi", "--output", "x")
    assert bad_framework.returncode == 2
    helped = run_tool("api_scaffolder", "--help")
    assert helped.returncode == 0 and "--stubs" in helped.stdout and "Examples" in helped.stdout


@pytest.mark.quick
def test_server_variables_give_the_base_path_and_missing_defaults_warn(tmp_path: Path) -> None:
    document = yaml.safe_load(SPECS["shop"].read_text())
    document["servers"] = [
        {
            "url": "https://{host}/api/{version}",
            "variables": {"host": {"enum": ["a"]}, "version": {"default": "v2"}},
        }
    ]
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document))
    result = generate(spec, "express", tmp_path / "out", "--json")
    assert result.returncode == 0, result.stdout
    warnings = [w for w in json.loads(result.stdout)["warnings"] if w["rule"] == "server-variable"]
    assert [w["where"].split("#")[1] for w in warnings] == ["/servers/0/variables/host"]
    assert 'app.use("/api/v2", ' in (tmp_path / "out" / "app.ts").read_text()
