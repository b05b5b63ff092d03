"""Hand-written route files in each framework's common styles give the expected operations,
schemas and warnings (file:line); the CLI writes a loadable spec and rejects bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.render import render
from senior_backend.scaffold.tospec.run import build_from_routes
from tests.scaffold_tospec.conftest import recover

ROUTES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def _spec(framework: str, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(recovered document, --format json report) for one fixture folder."""
    target = tmp_path / "openapi.yaml"
    code, stdout, _ = recover(ROUTES / framework, target, "--format", "json")
    assert code == 0, stdout
    load_openapi(str(target))  # a document the scaffolder itself accepts
    return yaml.safe_load(target.read_text()), json.loads(stdout)


def _operations(document: dict[str, Any]) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}


def _warnings(report: dict[str, Any]) -> dict[str, str]:
    """`file-name:line` -> warning code."""
    out = {}
    for item in report["warnings"]:
        path, _, line = item["where"].rpartition(":")
        out[f"{Path(path).name}:{line}"] = item["rule"]
    return out


@pytest.mark.quick
def test_express_prefixes_across_files_chained_routes_and_zod_middleware(tmp_path: Path) -> None:
    document, report = _spec("express", tmp_path)
    assert _operations(document) == {
        "GET /health",
        "GET /ok-before-error",
        "GET /api/orders",
        "PATCH /api/orders/{orderId}",
        "GET /api/users",
        "GET /api/users/me",
        "GET /api/users/self",
        "POST /api/users",
        "GET /api/users/{id}",
        "PUT /api/users/{id}",
        "DELETE /api/users/{id}",
        "GET /api/users/{id}/posts/{postId}",
    }
    users = document["paths"]["/api/users"]
    assert {(p["name"], p["in"], p["required"]) for p in users["get"]["parameters"]} == {
        ("page", "query", False),
        ("q", "query", False),
    }
    body = users["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/NewUser"}
    new_user = document["components"]["schemas"]["NewUser"]
    assert new_user["required"] == ["email", "name"]
    assert new_user["properties"]["age"] == {"type": "integer", "minimum": 0}
    posts = document["paths"]["/api/users/{id}/posts/{postId}"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in posts] == [("id", "path"), ("postId", "path")]
    assert _warnings(report) == {
        "broken.js:2": "unmounted-router",
        "broken.js:7": "syntax-error",
        "orders.ts:15": "dynamic-path",
        "orders.ts:19": "dynamic-path",
    }


@pytest.mark.quick
def test_fastify_plugins_with_prefixes_route_objects_and_schemas(tmp_path: Path) -> None:
    document, report = _spec("fastify", tmp_path)
    assert _operations(document) == {
        "GET /",
        "GET /internal/ping",
        "GET /users/{id}",
        "DELETE /users/{id}",
        "POST /users",
        "GET /v2/items",
        "HEAD /v2/items",
        "PUT /v2/items/{sku}",
        "POST /v2/items/{sku}/restock",
        "GET /healthz",
        "PUT /users/{id}/avatar",
        "GET /legacy/orders/{orderId}",
    }
    get_user = document["paths"]["/users/{id}"]["get"]
    assert get_user["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    ]
    ok = get_user["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["required"] == ["id", "email"] and ok["properties"]["nickname"] == {"type": ["string", "null"]}
    assert set(get_user["responses"]) == {"200", "404"}
    assert get_user["summary"] == "Fetch one user"
    avatar = document["paths"]["/users/{id}/avatar"]["put"]["requestBody"]["content"]["application/json"]
    assert avatar["schema"]["properties"]["url"] == {"type": "string", "format": "uri"}
    put = document["paths"]["/v2/items/{sku}"]["put"]
    assert {(p["name"], p["in"], p["required"]) for p in put["parameters"]} == {
        ("sku", "path", True),
        ("if-match", "header", True),
    }
    assert put["requestBody"]["content"]["application/json"]["schema"]["properties"]["price"] == {
        "type": "number",
        "minimum": 0,
    }
    assert put["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    assert document["components"]["schemas"]["Item"]["required"] == ["sku"]
    listing = document["paths"]["/v2/items"]["get"]["parameters"]
    assert {p["name"]: p["schema"].get("default") for p in listing} == {"limit": 20, "cursor": None}
    assert _warnings(report) == {"items.ts:31": "lost-schema", "users.ts:19": "lost-schema"}


@pytest.mark.quick
def test_koa_router_prefixes_nested_routers_and_named_routes(tmp_path: Path) -> None:
    document, report = _spec("koa", tmp_path)
    every = {
        f"{m} /api/articles/{{slug}}/legacy"
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    }
    assert _operations(document) == {
        "GET /api/users",
        "GET /api/users/{id}",
        "DELETE /api/users/{id}",
        "GET /api/articles",
        "POST /api/articles/{slug}/comments",
        *every,
    }
    assert _warnings(report) == {"articles.js:14": "all-methods"}


@pytest.mark.quick
def test_single_file_source_and_json_output(tmp_path: Path) -> None:
    target = tmp_path / "spec.json"
    code, stdout, stderr = recover(ROUTES / "koa" / "routes" / "users.ts", target)
    assert code == 0
    document = json.loads(target.read_text())
    assert _operations(document) == {"GET /", "GET /{id}", "DELETE /{id}"}
    assert "Recovered 3 operations" in stdout
    assert "users.ts:3: no file read mounts this router" in stderr


@pytest.mark.parametrize(
    ("source", "output", "message"),
    [
        ("missing-folder", "out.yaml", "does not exist"),
        ("empty", "out.yaml", "no .ts/.js files"),
        ("routes", "existing-dir", "is a folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, run_tool, source: str, output: str, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "existing-dir").mkdir()
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "a.js").write_text("app.get('/x', h);\n")
    result = run_tool(
        "api_scaffolder", str(tmp_path / source), "--generate-spec", "--output", str(tmp_path / output)
    )
    assert result.returncode == 2
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_existing_spec_not_written_by_us_is_kept_unless_forced(tmp_path: Path, run_tool) -> None:
    mine = tmp_path / "openapi.yaml"
    mine.write_text("openapi: 3.1.0\ninfo: {title: hand-written, version: '1'}\npaths: {}\n")
    command = ["api_scaffolder", str(ROUTES / "koa"), "--generate-spec", "--output", str(mine)]
    refused = run_tool(*command)
    assert refused.returncode == 3 and "--force" in refused.stderr + refused.stdout
    assert "hand-written" in mine.read_text()
    code, _, _ = recover(ROUTES / "koa", mine, "--dry-run")
    assert code == 0 and "hand-written" in mine.read_text()
    code, _, _ = recover(ROUTES / "koa", mine, "--force")
    assert code == 0 and "/api/users/{id}" in yaml.safe_load(mine.read_text())["paths"]
    before = mine.stat().st_mtime_ns
    code, _, _ = recover(ROUTES / "koa", mine)  # our own output: rewritten without --force
    assert code == 0 and mine.stat().st_mtime_ns >= before


@pytest.mark.quick
def test_express_router_export_styles_and_settings_getters(tmp_path: Path) -> None:
    document, report = _spec("express_exports", tmp_path)
    assert _operations(document) == {"GET /a/one", "POST /b/two", "PUT /c/three/{x}", "PATCH /d/four"}
    assert report["warnings"] == []  # app.get("port") and req.get("host") are not routes


@pytest.mark.quick
@pytest.mark.parametrize("framework", ["express", "fastify", "koa"])
def test_model_from_route_files_feeds_the_code_generators(framework: str) -> None:
    """The same API model as from a spec: the renderers take it as it is (hand-written Fastify -> Koa, ...)."""
    model = build_from_routes(ROUTES / "fastify")
    files = {file.path: file.content for file in render(model, framework)}
    assert {"routes/users.ts", "routes/items.ts", "handlers/users.ts"} <= set(files)
    assert sum(text.count("async (") for path, text in files.items() if path.startswith("routes/")) >= len(
        model.operations
    )


@pytest.mark.quick
def test_fastify_autoload_folders_become_prefixes(tmp_path: Path) -> None:
    document, report = _spec("fastify_autoload", tmp_path)
    assert _operations(document) == {"GET /", "GET /example", "GET /users/{id}", "GET /admin/ops/stats"}
    user = document["paths"]["/users/{id}"]["get"]["parameters"][0]
    assert user["schema"] == {"type": "string", "format": "uuid"}
    assert report["warnings"] == []
