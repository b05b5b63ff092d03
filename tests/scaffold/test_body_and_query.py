"""Optional JSON bodies, `style: deepObject` query parameters, `:` inside path segments, `text/plain`
bodies, 3.1 keywords beside a `$ref`, parameter defaults and `prefixItems` tuples, in one small spec
(body_and_query.yaml beside this file): generated once per framework with handlers that echo what they
were handed (and assign it to the types the handler must see, so `tsc` checks those), the three outputs
type-checked by one `tsc --strict` run, each booted once on Node and sent real requests; the generated
routes are also read back with `--generate-spec`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.cli import command
from senior_backend.scaffold.ir import build_model, normalize_schema
from senior_backend.scaffold.tospec.routes import is_pattern, openapi_path
from tests.scaffold.conftest import FRAMEWORKS, booted_clients, generate, generate_with_user_code
from tests.support.node import NodeProject

SPEC = Path(__file__).with_name("body_and_query.yaml")

# The user's handlers for the pets routes (the scaffolder keeps them): each echoes, as the pet's name,
# the part of the request under test.
PETS_TS = """\
import type * as T from "../types.js";

export async function listPets(request: T.ListPetsRequest): Promise<T.ListPetsResponse> {
  return { status: 200, body: [{ id: 1, name: JSON.stringify(request.query) }] };
}

export async function patchPet(request: T.PatchPetRequest): Promise<T.PatchPetResponse> {
  return { status: 200, body: { id: 1, name: JSON.stringify(request.body ?? null) } };
}

export async function putNote(request: T.PutNoteRequest): Promise<T.PutNoteResponse> {
  const text: string = request.body; // a text/plain body is typed as the string it is
  return { status: 200, body: { id: 1, name: JSON.stringify(text) } };
}
"""

THINGS_TS = """\
import type * as T from "../types.js";

export async function createThing(request: T.CreateThingRequest): Promise<T.CreateThingResponse> {
  const owner: T.Owner | undefined = request.body.owner; // readOnly beside a $ref: optional in requests
  return { status: 201, body: { name: JSON.stringify(request.body), owner: owner ?? {} } };
}
"""

POINTS_TS = """\
import type * as T from "../types.js";

export async function listPoints(request: T.ListPointsRequest): Promise<T.ListPointsResponse> {
  const limit: number = request.query.limit; // defaulted parameters are always there
  const order: "asc" | "desc" = request.query.order;
  return { status: 200, body: [[limit, order === "asc" ? 0 : 1]], headers: { "x-echo": JSON.stringify(request.query) } };
}

export async function createPoint(request: T.CreatePointRequest): Promise<T.CreatePointResponse> {
  const [x, y]: [number, number] = request.body.point;
  const tagged: [string, ...number[]] | undefined = request.body.tagged;
  return { status: 200, body: { point: [x, y], tagged }, headers: { "x-echo": JSON.stringify(request.body) } };
}
"""


@pytest.fixture(scope="session")
def bq_generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> the generated project of body_and_query.yaml, with the echoing handlers."""
    handlers = {"handlers/pets.ts": PETS_TS, "handlers/things.ts": THINGS_TS, "handlers/points.ts": POINTS_TS}
    return generate_with_user_code(SPEC, tmp_path_factory.mktemp("body-and-query"), handlers)


@pytest.fixture(scope="session")
def bq_typechecked(
    node_project: NodeProject, bq_generated: dict[str, Path]
) -> subprocess.CompletedProcess[str]:
    """One `tsc --strict --noEmit` over the three generated projects."""
    return node_project.typecheck(next(iter(bq_generated.values())).parent)


@pytest.fixture(scope="session")
def bq_client(
    node_project: NodeProject, bq_generated: dict[str, Path]
) -> Iterator[Callable[[str], httpx.Client]]:
    """`bq_client(framework)`: a client of that framework's server, booted once per session."""
    with booted_clients(node_project, bq_generated) as get:
        yield get


def _echo(response: httpx.Response, status: int = 200) -> Any:
    """What the echoing handler was handed."""
    assert response.status_code == status, response.text
    if "x-echo" in response.headers:
        return json.loads(response.headers["x-echo"])
    body = response.json()
    return json.loads((body[0] if isinstance(body, list) else body)["name"])


def _fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return {detail["field"] for detail in error.get("details", [])}


@pytest.mark.node
@pytest.mark.slow
def test_compiles_with_tsc_strict_on_every_framework(
    bq_typechecked: subprocess.CompletedProcess[str],
) -> None:
    assert bq_typechecked.returncode == 0, (bq_typechecked.stdout + bq_typechecked.stderr)[-4000:]


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_optional_body_sent_as_empty_object_is_validated(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    # `{}` was sent: PetPatch's minProperties rejects it, as on every framework
    assert _fields(client.patch("/pets/1", json={})) == {"body"}
    assert _echo(client.patch("/pets/1", json={"name": "Rex"})) == {"name": "Rex"}
    # no body sent: the optional body stays absent and the handler gets none
    assert _echo(client.patch("/pets/1")) is None


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_deep_object_query_parameters_are_folded_parsed_and_validated(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    folded = _echo(client.get("/pets?filter[status]=sold&filter[minAge]=3&filter[vaccinated]=true&limit=2"))
    assert folded == {"filter": {"status": "sold", "minAge": 3, "vaccinated": True}, "limit": 2}
    encoded = _echo(client.get("/pets?filter%5Bstatus%5D=available&filter%5BminAge%5D=0"))
    assert encoded == {"filter": {"status": "available", "minAge": 0}}
    assert _echo(client.get("/pets")) == {}
    assert _fields(client.get("/pets?filter[status]=bogus")) == {"query.filter.status"}
    assert _fields(client.get("/pets?filter%5Bstatus%5D=bogus")) == {"query.filter.status"}
    assert _fields(client.get("/pets?filter[minAge]=old&filter[vaccinated]=maybe")) == {
        "query.filter.minAge",
        "query.filter.vaccinated",
    }


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_text_plain_body_reaches_the_handler_as_a_validated_string(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    plain = {"content-type": "text/plain"}
    assert _echo(client.put("/pets/1/note", content="Feeds at 6.", headers=plain)) == "Feeds at 6."
    assert _echo(client.put("/pets/1/note", content="x" * 200, headers=plain)) == "x" * 200
    assert _fields(client.put("/pets/1/note", content="x" * 201, headers=plain)) == {"body"}  # maxLength
    assert _fields(client.put("/pets/1/note")) == {"body"}  # the body is required


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_keywords_beside_a_ref_apply_in_openapi_31(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    # `owner: {$ref: Owner, readOnly: true}` is required in responses only
    assert _echo(client.post("/things", json={"name": "Rex"}), 201) == {"name": "Rex"}
    # `name: {$ref: Name, maxLength: 5}`
    assert _fields(client.post("/things", json={"name": "Rexford"})) == {"body.name"}
    assert _fields(client.post("/things", json={"name": 5})) == {"body.name"}


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_absent_parameters_take_their_defaults(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    assert _echo(client.get("/points")) == {"limit": 20, "order": "asc"}
    assert _echo(client.get("/points?limit=3&order=desc&tag=a")) == {"limit": 3, "order": "desc", "tag": "a"}
    assert _fields(client.get("/points?limit=many")) == {"query.limit"}


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_prefix_items_are_validated_as_tuples(
    framework: str, bq_client: Callable[[str], httpx.Client]
) -> None:
    client = bq_client(framework)
    shape = {"point": [1.5, -2], "tagged": ["a", 1, 2]}
    assert _echo(client.post("/points", json=shape)) == shape
    assert _echo(client.post("/points", json={"point": [0, 0], "tagged": ["only"]})) == {
        "point": [0, 0],
        "tagged": ["only"],
    }
    # wrong item types; a third item (`items: false`); one item (`minItems: 2`); not an array
    for point in (["a", "b"], [1, 2, 3], [1], "1,2"):
        fields = _fields(client.post("/points", json={"point": point}))
        assert fields and all(field.startswith("body.point") for field in fields), (point, fields)
    for tagged in ([1, 2], ["a", "b"], []):  # first item a string, the rest integers, at least one
        fields = _fields(client.post("/points", json={"point": [0, 0], "tagged": tagged}))
        assert fields and all(field.startswith("body.tagged") for field in fields), (tagged, fields)


@pytest.mark.quick
def test_text_bodies_siblings_defaults_and_tuples_in_the_model(tmp_path: Path) -> None:
    result = generate(SPEC, "express", tmp_path / "out", "--stubs", "example")
    assert result.returncode == 0, result.stdout
    # text/plain is validated now, and every stub (a tuple, a $ref with maxLength) has a valid example
    assert "unsupported-media" not in result.stdout and "stub-example" not in result.stdout, result.stdout
    points = (tmp_path / "out" / "handlers" / "points.ts").read_text()
    assert "[[0, 0]]" in points or "[[1, 1]]" in points, points
    things = (tmp_path / "out" / "handlers" / "things.ts").read_text()
    assert '"name": "examp"' in things, things
    model = build_model(load_openapi(SPEC))
    note = next(op for op in model.operations if op.name == "putNote")
    assert note.body is not None and note.body.kind == "text" and note.body.required
    assert note.body.schema == {"type": "string", "maxLength": 200}
    assert model.schemas["Thing"]["properties"] == {
        "name": {"allOf": [{"$ref": "#/components/schemas/Name"}], "maxLength": 5},
        "owner": {"$ref": "#/components/schemas/Owner", "readOnly": True},
    }
    assert model.schemas["Thing.write"]["required"] == ["name"]


@pytest.mark.quick
def test_keywords_beside_a_ref_are_ignored_in_openapi_30() -> None:
    sibling = {"$ref": "#/components/schemas/Name", "maxLength": 5, "readOnly": True}
    assert normalize_schema(sibling, is_30=True) == {"$ref": "#/components/schemas/Name"}
    assert normalize_schema({**sibling, "description": "d"}, is_30=False) == {
        "readOnly": True,
        "maxLength": 5,
        "allOf": [{"$ref": "#/components/schemas/Name"}],
    }
    # annotations alone leave the reference as it was
    assert normalize_schema({"$ref": "#/components/schemas/Name", "description": "d"}, is_30=False) == {
        "$ref": "#/components/schemas/Name"
    }


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generate_spec_gives_back_literal_colons_and_deep_objects(
    framework: str, bq_generated: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "recovered.yaml"
    args = [str(bq_generated[framework]), "--generate-spec", "--output", str(target)]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    recovered = yaml.safe_load(target.read_text())
    original = yaml.safe_load(SPEC.read_text())
    # `levels:append` and `{jobName}:cancel` are literal text, not parameters
    assert set(recovered["paths"]) == set(original["paths"])
    filters = [p for p in recovered["paths"]["/pets"]["get"]["parameters"] if p["name"] == "filter"]
    assert len(filters) == 1 and filters[0]["style"] == "deepObject" and filters[0]["explode"] is True
    appended = recovered["paths"]["/taxonomies/{namespace}/{key}/levels:append"]["post"]
    assert {p["name"] for p in appended["parameters"]} == {"namespace", "key"}


@pytest.mark.quick
@pytest.mark.parametrize(
    ("route", "fastify", "expected"),
    [
        ("/taxonomies/:ns/:key/levels\\:append", False, "/taxonomies/{ns}/{key}/levels:append"),
        ("/taxonomies/:ns/:key/levels::append", True, "/taxonomies/{ns}/{key}/levels:append"),
        ("/jobs/:jobName(^[^/]+?)::cancel", True, "/jobs/{jobName}:cancel"),
        ("/jobs/:jobName\\:cancel", False, "/jobs/{jobName}:cancel"),
        ("/legacy\\(v1\\)/status", False, "/legacy(v1)/status"),
        ("/legacy(v1)/status", True, "/legacy(v1)/status"),
        ("/files/\\*/all", False, "/files/*/all"),
        ("/files/:_literal2(^\\*$)/all", True, "/files/*/all"),
        ("/menu/caf%C3%A9/:dish", False, "/menu/café/{dish}"),
        ("/a%2fb/100%25/:id", False, "/a%2Fb/100%25/{id}"),
    ],
)
def test_route_paths_read_back_as_the_spec_wrote_them(route: str, fastify: bool, expected: str) -> None:
    assert not is_pattern(route, fastify)
    assert openapi_path(route)[0] == expected


@pytest.mark.quick
def test_route_patterns_stay_refused() -> None:
    assert is_pattern("/files/*", fastify=True) and is_pattern("/files/*", fastify=False)
    assert is_pattern("/legacy(v1)/status", fastify=False)
    assert is_pattern("/users{/:id}", fastify=False)
