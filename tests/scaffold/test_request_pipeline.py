"""The order of a request's life on every framework (issue 16 follow-ups), on real servers:
security runs before the body is read (an unauthenticated client gets 401, never 400, and cannot make
the server buffer an upload), `oneOf` means exactly one member, and a static path segment wins however
the client percent-encodes it. tests/fixtures/specs/request_pipeline.yaml is generated for each
framework, given a security.ts that knows one bearer token, compiled once with tsc --strict and booted."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.scaffold.conftest import FRAMEWORKS, SPEC_DIR, booted_clients, generate_with_user_code
from tests.support.node import NodeProject

SPEC = SPEC_DIR / "request_pipeline.yaml"
TOKEN = "pipeline-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
MALFORMED_JSON = {"content": b'{"text": "unterminated', "headers": {"content-type": "application/json"}}
# A multipart body whose closing boundary never comes: any multipart parser rejects it.
MALFORMED_MULTIPART = {
    "content": b'--XYZ\r\ncontent-disposition: form-data; name="file"; filename="a.bin"\r\n\r\nabc',
    "headers": {"content-type": "multipart/form-data; boundary=XYZ"},
}

SECURITY_TS = f"""\
import type {{ AuthRequest, Verdict }} from "./auth.js";

export async function verifyBearerAuth(credential: string, request: AuthRequest): Promise<Verdict> {{
  void request;
  return credential === "{TOKEN}" ? {{ principal: "tester" }} : null;
}}
"""

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def pipeline_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> the generated project, with the test's security.ts (user code, written after generation)."""
    return generate_with_user_code(SPEC, tmp_path_factory.mktemp("pipeline"), {"security.ts": SECURITY_TS})


@pytest.fixture(scope="module")
def pipeline_compiled(
    node_project: NodeProject, pipeline_projects: dict[str, Path]
) -> subprocess.CompletedProcess[str]:
    return node_project.typecheck(next(iter(pipeline_projects.values())).parent)


@pytest.fixture(scope="module")
def pipeline_server(
    node_project: NodeProject, pipeline_projects: dict[str, Path]
) -> Iterator[Callable[[str], httpx.Client]]:
    """`pipeline_server(framework)`: a client of that framework's server, booted once for the module."""
    with booted_clients(node_project, pipeline_projects) as get:
        yield get


def _status(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code, response.text


def test_pipeline_spec_compiles_with_tsc_strict(pipeline_compiled: subprocess.CompletedProcess[str]) -> None:
    assert pipeline_compiled.returncode == 0, (pipeline_compiled.stdout + pipeline_compiled.stderr)[-4000:]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_security_runs_before_the_body_is_parsed(
    framework: str, pipeline_server: Callable[[str], httpx.Client]
) -> None:
    client = pipeline_server(framework)
    # Unauthenticated: 401 whatever the body, so the body was never parsed.
    _status(client.post("/notes", **MALFORMED_JSON), 401, "UNAUTHORIZED")
    _status(client.post("/avatars", **MALFORMED_MULTIPART), 401, "UNAUTHORIZED")
    upload = client.post("/avatars", files={"file": ("big.bin", b"x" * (2 * 1024 * 1024))})
    _status(upload, 401, "UNAUTHORIZED")
    # A 12 MB upload is over the 10 MB part limit: 401 says the parser never saw it.
    _status(client.post("/avatars", files={"file": ("huge.bin", b"x" * (12 * 1024 * 1024))}), 401)
    _status(client.post("/notes", json={"text": "hi"}, headers={"authorization": "Bearer wrong"}), 401)
    # Authenticated: the body is parsed and validated as before.
    json_headers = {**MALFORMED_JSON["headers"], **AUTH}
    _status(client.post("/notes", content=MALFORMED_JSON["content"], headers=json_headers), 400)
    _status(client.post("/notes", json={"text": ""}, headers=AUTH), 400, "VALIDATION_ERROR")
    created = client.post("/notes", json={"text": "hi"}, headers=AUTH)
    assert created.status_code == 201 and created.json() == {"text": "hello"}, created.text
    multipart_headers = {**MALFORMED_MULTIPART["headers"], **AUTH}
    _status(client.post("/avatars", content=MALFORMED_MULTIPART["content"], headers=multipart_headers), 400)
    _status(client.post("/avatars", files={"file": ("a.bin", b"abc")}, headers=AUTH), 204)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_public_routes_still_parse_bodies(
    framework: str, pipeline_server: Callable[[str], httpx.Client]
) -> None:
    client = pipeline_server(framework)
    _status(client.post("/public/notes", **MALFORMED_JSON), 400, "VALIDATION_ERROR")
    _status(client.post("/public/notes", json={"text": ""}), 400, "VALIDATION_ERROR")
    _status(client.post("/public/notes", json={"text": "hi"}), 204)
    _status(client.post("/public/avatars", **MALFORMED_MULTIPART), 400, "VALIDATION_ERROR")
    _status(
        client.post("/public/avatars", files={"file": (None, "text, not a file")}), 400, "VALIDATION_ERROR"
    )
    _status(client.post("/public/avatars", files={"file": ("a.bin", b"abc")}), 204)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_one_of_means_exactly_one_member(
    framework: str, pipeline_server: Callable[[str], httpx.Client]
) -> None:
    client = pipeline_server(framework)
    cat, dog = {"name": "Tom", "lives": 9}, {"name": "Rex", "barks": True}
    _status(client.post("/pets", json={"pet": cat}), 204)
    _status(client.post("/pets", json={"pet": dog}), 204)
    _status(client.post("/pets", json={"pet": {**cat, **dog}}), 400, "VALIDATION_ERROR")  # both members
    _status(client.post("/pets", json={"pet": {"name": "Nemo"}}), 400, "VALIDATION_ERROR")  # neither
    _status(client.post("/pets", json={"pet": cat, "weight": 2.5}), 204)  # a number, not an integer
    _status(client.post("/pets", json={"pet": cat, "weight": 3}), 400, "VALIDATION_ERROR")  # both
    _status(client.post("/pets", json={"pet": cat, "weight": 2.25}), 400, "VALIDATION_ERROR")  # neither


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_static_segments_win_however_they_are_encoded(
    framework: str, pipeline_server: Callable[[str], httpx.Client]
) -> None:
    client = pipeline_server(framework)
    for path in ("/users/@me", "/users/%40me", "/users/%40me?debug=%40"):
        me = client.get(path)
        assert me.status_code == 200 and me.json() == {"me": True}, (path, me.text)
    user = client.get("/users/%37")  # an escaped digit is the digit
    assert user.status_code == 200 and user.json() == {"id": 7}, user.text
    _status(client.get("/users/someone"), 400, "VALIDATION_ERROR")
    for path in ("/caf%C3%A9/menu", "/caf%c3%a9/menu", "/%63af%C3%A9/menu"):
        menu = client.get(path)
        assert menu.status_code == 200 and menu.json() == {"dishes": 3}, (path, menu.text)
    # an escaped slash is not a segment boundary
    assert client.post("/public%2Fnotes", json={"text": "hi"}).status_code == 404
