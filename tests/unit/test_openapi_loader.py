"""The shared OpenAPI loader: formats, versions, Swagger 2.0 upgrade, $ref bundling and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from senior_backend.common.errors import BadInput, ToolError
from senior_backend.common.openapi import load_openapi, ref_name, resolve_pointer

pytestmark = pytest.mark.quick

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "specs"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def expect_error(path: Path, code: str, **kwargs) -> ToolError:
    with pytest.raises(ToolError) as info:
        load_openapi(path, **kwargs)
    assert isinstance(info.value, BadInput)
    assert info.value.diagnostic.rule == code
    assert "\n" not in info.value.diagnostic.one_line()
    return info.value


def test_yaml_30_keeps_status_codes_and_dates_as_strings(tmp_path):
    spec = write(
        tmp_path,
        "a.yaml",
        """
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              example: {since: 2024-01-15}
""",
    )
    doc = load_openapi(spec)
    responses = doc.root["paths"]["/things"]["get"]["responses"]
    assert list(responses) == ["200"]
    assert responses["200"]["content"]["application/json"]["example"]["since"] == "2024-01-15"
    assert doc.original_version == "3.0.3" and not doc.is_31


def test_json_31_is_loaded_as_31(tmp_path):
    spec = write(
        tmp_path,
        "a.json",
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"responses": {"204": {"description": "none"}}}}},
                "components": {"schemas": {"N": {"type": ["string", "null"]}}},
            }
        ),
    )
    doc = load_openapi(spec)
    assert doc.is_31
    assert doc.root["components"]["schemas"]["N"]["type"] == ["string", "null"]


def test_recursive_schemas_stay_named_references(tmp_path):
    spec = write(
        tmp_path,
        "tree.yaml",
        """
openapi: 3.1.0
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
""",
    )
    doc = load_openapi(spec)
    node = doc.root["components"]["schemas"]["Node"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    assert doc.deref(node["properties"]["children"]["items"]) is node


def test_sibling_file_refs_are_bundled():
    doc = load_openapi(FIXTURES / "split" / "openapi.yaml")
    schemas = doc.root["components"]["schemas"]
    # A schema in a sibling file is hoisted under its name; its own refs follow it.
    assert "Pet" in schemas and "Owner" in schemas
    body = doc.root["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Pet"}
    assert schemas["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    # A cycle across files stays a named reference.
    assert schemas["Owner"]["properties"]["pets"]["items"] == {"$ref": "#/components/schemas/Pet"}
    # A non-schema object (a parameter) is inlined where it is used.
    params = doc.root["paths"]["/pets"]["get"]["parameters"]
    assert params[0]["name"] == "limit" and params[0]["in"] == "query"


def test_swagger_20_is_upgraded():
    doc = load_openapi(FIXTURES / "swagger2.yaml")
    root = doc.root
    assert doc.original_version == "2.0" and root["openapi"].startswith("3.0")
    assert root["servers"] == [{"url": "https://api.example.com/v1"}]
    assert "Pet" in root["components"]["schemas"]
    assert root["components"]["schemas"]["Pet"]["properties"]["tag"]["nullable"] is True
    create = root["paths"]["/pets"]["post"]
    assert create["requestBody"]["required"] is True
    assert set(create["requestBody"]["content"]) == {"application/json", "application/xml"}
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }
    listing = root["paths"]["/pets"]["get"]
    tags = next(p for p in listing["parameters"] if p["name"] == "tags")
    assert tags["schema"] == {"type": "array", "items": {"type": "string"}}
    assert tags["style"] == "form" and tags["explode"] is False
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
    upload = root["paths"]["/pets/{petId}/photo"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
    }
    form = root["paths"]["/pets/{petId}"]["post"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]
    assert form["application/x-www-form-urlencoded"]["schema"]["required"] == ["name"]
    path_param = root["paths"]["/pets/{petId}"]["parameters"][0]
    assert path_param == {
        "name": "petId",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "format": "int64"},
    }
    assert root["components"]["securitySchemes"]["oauth"]["flows"]["implicit"]["scopes"] == {
        "read": "read pets"
    }
    shared_body = root["paths"]["/pets/bulk"]["put"]["requestBody"]
    assert shared_body == {"$ref": "#/components/requestBodies/PetBody"}
    assert (
        root["components"]["requestBodies"]["PetBody"]["content"]["application/json"]["schema"]["type"]
        == "array"
    )


def test_malformed_yaml_points_at_the_line(tmp_path):
    spec = write(tmp_path, "bad.yaml", "openapi: 3.0.0\ninfo: {title: [unclosed\npaths: {}\n")
    error = expect_error(spec, "malformed-yaml")
    assert "bad.yaml:" in error.diagnostic.where


def test_malformed_json(tmp_path):
    spec = write(tmp_path, "bad.json", '{"openapi": "3.0.0",}')
    error = expect_error(spec, "malformed-json")
    assert error.diagnostic.where.endswith(":1:21")


def test_missing_local_ref_target_gives_its_pointer(tmp_path):
    spec = write(
        tmp_path,
        "a.yaml",
        """
openapi: 3.0.0
info: {title: t, version: '1'}
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Nope'}
""",
    )
    error = expect_error(spec, "broken-ref")
    assert "#/components/schemas/Nope" in error.diagnostic.message
    assert error.diagnostic.where.endswith("#/paths/~1a/get/responses/200/content/application~1json/schema")


def test_missing_file_ref(tmp_path):
    spec = write(
        tmp_path,
        "a.yaml",
        """
openapi: 3.0.0
info: {title: t, version: '1'}
paths: {}
components: {schemas: {A: {$ref: 'missing.yaml#/A'}}}
""",
    )
    error = expect_error(spec, "broken-ref")
    assert "missing.yaml" in error.diagnostic.message


def test_ref_escaping_the_spec_folder_is_refused(tmp_path):
    write(tmp_path, "outside.yaml", "A: {type: string}\n")
    spec = write(
        tmp_path,
        "api/a.yaml",
        """
openapi: 3.0.0
info: {title: t, version: '1'}
paths: {}
components: {schemas: {A: {$ref: '../outside.yaml#/A'}}}
""",
    )
    expect_error(spec, "ref-outside-spec")
    allowed = load_openapi(spec, allow_outside=True)
    assert allowed.resolve("#/components/schemas/A") == {"$ref": "#/components/schemas/A2"}
    assert allowed.deref({"$ref": "#/components/schemas/A"}) == {"type": "string"}


def test_remote_refs_are_never_fetched(tmp_path):
    spec = write(
        tmp_path,
        "a.yaml",
        """
openapi: 3.0.0
info: {title: t, version: '1'}
paths: {}
components: {schemas: {A: {$ref: 'https://example.com/a.yaml#/A'}}}
""",
    )
    expect_error(spec, "remote-ref")


@pytest.mark.parametrize(
    "text", ["just a string\n", "- a\n- list\n", "name: not a spec\n", "openapi: 4.0.0\n"]
)
def test_non_openapi_documents_are_rejected(tmp_path, text):
    spec = write(tmp_path, "x.yaml", text)
    with pytest.raises(ToolError) as info:
        load_openapi(spec)
    assert isinstance(info.value, BadInput)
    assert info.value.diagnostic.rule in {"not-openapi", "unsupported-version"}


def test_missing_file_and_folder(tmp_path):
    expect_error(tmp_path / "nope.yaml", "file-not-found")
    expect_error(tmp_path, "not-a-file")


def test_pointer_helpers():
    doc = {"paths": {"/a/{id}": {"get": {"x": [1, 2]}}}}
    assert resolve_pointer(doc, "/paths/~1a~1{id}/get/x/1") == 2
    assert resolve_pointer(doc, "/paths/~1a~1%7Bid%7D/get/x/0") == 1
    assert ref_name("#/components/schemas/a~1b") == "a/b"
    with pytest.raises(KeyError):
        resolve_pointer(doc, "/paths/nope")
