"""Security schemes are enforced: a spec with every kind of scheme, global security and per-operation
overrides is generated for each framework, compiled with tsc --strict and booted on Node. The verifiers
of the kept security.ts deny until implemented (401); an implemented security.ts (written here, then the
generator run again to prove it is kept) admits the right credentials and answers 403 for missing scopes."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import build_model
from senior_backend.scaffold.render import render
from senior_backend.scaffold.security import Requirement, read_schemes, requirements
from tests.scaffold.conftest import FRAMEWORKS, SPEC_DIR, generate
from tests.support.node import Booted, NodeProject

SPEC = SPEC_DIR / "security.yaml"
BASE = "/api/v1"

# The test's own security.ts: known credentials, as a user would write after the scaffolder created the file.
IMPLEMENTED = """\
import type { AuthRequest, BasicCredentials, Verdict } from "./auth.js";

const TOKENS: Record<string, string[]> = { "reader-token": ["read:pets"], "admin-token": ["read:pets", "write:pets"] };

export async function verifyBearerAuth(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  return credential === "reader-token" ? { principal: "reader" } : null;
}

export async function verifyBasicAuth(credentials: BasicCredentials, request: AuthRequest): Promise<Verdict> {
  void request;
  return credentials.username === "alice" && credentials.password === "s3cret:x" ? { principal: "alice" } : null;
}

export async function verifyApiKeyHeader(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  return credential === "header-key" ? { principal: "header-client" } : null;
}

export async function verifyApiKeyQuery(credential: string, request: AuthRequest): Promise<Verdict> {
  return credential === "query-key" && request.path === "/api/v1/reports" ? { principal: "query-client" } : null;
}

export async function verifyApiKeyCookie(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  return credential === "cookie-key" ? { principal: "cookie-client" } : null;
}

export async function verifyProto(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  return credential === "proto-key" ? { principal: "proto-client" } : null;
}

export async function verifyOauth(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  return Object.hasOwn(TOKENS, credential) ? { principal: credential, scopes: TOKENS[credential] } : null;
}

export async function verifyOidc(credential: string, request: AuthRequest): Promise<Verdict> {
  void request;
  if (credential === "id-token") return { principal: "oidc-user", scopes: ["profile", "email"] };
  return credential === "bare-id-token" ? { principal: "bare", scopes: [] } : null;
}
"""

# A handler that answers with what the guard handed it: the principals reach the handler, typed.
ME_HANDLER = """\
import type * as T from "../types.js";

export async function getMe(request: T.GetMeRequest): Promise<T.GetMeResponse> {
  return { status: 200, body: { principal: String(request.auth["oidc"]) } };
}
"""

# Optional authentication (`security: [{}, {bearerAuth: []}]`): the handler sees who called, if anyone did.
FEED_HANDLER = """\
import type * as T from "../types.js";

export async function getFeed(request: T.GetFeedRequest): Promise<T.GetFeedResponse> {
  const who = Object.hasOwn(request.auth, "bearerAuth") ? String(request.auth["bearerAuth"]) : "anonymous";
  return { status: 200, body: [who, ...Object.keys(request.auth)] };
}
"""


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(framework, "stub" | "implemented") -> the generated project; the implemented one was generated,
    given the test's security.ts and handlers/me.ts, then generated again."""
    root = tmp_path_factory.mktemp("security")
    out: dict[tuple[str, str], Path] = {}
    for framework in FRAMEWORKS:
        for variant in ("stub", "implemented"):
            folder = root / framework / variant
            first = generate(SPEC, framework, folder)
            assert first.returncode == 0, first.stdout
            if variant == "implemented":
                (folder / "security.ts").write_text(IMPLEMENTED)
                (folder / "handlers" / "me.ts").write_text(ME_HANDLER)
                (folder / "handlers" / "feed.ts").write_text(FEED_HANDLER)
                again = generate(SPEC, framework, folder, "--format", "json")
                assert again.returncode == 0, again.stdout
                files = json.loads(again.stdout)["files"]
                assert {"security.ts", "handlers/me.ts", "handlers/feed.ts"} <= set(files["kept"]), files
                assert "security.ts" not in files["created"] + files["updated"]
                assert (folder / "security.ts").read_text() == IMPLEMENTED
            out[(framework, variant)] = folder
    return out


@pytest.fixture(scope="module")
def compiled(
    node_project: NodeProject, projects: dict[tuple[str, str], Path]
) -> subprocess.CompletedProcess[str]:
    """One tsc --strict over the six projects."""
    return node_project.typecheck(next(iter(projects.values())).parents[1])


@pytest.fixture(scope="module")
def booted(
    node_project: NodeProject, projects: dict[tuple[str, str], Path]
) -> Iterator[Callable[[str, str], Booted]]:
    """`booted(framework, variant)`: that project's server, started once for the module."""
    stack = contextlib.ExitStack()
    servers: dict[tuple[str, str], Booted] = {}

    def get(framework: str, variant: str) -> Booted:
        if (framework, variant) not in servers:
            entry = projects[(framework, variant)] / "server.ts"
            servers[(framework, variant)] = stack.enter_context(
                node_project.boot(entry, ready_path="/__ready")
            )
        return servers[(framework, variant)]

    with stack:
        yield get


def _call(server: Booted, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.base_url + BASE + path, timeout=10, **kwargs)


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The project's error format, with the request id of the response header."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    return body


@pytest.mark.quick
def test_every_scheme_kind_is_read_with_where_its_credential_travels() -> None:
    security = build_model(load_openapi(SPEC)).security
    kinds = {
        name: (s.kind, s.location, s.parameter, s.challenge, s.function)
        for name, s in security.schemes.items()
    }
    assert kinds == {
        "bearerAuth": ("bearer", "header", "authorization", "Bearer", "verifyBearerAuth"),
        "basicAuth": ("basic", "header", "authorization", "Basic", "verifyBasicAuth"),
        "apiKeyHeader": ("apiKey", "header", "x-api-key", "", "verifyApiKeyHeader"),
        "apiKeyQuery": ("apiKey", "query", "api_key", "", "verifyApiKeyQuery"),
        "apiKeyCookie": ("apiKey", "cookie", "session", "", "verifyApiKeyCookie"),
        "__proto__": ("apiKey", "header", "x-proto-key", "", "verifyProto"),
        "oauth": ("oauth2", "header", "authorization", "Bearer", "verifyOauth"),
        "oidc": ("openIdConnect", "header", "authorization", "Bearer", "verifyOidc"),
    }
    assert security.schemes["bearerAuth"].bearer_format == "JWT"
    assert security.schemes["oauth"].scopes == ("read:pets", "write:pets")


@pytest.mark.quick
def test_requirements_are_alternatives_of_scheme_sets_and_fail_closed() -> None:
    schemes = read_schemes(
        {"a": {"type": "http", "scheme": "bearer"}, "k": {"type": "apiKey", "in": "query", "name": "k"}},
        lambda node: node,
        str,
    ).schemes
    assert requirements([], schemes, "w") == (None, [])
    # `{}` beside a requirement: optional authentication, kept as an empty (anonymous) alternative.
    assert requirements([{}, {"a": []}], schemes, "w") == ([[], [Requirement("a")]], [])
    assert requirements([{"k": []}, {}], schemes, "w") == ([[], [Requirement("k")]], [])
    assert requirements([{}], schemes, "w") == (None, [])  # only anonymous: public
    needed, problems = requirements([{}, {"ghost": []}], schemes, "w")
    assert needed is None and [p.rule for p in problems] == ["unknown-security-scheme"]
    needed, problems = requirements([{"a": ["x", "x"], "k": []}, {"k": []}], schemes, "w")
    assert needed == [[Requirement("a", ("x",)), Requirement("k")], [Requirement("k")]] and problems == []
    needed, problems = requirements([{"a": [], "ghost": []}, {"k": []}], schemes, "w")
    assert needed == [[Requirement("k")]]  # an alternative naming an undeclared scheme can never be met
    assert [p.rule for p in problems] == ["unknown-security-scheme"]
    for malformed in ({"a": []}, "a", [["a"]]):
        needed, problems = requirements(malformed, schemes, "w")
        assert needed == [] and problems, malformed  # denied, never public by mistake
    bad = read_schemes(
        {
            "m": {"type": "mutualTLS"},
            "h": {"type": "http"},
            "u": {"type": "http", "scheme": "bearér"},
            "q": {"type": "apiKey", "in": "body", "name": "x"},
            "n": "not an object",
        },
        lambda node: node,
        str,
    )
    assert bad.schemes == {} and [w.rule for w in bad.warnings] == ["bad-security-scheme"] * 5


@pytest.mark.quick
def test_a_malformed_operation_security_is_not_public(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nsecurity: [{key: []}]\n"
        "paths:\n  /x:\n    get:\n      security: {}\n      responses: {'200': {description: ok}}\n"
        "components:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: X-Key}\n"
    )
    model = build_model(load_openapi(spec))
    files = {file.path: file for file in render(model, "express")}
    assert files["security.ts"].kind == "user" and files["auth.ts"].kind == "derived"
    assert '\n  "getX": [],\n' in files["auth.ts"].content  # no alternative left: every request denied
    assert any(w.rule == "bad-security" for w in model.warnings)


@pytest.mark.quick
@pytest.mark.parametrize("spec", ["features31.yaml", "swagger2.yaml"])
def test_a_spec_that_protects_no_operation_gets_no_security_files(spec: str) -> None:
    model = build_model(load_openapi(SPEC_DIR / spec))  # swagger2.yaml declares an OAuth2 scheme, unused
    paths = {file.path for file in render(model, "koa")}
    assert "security.ts" not in paths and "auth.ts" not in paths
    assert not any("security" in w.rule for w in model.warnings)


@pytest.mark.node
@pytest.mark.slow
def test_generated_security_compiles_with_tsc_strict(compiled: subprocess.CompletedProcess[str]) -> None:
    assert compiled.returncode == 0, compiled.stdout[-4000:] + compiled.stderr[-2000:]


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_verifiers_deny_until_implemented(booted: Callable[[str, str], Booted], framework: str) -> None:
    server = booted(framework, "stub")
    missing = _call(server, "GET", "/pets")
    assert _error(missing, 401, "UNAUTHORIZED")["error"]["message"] == "Authentication is required"
    assert missing.headers["www-authenticate"] == 'Bearer realm="Pet Store secured"'
    sent = _call(server, "GET", "/pets", headers={"authorization": "Bearer anything"})
    assert _error(sent, 401, "UNAUTHORIZED")["error"]["message"] == "The credentials are not valid"
    both = _call(server, "GET", "/pets/1", headers={"x-api-key": "k", "authorization": _basic("a", "b")})
    _error(both, 401, "UNAUTHORIZED")
    assert both.headers["www-authenticate"] == 'Basic realm="Pet Store secured"'
    keys_only = _call(server, "GET", "/reports", params={"api_key": "k"})
    _error(keys_only, 401, "UNAUTHORIZED")
    assert "www-authenticate" not in keys_only.headers  # API keys have no HTTP challenge
    assert _call(server, "HEAD", "/pets").status_code == 401  # the HEAD the framework adds for a GET too
    assert _call(server, "GET", "/health").status_code == 200  # security: []
    assert _call(server, "GET", "/feed").json() == ["hello"]  # security: [{}, ...]: anonymous allowed
    # ... but a credential that is sent is checked: the stub verifier denies it.
    bad = _call(server, "GET", "/feed", headers={"authorization": "Bearer anything"})
    assert _error(bad, 401, "UNAUTHORIZED")["error"]["message"] == "The credentials are not valid"
    assert bad.headers["www-authenticate"] == 'Bearer realm="Pet Store secured"'


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_implemented_verifiers_admit_and_scopes_are_enforced(
    compiled: subprocess.CompletedProcess[str], booted: Callable[[str, str], Booted], framework: str
) -> None:
    assert compiled.returncode == 0, compiled.stdout[-4000:]
    server = booted(framework, "implemented")
    reader = {"authorization": "Bearer reader-token"}
    admin = {"authorization": "Bearer admin-token"}
    # Global security, OR of two schemes: the bearer verifier or the OAuth2 one (with read:pets).
    assert _call(server, "GET", "/pets", headers=reader).json() == [{"id": 1, "name": "Rex"}]
    assert _call(server, "GET", "/pets", headers=admin).status_code == 200
    assert _call(server, "GET", "/pets", headers={"authorization": "Token reader-token"}).status_code == 401
    # Per-operation override with scopes: 403 when the token lacks one, before the body is validated.
    short = _call(server, "POST", "/pets", headers=reader, json={"id": 5, "name": "Tom"})
    assert _error(short, 403, "FORBIDDEN")["error"]["message"] == "Missing scope: write:pets"
    assert 'error="insufficient_scope", scope="write:pets"' in short.headers["www-authenticate"]
    _error(_call(server, "POST", "/pets", json={"bad": True}), 401, "UNAUTHORIZED")
    assert _call(server, "POST", "/pets", headers=admin, json={"id": 5, "name": "Tom"}).status_code == 201
    _error(_call(server, "POST", "/pets", headers=admin, json={"id": "5"}), 400, "VALIDATION_ERROR")
    # AND within one requirement: the API key header and basic auth together.
    key = {"x-api-key": "header-key"}
    _error(_call(server, "GET", "/pets/1", headers=key), 401, "UNAUTHORIZED")
    _error(
        _call(server, "GET", "/pets/1", headers={"authorization": _basic("alice", "s3cret:x")}),
        401,
        "UNAUTHORIZED",
    )
    ok = _call(server, "GET", "/pets/1", headers={**key, "authorization": _basic("alice", "s3cret:x")})
    assert ok.status_code == 200, ok.text
    wrong = _call(server, "GET", "/pets/1", headers={**key, "authorization": _basic("alice", "nope")})
    assert _error(wrong, 401, "UNAUTHORIZED")["error"]["message"] == "The credentials are not valid"
    _error(
        _call(server, "GET", "/pets/1", headers={**key, "authorization": "Basic !!!"}), 401, "UNAUTHORIZED"
    )
    # OR of API keys in the query, a cookie, or a header (a scheme named __proto__).
    assert _call(server, "GET", "/reports", params={"api_key": "query-key"}).json() == {"total": 3}
    assert _call(server, "GET", "/reports", headers={"cookie": "a=b; session=cookie-key"}).status_code == 200
    assert _call(server, "GET", "/reports", headers={"x-proto-key": "proto-key"}).status_code == 200
    repeated = _call(server, "GET", "/reports?api_key=query-key&api_key=query-key")
    _error(repeated, 401, "UNAUTHORIZED")  # a repeated key is not one credential
    # OpenID Connect with a scope; the principal reaches the handler as request.auth.
    assert _call(server, "GET", "/me", headers={"authorization": "Bearer id-token"}).json() == {
        "principal": "oidc-user"
    }
    _error(_call(server, "GET", "/me", headers={"authorization": "Bearer bare-id-token"}), 403, "FORBIDDEN")
    # A requirement naming an undeclared scheme denies every request, whatever is sent.
    everything = {**admin, **key, "x-proto-key": "proto-key", "cookie": "session=cookie-key"}
    _error(_call(server, "DELETE", "/pets/1", headers=everything), 401, "UNAUTHORIZED")
    # Optional authentication: anonymous without a credential, the principal with a valid one, 401 with a
    # bad one; a credential of a scheme the operation does not name is ignored.
    assert _call(server, "GET", "/feed").json() == ["anonymous"]
    assert _call(server, "GET", "/feed", headers=key).json() == ["anonymous"]
    assert _call(server, "GET", "/feed", headers=reader).json() == ["reader", "bearerAuth"]
    wrong_token = _call(server, "GET", "/feed", headers={"authorization": "Bearer stolen"})
    assert _error(wrong_token, 401, "UNAUTHORIZED")["error"]["message"] == "The credentials are not valid"
    assert _call(server, "GET", "/health").status_code == 200


@pytest.mark.quick
def test_swagger2_security_definitions_become_schemes() -> None:
    schemes = build_model(load_openapi(SPEC_DIR / "swagger2.yaml")).security.schemes
    assert {name: (s.kind, s.scopes, s.function) for name, s in schemes.items()} == {
        "oauth": ("oauth2", ("read",), "verifyOauth")
    }


@pytest.mark.quick
def test_a_scheme_added_after_security_ts_was_created_is_named(tmp_path: Path) -> None:
    assert generate(SPEC, "express", tmp_path).returncode == 0
    kept = IMPLEMENTED.split("export async function verifyOidc")[0]
    (tmp_path / "security.ts").write_text(kept)
    result = generate(SPEC, "express", tmp_path, "--format", "json")
    assert result.returncode == 0, result.stdout
    document = json.loads(result.stdout)
    missing = [w for w in document["warnings"] if w["rule"] == "missing-verifier"]
    assert [w["message"].split()[0] for w in missing] == ["verifyOidc"]
    assert (tmp_path / "security.ts").read_text() == kept and "security.ts" in document["files"]["kept"]
