"""The parts of `--spec` that need no server: dependencies read from a spec, the pools of created items,
unique values, and the schema readings shared with the scaffolder (`common/examples.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from senior_backend.common.examples import SchemaExamples, from_openapi30, request_view
from senior_backend.loadtest.scenario import capture, fill_path, load_scenario
from senior_backend.loadtest.scenario_engine import ScenarioState
from senior_backend.loadtest.unique import tagged, varied_body, varying_strings

pytestmark = pytest.mark.quick
REPO = Path(__file__).resolve().parents[2]
THINGS = Path(__file__).parent / "specs" / "things.yaml"


def test_the_example_shop_spec_becomes_create_get_update_delete_with_ids_carried() -> None:
    scenario = load_scenario(str(REPO / "examples" / "openapi.yaml"), None)
    assert scenario.base_url == "http://127.0.0.1:3000" and scenario.notes == ()
    ops = scenario.operations
    for name in ("getUser", "updateUser", "deleteUser"):
        assert (ops[name].source, ops[name].takes) == ("createUser", (("userId", "#0"),))
    assert ops["deleteUser"].consumes and not ops["getUser"].consumes
    assert ops["createUser"].keeps == (("#0", "id:userId"),)
    spec = yaml.safe_load((REPO / "examples" / "openapi.yaml").read_text())
    for name, schema in (("createUser", "NewUser"), ("updateUser", "UserPatch"), ("createOrder", "NewOrder")):
        body = json.loads(ops[name].body)
        root = {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
        assert list(Draft202012Validator(root).iter_errors(body)) == [], (name, body)
    # the create's email may not repeat (a unique key), nor may the order's Idempotency-Key
    assert ops["createUser"].varying == (("email",), ("name",))
    assert ops["createOrder"].headers[0][0] == "Idempotency-Key" and ops["createOrder"].varying_headers == (
        0,
    )
    values = dict(ops["getUser"].values) | {"userId": "7"}
    assert fill_path(scenario, ops["getUser"], values) == "/users/7"


def test_a_delete_never_takes_an_item_in_use_nor_a_parent_whose_children_live() -> None:
    scenario = load_scenario(str(THINGS), "http://127.0.0.1:9/api")
    state = ScenarioState(scenario, 1)
    ops = scenario.operations
    created = state._resolve(ops["getThing"], 0)  # nothing created yet: the create runs instead
    assert created[0].name == "createThing"
    state.release(created, 201, b'{"id": 1, "name": "x"}')
    reading = state._resolve(ops["getThing"], 0)
    assert (reading[0].name, reading[2]) == ("getThing", {"thingId": "1"})
    assert fill_path(scenario, reading[0], reading[2]) == "/api/things/1"
    assert state._resolve(ops["deleteThing"], 0)[0].name == "createThing"  # thing 1 is being read
    state.release(reading, 200, b"")
    note = state._resolve(ops["addNote"], 0)
    assert (note[0].name, note[2]) == ("addNote", {"thingId": "1"})
    state.release(note, 201, b'{"noteId": "0b9c6d3e-0000-4000-8000-000000000001"}')
    assert state._resolve(ops["deleteThing"], 0)[0].name == "createThing"  # thing 1 has a live note
    got = state._resolve(ops["getNote"], 0)  # through the spec's link: $request.path and $response.body
    assert got[2] == {"thingId": "1", "noteId": "0b9c6d3e-0000-4000-8000-000000000001"}
    state.release(got, 200, b"")
    gone = state._resolve(ops["deleteNote"], 0)
    assert gone[0].name == "deleteNote" and gone[2] == got[2]
    state.release(gone, 204, b"")
    deleted = state._resolve(ops["deleteThing"], 0)
    assert (deleted[0].name, deleted[2]) == ("deleteThing", {"thingId": "1"})
    assert state._resolve(ops["getThing"], 0)[0].name == "createThing"  # no thing left to read


def test_turns_follow_the_weights_exactly() -> None:
    scenario = load_scenario(
        str(THINGS), "http://x", tags=("meta",), operations=("listThings",), weights=(("listThings", 3),)
    )
    state = ScenarioState(scenario, 1)
    picks = [state.next()[0].name for _ in range(400)]
    assert (picks.count("listThings"), picks.count("getHealth")) == (300, 100)


def test_ids_are_read_from_the_created_item_at_the_top_or_under_data() -> None:
    create = load_scenario(str(REPO / "examples" / "openapi.yaml"), None).operations["createUser"]
    assert capture(create, {}, 201, b'{"data": {"userId": 12}}') == {"#0": "12"}
    assert capture(create, {}, 201, b'{"id": "u-1"}') == {"#0": "u-1"}
    assert capture(create, {}, 400, b'{"id": 1}') is None
    assert capture(create, {}, 201, b"not json") is None


def test_unique_values_only_where_the_schema_still_accepts_them() -> None:
    examples = SchemaExamples({})
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "code": {"type": "string", "maxLength": 8},
            "kind": {"enum": ["a", "b"]},
            "slug": {"type": "string", "pattern": "^[a-z-]+[0-9]*$"},
        },
    }
    value = {"email": "user@example.com", "code": "abc", "kind": "a", "slug": "blue"}
    paths = varying_strings(value, lambda candidate: examples.is_valid(schema, candidate))
    assert paths == (("email",), ("slug",))
    body = json.loads(varied_body(value, paths, "qwert17"))
    assert body == {"email": "user+qwert17@example.com", "code": "abc", "kind": "a", "slug": "blue-qwert17"}
    one, two = (
        tagged("3fa85f64-5717-4562-b3fc-2c963f66afa6", "a1"),
        tagged("3fa85f64-5717-4562-b3fc-2c963f66afa6", "a2"),
    )
    assert one != two and examples.is_valid({"type": "string", "format": "uuid"}, one)


def test_openapi_30_schemas_read_as_2020_12_and_requests_leave_read_only_out() -> None:
    schema = {
        "type": "object",
        "required": ["id", "price"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "price": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            "note": {"type": "string", "nullable": True, "enum": ["x"]},
        },
    }
    read = from_openapi30(schema)
    assert read["properties"]["price"] == {"type": "number", "exclusiveMinimum": 0}
    assert read["properties"]["note"] == {"type": ["string", "null"], "enum": ["x", None]}
    view = request_view(read)
    assert view["required"] == ["price"] and "id" not in view["properties"]
    examples = SchemaExamples({})
    value, valid = examples.pick(view, (False, None))
    assert valid and "id" not in value and value["price"] > 0
    assert examples.is_valid(read, {"id": 1, "price": 1, "note": None})


def test_an_operation_whose_create_is_skipped_uses_example_values_and_its_delete_is_skipped(tmp_path) -> None:
    spec = yaml.safe_load((Path(__file__).parent / "specs" / "things_bare.yaml").read_text())
    cookie = {"name": "sid", "in": "cookie", "required": True, "schema": {"type": "string"}}
    spec["paths"]["/things"]["post"]["parameters"].append(cookie)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    scenario = load_scenario(str(tmp_path / "spec.yaml"), "http://x")
    assert scenario.notes == (
        "createThing skipped: cookie parameter 'sid' is not synthesized",
        "deleteThing skipped: deletes run only on resources the scenario created, and no create or link "
        "feeds its path",
    )
    assert scenario.operations["getThing"].source is None
    assert scenario.operations["getThing"].values == (("thingId", "1"),)  # synthesized: minimum 1


def test_a_link_by_operation_ref_feeds_its_target(tmp_path) -> None:
    spec = yaml.safe_load((Path(__file__).parent / "specs" / "things_bare.yaml").read_text())
    link = {
        "operationRef": "#/paths/~1things~1{thingId}/get",
        "parameters": {"path.thingId": "$response.body#/id"},
    }
    spec["paths"]["/things"]["post"]["responses"]["201"]["links"] = {"GetIt": link}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    ops = load_scenario(str(tmp_path / "spec.yaml"), "http://x").operations
    assert (ops["getThing"].source, ops["getThing"].takes) == (
        "createThing",
        (("thingId", "getThing.thingId"),),
    )
    assert capture(ops["createThing"], {}, 201, b'{"id": 5}') == {"#0": "5", "getThing.thingId": "5"}
