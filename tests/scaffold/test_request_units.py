"""Quick tests of the pure parts behind the issue 16 follow-ups: `oneOf` as an exclusive union in zod
(not for parameter text), multipart parts read as JSON, and spec paths holding a URL fragment."""

from __future__ import annotations

import pytest

from senior_backend.scaffold.forms import json_parts
from senior_backend.scaffold.ir import Operation
from senior_backend.scaffold.routing import fragment_routes
from senior_backend.scaffold.zodgen import ZodBuilder

pytestmark = pytest.mark.quick

ONE_OF = {"oneOf": [{"type": "integer"}, {"type": "number"}]}


def _op(path: str, method: str = "get", name: str = "op") -> Operation:
    return Operation(name, name, name.title(), method, path, "g", "", [], None, [], [], "")


def test_one_of_is_exclusive_in_bodies_and_any_of_is_not() -> None:
    zod = ZodBuilder({})
    assert zod.node(ONE_OF, request=True)["exclusive"] is True
    assert "exclusive" not in zod.node({"anyOf": ONE_OF["oneOf"]}, request=True)
    assert zod.node({"oneOf": [{"type": "string"}]}, request=True) == zod.node(
        {"type": "string"}
    )  # one member


def test_one_of_in_parameter_text_accepts_any_member() -> None:
    node = ZodBuilder({}).param({"oneOf": [{"type": "integer"}, {"type": "string"}]}, None)
    assert node["kind"] == "union" and "exclusive" not in node


def test_multipart_object_fields_are_json_parts() -> None:
    schemas = {"Attributes": {"type": "object", "properties": {"name": {"type": "string"}}}}
    form = {
        "type": "object",
        "properties": {
            "attributes": {"$ref": "#/components/schemas/Attributes"},
            "meta": {"properties": {"a": {"type": "string"}}},
            "file": {"type": "string", "format": "binary"},
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    assert json_parts(form, schemas) == ["attributes", "meta"]
    node = ZodBuilder({"Attributes": "Attributes"}, schemas).form(form, files=True)
    fields = {field["name"]: field["node"]["inner"] for field in node["fields"]}
    assert fields["attributes"] == {
        "kind": "parse",
        "parser": "json",
        "delimiter": None,
        "inner": {"kind": "ref", "name": "Attributes"},
    }
    assert fields["file"] == {"kind": "file"}
    assert fields["title"]["kind"] == "string"


def test_url_fragments_are_served_at_their_path_unless_it_is_taken() -> None:
    operations = [
        _op("/items", "get", "listItems"),
        _op("/items#archived", "get", "listArchived"),  # GET /items is listItems
        _op("/items#bulk", "post", "bulkCreate"),  # no POST /items: served there
        _op("/items#again", "post", "bulkAgain"),  # the first variant took POST /items
        _op("/files/{file_id}#shared", "put", "share"),
        _op("/files/{id}", "put", "update"),  # same route shape, another parameter name
    ]
    assert fragment_routes(operations) == {
        "listArchived": ("/items", "listItems"),
        "bulkCreate": ("/items", None),
        "bulkAgain": ("/items", "bulkCreate"),
        "share": ("/files/{file_id}", "update"),
    }
    assert fragment_routes([_op("/plain")]) == {}
