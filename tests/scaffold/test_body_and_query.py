"""Optional JSON bodies, `style: deepObject` query parameters and `:` inside path segments, in one small
spec (body_and_query.yaml beside this file): generated once per framework with handlers that echo what
they were handed, the three outputs type-checked by one `tsc --strict` run, each booted once on Node and
sent real requests; the generated routes are also read back with `--generate-spec`."""

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

from senior_backend.scaffold.cli import command
from senior_backend.scaffold.tospec.routes import is_pattern, openapi_path
from tests.scaffold.conftest import FRAMEWORKS, booted_clients, generate
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
"""


@pytest.fixture(scope="session")
def bq_generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> the generated project of body_and_query.yaml, with the echoing handlers."""
    root = tmp_path_factory.mktemp("body-and-query")
    folders = {}
    for framework in FRAMEWORKS:
        result = generate(SPEC, framework, root / framework)
        assert result.returncode == 0, result.stdout
        (root / framework / "handlers" / "pets.ts").write_text(PETS_TS)
        folders[framework] = root / framework
    return folders


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


def _echo(response: httpx.Response) -> Any:
    """What the echoing handler was handed."""
    assert response.status_code == 200, response.text
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
