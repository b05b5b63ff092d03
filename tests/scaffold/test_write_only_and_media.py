"""writeOnly properties never leave the server, and request bodies come only in declared media types,
in one small spec (write_only_media.yaml beside this file): generated once per framework with a probe
file that reads every writeOnly property from the response types (each read must be a type error),
the three outputs type-checked by one `tsc --strict` run, each booted once on Node and sent real
requests. The model-level views (readonly.py, ir.py) are checked without Node."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import build_model
from senior_backend.scaffold.readonly import READ_SUFFIX, needing_response_variants, response_view
from senior_backend.scaffold.render import render
from tests.scaffold.conftest import FRAMEWORKS, booted_clients, generate_with_user_code
from tests.support.node import NodeProject

SPEC = Path(__file__).with_name("write_only_media.yaml")
WRITE_ONLY = {"password", "token", "pin", "invite", "apiKey", "recovery"}

# Written beside the generated types: every `@ts-expect-error` line must be an error (a writeOnly
# property read from a response type), else tsc reports the directive as unused.
PROBE_TS = """\
import type * as T from "./types.js";

export function responses(
  created: T.CreateUserResponse,
  listed: T.ListUsersResponse,
  admin: T.GetAdminResponse,
  team: T.GetTeamResponse,
  patched: T.PatchUserResponse,
): unknown[] {
  const seen: unknown[] = [created.body.name, listed.body[0]?.name, admin.body.role, team.body.settings.theme];
  // @ts-expect-error writeOnly: never in a response
  seen.push(created.body.password);
  // @ts-expect-error writeOnly, through an array of $refs
  seen.push(listed.body[0]?.password);
  // @ts-expect-error writeOnly, declared by an allOf member's $ref
  seen.push(admin.body.password);
  // @ts-expect-error writeOnly, declared by an allOf member
  seen.push(admin.body.token);
  // @ts-expect-error writeOnly, in a nested $ref
  seen.push(team.body.lead.password);
  // @ts-expect-error writeOnly, in an array of nested $refs
  seen.push(team.body.members[0]?.password);
  // @ts-expect-error writeOnly beside a $ref (OpenAPI 3.1)
  seen.push(team.body.invite);
  // @ts-expect-error writeOnly, in a nested inline object
  seen.push(team.body.settings.apiKey);
  // @ts-expect-error writeOnly on the schema a $ref names
  seen.push(team.body.recovery);
  // @ts-expect-error writeOnly, in an inline response schema
  seen.push(patched.body.password);
  return seen;
}

export function requests(created: T.CreateUserRequest, patched: T.PatchUserRequest): unknown[] {
  const password: string = created.body.password; // writeOnly properties stay in requests
  return [password, patched.body?.password];
}
"""


@pytest.fixture(scope="session")
def wm_generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> the generated project of write_only_media.yaml, with the probe file."""
    return generate_with_user_code(SPEC, tmp_path_factory.mktemp("write-only-media"), {"probe.ts": PROBE_TS})


@pytest.fixture(scope="session")
def wm_typechecked(
    node_project: NodeProject, wm_generated: dict[str, Path]
) -> subprocess.CompletedProcess[str]:
    """One `tsc --strict --noEmit` over the three generated projects."""
    return node_project.typecheck(next(iter(wm_generated.values())).parent)


@pytest.fixture(scope="session")
def wm_client(
    node_project: NodeProject, wm_generated: dict[str, Path]
) -> Iterator[Callable[[str], httpx.Client]]:
    """`wm_client(framework)`: a client of that framework's server, booted once per session."""
    with booted_clients(node_project, wm_generated) as get:
        yield get


def _keys(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _type_text(types: str, name: str) -> str:
    """The text of `export type <name> = ...;` in a generated types.ts."""
    return types.split(f"export type {name} = ", 1)[1].split("\n};\n", 1)[0]


def _json(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _unsupported(response: httpx.Response) -> dict[str, Any]:
    """The 415 answer, in the error format of every other error."""
    assert response.status_code == 415, response.text
    body = response.json()
    assert set(body) == {"error", "meta"} and body["meta"]["requestId"] == response.headers["x-request-id"]
    error = body["error"]
    assert error["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert [detail["field"] for detail in error["details"]] == ["headers.content-type"]
    return error


@pytest.mark.node
@pytest.mark.slow
def test_response_types_have_no_write_only_property_and_compile(
    wm_typechecked: subprocess.CompletedProcess[str], wm_generated: dict[str, Path]
) -> None:
    assert wm_typechecked.returncode == 0, (wm_typechecked.stdout + wm_typechecked.stderr)[-4000:]
    for folder in wm_generated.values():
        types = (folder / "types.ts").read_text()
        # an open type (`[key: string]: unknown`), which the probe cannot check
        assert '"bio"' in _type_text(types, "ProfileRead") and '"pin"' not in _type_text(types, "ProfileRead")
        assert '"password"' not in _type_text(types, "UserRead")
        assert '"password": string;' in _type_text(types, "UserWrite")  # the request view keeps it


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_stub_responses_carry_no_write_only_property(
    framework: str, wm_client: Callable[[str], httpx.Client]
) -> None:
    client = wm_client(framework)
    user = {"name": "Ann", "password": "long-enough", "profile": {"bio": "hi", "pin": "0000"}}
    created = _json(client.post("/users", json=user), 201)
    # the spec's example, without its password and PIN (`color` is an additional property)
    assert created == {"id": 7, "name": "Ann", "profile": {"bio": "hi", "color": "blue"}}
    answers = [
        created,
        _json(client.get("/users"), 200),
        _json(client.get("/users/1"), 200),
        _json(client.get("/teams/1"), 200),
        _json(client.patch("/users/1"), 200),
    ]
    assert all(answers) and _keys(answers) & WRITE_ONLY == set()
    assert {"name", "lead", "members", "settings", "role", "bio"} <= _keys(answers)
    # in requests they are still required: a user without a password is refused
    refused = _json(client.post("/users", json={"name": "Ann"}), 400)
    assert {detail["field"] for detail in refused["error"]["details"]} == {"body.password"}


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_undeclared_media_types_get_415(framework: str, wm_client: Callable[[str], httpx.Client]) -> None:
    client = wm_client(framework)
    user = b'{"name": "Ann", "password": "long-enough"}'
    error = _unsupported(client.post("/users", content=user, headers={"content-type": "text/plain"}))
    message = error["details"][0]["message"]
    assert "text/plain" in message and "application/json" in message
    _unsupported(client.post("/users", data={"name": "Ann", "password": "long-enough"}))
    _unsupported(client.patch("/users/1", content=b"name=Ann", headers={"content-type": "text/plain"}))
    _unsupported(client.post("/users", content=user, headers={"content-type": "application/jsonx"}))
    # the declared type, with or without parameters and in any case, is accepted
    for media in ("application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"):
        _json(client.post("/users", content=user, headers={"content-type": media}), 201)
    # `application/*+json` takes any JSON-based type; an optional body may be left out
    merge = {"content-type": "application/merge-patch+json"}
    assert _json(client.patch("/users/1", content=b'{"name": "Bo"}', headers=merge), 200) == {
        "name": "example"
    }
    _json(client.patch("/users/1"), 200)
    # `*/*` takes anything; a declared type is still validated
    csv = {"content-type": "text/csv"}
    assert client.post("/uploads", content=b"a,b\n1,2", headers=csv).status_code == 204
    assert client.post("/uploads").status_code == 204
    assert client.post("/uploads", json={"name": "x"}).status_code == 204
    assert _json(client.post("/uploads", json={"name": 5}), 400)["error"]["code"] == "VALIDATION_ERROR"
    # a type the spec declares but the server does not read (XML beside JSON) is refused, not handed over empty
    xml = {"content-type": "application/xml"}
    assert (
        "application/xml"
        not in _unsupported(client.post("/notes", content=b"<n/>", headers=xml))["details"][0][
            "message"
        ].split("accepted:")[1]
    )
    assert client.post("/notes", json={"text": "hi"}).status_code == 204


@pytest.mark.quick
def test_response_views_drop_write_only_properties_through_refs_and_compositions() -> None:
    schemas = {
        "Secret": {"type": "object", "properties": {"pin": {"type": "string", "writeOnly": True}}},
        "User": {
            "type": "object",
            "required": ["name", "password"],
            "properties": {
                "name": {"type": "string"},
                "password": {"type": "string", "writeOnly": True},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Secret"}},
            },
        },
        "Admin": {
            "allOf": [{"$ref": "#/components/schemas/User"}, {"required": ["role", "password"]}],
        },
        "Plain": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Code": {"type": "string", "writeOnly": True},
        "Device": {
            "type": "object",
            "required": ["label", "code"],
            "properties": {"label": {"type": "string"}, "code": {"$ref": "#/components/schemas/Code"}},
        },
    }
    needs = needing_response_variants(schemas)
    assert needs == {"Secret", "User", "Admin", "Device"}
    device = response_view(schemas["Device"], needs, schemas)  # writeOnly on the schema its $ref names
    assert set(device["properties"]) == {"label"} and device["required"] == ["label"]
    user = response_view(schemas["User"], needs, schemas)
    assert set(user["properties"]) == {"name", "tags"} and user["required"] == ["name"]
    assert user["properties"]["tags"]["items"] == {"$ref": "#/components/schemas/Secret" + READ_SUFFIX}
    admin = response_view(schemas["Admin"], needs, schemas)
    assert admin["allOf"] == [{"$ref": "#/components/schemas/User.read"}, {"required": ["role"]}]
    assert response_view(schemas["Plain"], needs, schemas) == schemas["Plain"]


@pytest.mark.quick
def test_the_model_points_responses_at_read_views_and_keeps_declared_media() -> None:
    model = build_model(load_openapi(SPEC))
    ops = {op.operation_id: op for op in model.operations}
    assert ops["createUser"].responses[0].schema == {"$ref": "#/components/schemas/User.read"}
    assert ops["createUser"].body is not None
    assert ops["createUser"].body.schema == {"$ref": "#/components/schemas/User.write"}
    assert "password" in model.schemas["User.write"]["properties"]
    assert "password" not in model.schemas["User.read"]["properties"]
    assert model.type_names["User.read"] == "UserRead"
    assert ops["patchUser"].body is not None and ops["patchUser"].body.media == ("application/*+json",)
    assert ops["upload"].body is not None and ops["upload"].body.media == ("application/json", "*/*")
    assert ops["addNote"].body is not None and ops["addNote"].body.media == ("application/json",)
    # the stub's example loses what a response never shows, even where the type is open
    files = {f.path: f.content for f in render(model, "express")}
    assert '"Ann"' in files["handlers/users.ts"]  # the example is there, without what it must not show
    assert "hunter22" not in files["handlers/users.ts"] and '"1234"' not in files["handlers/users.ts"]
