"""A large real public spec end to end: Box's API (tests/fixtures/realworld/box-openapi.json, 296
operations, Apache-2.0: box-openapi.LICENSE beside it) generated for every framework, the three outputs
compiled by one `tsc --strict` run (in the background while the servers are tested), each booted on
Node with a security.ts that admits one bearer token, then sent a valid request for every operation it
serves (the stub's answer expected) and a broken one for every operation that can be broken (400)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import ApiModel, Operation, build_model
from senior_backend.scaffold.routing import fragment_routes
from tests.scaffold.calls import Call, valid_call
from tests.scaffold.conftest import FRAMEWORKS, REPO, booted_clients, generate
from tests.support.node import NodeProject

SPEC = REPO / "tests" / "fixtures" / "realworld" / "box-openapi.json"
TOKEN = "box-test-token"

# The user's security.ts, written after generation as a user would (the scaffolder keeps it).
SECURITY_TS = f"""\
import type {{ AuthRequest, Verdict }} from "./auth.js";

export async function verifyOAuth2Security(credential: string, request: AuthRequest): Promise<Verdict> {{
  void request;
  return credential === "{TOKEN}" ? {{ principal: "box-test", scopes: [] }} : null;
}}
"""

# What Box writes that the generated servers cannot serve as written: responses that are not JSON
# (downloads, redirects), one octet-stream upload, and variants of an endpoint spelled with a URL fragment.
NON_JSON_RESPONSES = {
    "/authorize get 200",
    "/authorize get default",
    "/files/{file_id}/content get 200",
    "/files/{file_id}/thumbnail.{extension} get 200",
    "/users/{user_id}/avatar get 200",
    "/zip_downloads/{zip_download_id}/content get 200",
}
FRAGMENT_SKIPPED = {
    "/files/{file_id}#add_shared_link put",
    "/files/{file_id}#get_shared_link get",
    "/files/{file_id}#remove_shared_link put",
    "/files/{file_id}#update_shared_link put",
    "/folders/{folder_id}#add_shared_link put",
    "/folders/{folder_id}#get_shared_link get",
    "/folders/{folder_id}#remove_shared_link put",
    "/folders/{folder_id}#update_shared_link put",
    "/metadata_templates/enterprise/securityClassification-6VMVochwUWo/schema#update put",
    "/metadata_templates/schema#classifications post",
    "/oauth2/token#refresh post",
    "/shared_items#app_items get",
    "/shared_items#folders get",
    "/shared_items#web_links get",
    "/web_links/{web_link_id}#add_shared_link put",
    "/web_links/{web_link_id}#get_shared_link get",
    "/web_links/{web_link_id}#remove_shared_link put",
    "/web_links/{web_link_id}#update_shared_link put",
}
FRAGMENT_SERVED = {"/metadata_templates/enterprise/securityClassification-6VMVochwUWo/schema#add put"}

pytestmark = [pytest.mark.node, pytest.mark.slow]


@dataclass
class BoxProjects:
    """The three generated projects, their `--format json` documents, and the running tsc."""

    folders: dict[str, Path]
    documents: dict[str, dict[str, Any]]
    typecheck: Future[subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def box_model() -> ApiModel:
    return build_model(load_openapi(SPEC))


@pytest.fixture(scope="session")
def box_projects(
    node_project: NodeProject, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BoxProjects]:
    root = tmp_path_factory.mktemp("box")
    folders, documents = {}, {}
    for framework in FRAMEWORKS:
        result = generate(SPEC, framework, root / framework, "--format", "json")
        assert result.returncode == 0, result.stdout[-2000:]
        documents[framework] = json.loads(result.stdout)
        (root / framework / "security.ts").write_text(SECURITY_TS)
        folders[framework] = root / framework
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield BoxProjects(folders, documents, pool.submit(node_project.typecheck, root))


@pytest.fixture(scope="session")
def box_server(
    node_project: NodeProject, box_projects: BoxProjects
) -> Iterator[Callable[[str], httpx.Client]]:
    """`box_server(framework)`: a client of that framework's Box server (booted once per session)."""
    with booted_clients(node_project, box_projects.folders, boot_timeout=60) as get:
        yield get


def _served(model: ApiModel) -> list[Operation]:
    """The operations the servers serve, each with the path its requests have."""
    fragments = fragment_routes(model.operations)
    out = []
    for op in model.operations:
        path, holder = fragments.get(op.name, (op.path, None))
        if holder is None:
            out.append(replace(op, path=path))
    return out


def _pointer_of(where: str) -> tuple[str, str, str]:
    """(path, method, the rest) of a diagnostic's JSON pointer into the spec's `paths`."""
    match = re.fullmatch(r".*#/paths/([^/]+)/([a-z]+)(?:/responses/([^/]+))?", where)
    assert match, where
    return match[1].replace("~1", "/").replace("~0", "~"), match[2], match[3] or ""


def _authorized(call: Call, model: ApiModel) -> Call:
    call.headers["authorization"] = f"Bearer {TOKEN}"
    call.path = model.base_path + call.path
    return call


def _broken(op: Operation, call: Call) -> Call | None:
    """`call` with one part made invalid (a query parameter of the wrong type or outside its enum, an
    array for an object body), or None when `op` has no such part."""
    for param in op.parameters:
        if param.location != "query":
            continue
        kind = param.schema.get("type")
        if kind in ("integer", "number", "boolean"):
            call.params[param.name] = "not-a-" + str(kind)
            return call
        if isinstance(param.schema.get("enum"), list):
            call.params[param.name] = "not-in-the-enum"
            return call
    if op.body is not None and op.body.kind == "json" and isinstance(call.json_body, dict):
        call.json_body = ["not", "an", "object"]
        return call
    return None


def test_box_warnings_are_few_and_each_names_its_operation(
    box_projects: BoxProjects, box_model: ApiModel
) -> None:
    spec_paths = load_openapi(SPEC).root["paths"]
    for framework, document in box_projects.documents.items():
        found: dict[str, set[str]] = {}
        for warning in document["warnings"]:
            path, method, response = _pointer_of(warning["where"])
            assert method in spec_paths[path], warning  # the pointer is an operation of the spec
            label = f"{path} {method}" + (f" {response}" if response else "")
            found.setdefault(warning["rule"], set()).add(label)
            if warning["rule"] == "framework-route":
                assert repr(spec_paths[path][method]["operationId"]) in warning["message"], warning
        assert found.pop("non-json-response") == NON_JSON_RESPONSES, framework
        assert found.pop("unsupported-media") == {"/files/upload_sessions/{upload_session_id} put"}, framework
        assert found.pop("framework-route") == FRAGMENT_SKIPPED | FRAGMENT_SERVED, framework
        assert found == {}, (framework, found)
        served = {(op.method.upper(), op.path) for op in _served(box_model)}
        assert {(op["method"], op["path"]) for op in document["operations"]} <= {
            (op.method.upper(), op.path) for op in box_model.operations
        }
        assert len(document["operations"]) == len(served), "the summary counts only what is served"
        assert len(document["skipped"]) == len(FRAGMENT_SKIPPED), framework
        assert f"{len(served)} route handlers" in document["summary"]
        assert f"{len(FRAGMENT_SKIPPED)} operation(s) skipped" in document["summary"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_box_every_served_operation_answers_a_valid_request(
    framework: str, box_server: Callable[[str], httpx.Client], box_model: ApiModel
) -> None:
    client = box_server(framework)
    examples = Examples(box_model.schemas)
    served = _served(box_model)
    assert len(served) == 296 - len(FRAGMENT_SKIPPED)
    failures = []
    for op in served:
        call = _authorized(valid_call(op, examples), box_model)
        response = call.send(client, "")
        expected = op.success
        status = int(expected.status) if expected is not None and expected.status.isdigit() else 200
        if response.status_code != status:
            failures.append((op.method, op.path, response.status_code, response.text[:300]))
        elif (
            expected is not None
            and expected.schema is not None
            and response.content
            and not examples.is_valid(expected.schema, response.json())
        ):
            failures.append((op.method, op.path, "stub invalid against its schema", response.text[:300]))
    assert failures == [], failures[:10]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_box_broken_requests_get_400_and_missing_tokens_401(
    framework: str, box_server: Callable[[str], httpx.Client], box_model: ApiModel
) -> None:
    client = box_server(framework)
    examples = Examples(box_model.schemas)
    broken, failures = 0, []
    for op in _served(box_model):
        call = _broken(op, _authorized(valid_call(op, examples), box_model))
        if call is None:
            continue
        broken += 1
        response = call.send(client, "")
        if response.status_code != 400 or response.json()["error"]["code"] != "VALIDATION_ERROR":
            failures.append((op.method, op.path, response.status_code, response.text[:300]))
    assert failures == [], failures[:10]
    assert broken >= 150, broken
    for path in ("/2.0/users/me", "/2.0/folders/0/items"):
        for headers in ({}, {"authorization": "Bearer wrong"}):
            denied = client.get(path, headers=headers)
            assert denied.status_code == 401 and denied.json()["error"]["code"] == "UNAUTHORIZED", denied.text
    # a public operation (`security: []`) needs no token
    assert client.post("/2.0/oauth2/revoke", data={"client_id": "x"}).status_code != 401


def test_box_compiles_with_tsc_strict_on_every_framework(box_projects: BoxProjects) -> None:
    result = box_projects.typecheck.result(timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    for framework in FRAMEWORKS:
        assert (box_projects.folders[framework] / "auth.ts").exists()
