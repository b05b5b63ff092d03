"""Unit tests of the scaffolder's pure parts: escaping, names, schema normalization, the TypeScript
and zod emitters, and example synthesis."""

from __future__ import annotations

import json

import pytest

from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import base_path, normalize_schema
from senior_backend.scaffold.naming import (
    NameTable,
    file_stem,
    identifier,
    ts_comment,
    ts_string,
    ts_template,
)
from senior_backend.scaffold.render import typescript_macros
from senior_backend.scaffold.tstypes import TypeBuilder
from senior_backend.scaffold.zodgen import ZodBuilder

TS = typescript_macros()


class TypeWriter:
    """Schema -> TypeScript text, through the same builder and macros the generator uses."""

    def __init__(self, *args, **kwargs) -> None:
        self.builder = TypeBuilder(*args, **kwargs)

    def type(self, schema: dict) -> str:
        return str(TS.tstype(self.builder.node(schema)))


class ZodWriter:
    """Schema -> zod text, through the same builder and macros the generator uses."""

    def __init__(self, type_names: dict) -> None:
        self.builder = ZodBuilder(type_names)

    def expr(self, schema: dict, coerce: bool = False, request: bool = False) -> str:
        return str(TS.zod(self.builder.node(schema, coerce, request)))

    def param(self, schema: dict, delimiter: str | None) -> str:
        return str(TS.zod(self.builder.param(schema, delimiter)))


pytestmark = pytest.mark.quick


def test_string_literal_escapes_everything_that_could_end_or_inject() -> None:
    hostile = "a\"b'c`d${e}\\f\ng\u2028h</script>"
    literal = ts_string(hostile)
    assert literal.startswith('"') and literal.endswith('"')
    assert json.loads(literal) == hostile
    assert "\n" not in literal and "\u2028" not in literal
    assert literal.count('"') - literal.count('\\"') == 2


def test_comment_and_template_escapes() -> None:
    assert "*/" not in ts_comment("end */ here /* again\nnext")
    assert "\n" not in ts_comment("a\nb\rc")
    assert ts_template("`${x}`\\") == "\\`\\${x}\\`\\\\"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("get user by-id", "getUserById"),
        ("123start", "n123start"),
        ("class", "class_"),
        ("", "item"),
        ("delete", "delete_"),
        ("ÜberCool!", "berCool"),
    ],
)
def test_identifier(text: str, expected: str) -> None:
    assert identifier(text) == expected


def test_file_stem_and_dedup() -> None:
    assert file_stem("../../../etc/passwd") == "etc-passwd"
    assert file_stem("..\\..\\win") == "win"
    assert file_stem("///") == "default"
    table = NameTable({"app"})
    assert [table.claim(n) for n in ("app", "users", "Users", "users")] == [
        "app2",
        "users",
        "Users2",
        "users3",
    ]


def test_normalize_openapi_30_nullable_and_exclusive_bounds() -> None:
    schema = normalize_schema(
        {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True, "x-vendor": 1}, True
    )
    assert schema == {"type": ["integer", "null"], "exclusiveMinimum": 0}
    assert normalize_schema({"$ref": "#/x", "nullable": True}, True) == {
        "anyOf": [{"$ref": "#/x"}, {"type": "null"}]
    }
    assert normalize_schema({"type": "string", "enum": ["a"], "nullable": True}, True)["enum"] == ["a", None]
    assert normalize_schema({"nullable": True, "type": "string"}, False) == {
        "type": "string"
    }  # 3.1: no keyword


def test_wrong_typed_numeric_keywords_are_reported_and_dropped() -> None:
    reported: list[tuple[str, list]] = []
    schema = normalize_schema(
        {
            "type": "object",
            "minProperties": 1.0,
            "properties": {
                "a": {"type": "string", "minLength": True, "maxLength": 2},
                "b": {"type": "array", "maxItems": "3", "minItems": -1},
                "c": {"type": "number", "minimum": "0", "multipleOf": 0, "exclusiveMaximum": False},
            },
        },
        True,
        lambda code, message, parts: reported.append((code, parts)),
        ("components", "schemas", "S"),
    )
    assert schema["minProperties"] == 1 and isinstance(schema["minProperties"], int)
    assert schema["properties"] == {
        "a": {"type": "string", "maxLength": 2},
        "b": {"type": "array"},
        "c": {"type": "number"},
    }
    assert {code for code, _ in reported} == {"bad-keyword"}
    assert sorted(parts[-2:] for _, parts in reported) == [
        ["a", "minLength"],
        ["b", "maxItems"],
        ["b", "minItems"],
        ["c", "minimum"],
        ["c", "multipleOf"],
    ]
    assert reported[0][1][:4] == ["components", "schemas", "S", "properties"]
    assert ".min(" not in ZodWriter({}).expr(schema["properties"]["a"])


def test_wrong_typed_structure_keywords_are_reported_never_iterated() -> None:
    reported: list[list] = []
    schema = normalize_schema(
        {
            "type": "object",
            "required": "ok",
            "properties": {"o": {"type": "string"}, "k": "string", "r": {"$ref": 3}},
            "allOf": {"type": "object"},
            "items": [{"type": "string"}],
            "enum": "ab",
        },
        False,
        lambda code, message, parts: reported.append(parts),
    )
    assert schema == {"type": "object", "properties": {"o": {"type": "string"}, "k": {}, "r": {}}}
    assert sorted("/".join(map(str, parts)) for parts in reported) == [
        "allOf",
        "enum",
        "items",
        "properties/k",
        "properties/r/$ref",
        "required",
    ]
    zod = ZodWriter({}).expr(schema)
    assert '"o": z.string().optional()' in zod and '"k": z.unknown().optional()' in zod


def test_typescript_types_for_composition() -> None:
    writer = TypeWriter(
        {"Cat": "Cat", "Dog": "Dog"}, schemas={"Cat": {"properties": {"kind": {"type": "string"}}}}
    )
    union = writer.type(
        {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "x-discriminator": {"propertyName": "kind", "mapping": {"c": "#/components/schemas/Cat"}},
        }
    )
    assert union == '(Cat & { "kind": "c" }) | (Dog & { "kind": "Dog" })'
    assert writer.type({"allOf": [{"$ref": "#/components/schemas/Cat"}, {"type": "object"}]}).startswith(
        "Cat & "
    )
    assert writer.type({"type": ["string", "null"]}) == "string | null"
    assert writer.type({"const": "x`"}) == '"x`"'
    assert writer.type({"enum": [1, "a", None]}) == '1 | "a" | null'
    record = writer.type({"type": "object", "additionalProperties": {"type": "integer"}})
    assert "[key: string]: number;" in record
    assert TS.literal({"__proto__": 1, "a`": [None, True]}) == '{ ["__proto__"]: 1, "a`": [null, true] }'
    assert writer.type({"type": "object", "additionalProperties": False}) == "Record<string, never>"


def test_zod_never_coerces_bodies_but_parses_parameters() -> None:
    zod = ZodWriter({})
    body = zod.expr({"type": "integer", "minimum": 1})
    assert "preprocess" not in body and ".gte(1)" in body
    param = zod.expr({"type": "integer"}, coerce=True)
    assert param.startswith("z.preprocess(asNumber")
    closed = zod.expr(
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    )
    assert closed.endswith(".strict()") and '"a": z.string().optional()' in closed
    read_only = zod.expr(
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "readOnly": True}}},
        request=True,
    )
    assert ".optional()" in read_only
    assert zod.expr({"type": "string", "pattern": '^a"b$'}).endswith('.regex(specPattern("^a\\"b$"))')


def test_delimited_array_parameters_are_split() -> None:
    zod = ZodWriter({})
    csv = zod.param({"type": "array", "items": {"type": "integer"}}, ",")
    assert csv.startswith('z.preprocess(splitOn(","), z.preprocess(asArray, z.array(z.preprocess(asNumber')
    assert zod.param({"type": "array", "items": {"type": "string"}}, None).startswith("z.preprocess(asArray")
    assert "splitOn" not in zod.param({"type": "integer"}, ",")


def test_examples_are_valid_or_flagged() -> None:
    schemas = {
        "Node": {
            "type": "object",
            "required": ["v"],
            "properties": {
                "v": {"type": "integer", "minimum": 5},
                "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        },
    }
    examples = Examples(schemas)
    value, valid = examples.pick({"$ref": "#/components/schemas/Node"}, (False, None))
    assert valid and value["v"] == 5
    value, valid = examples.pick({"type": "string", "format": "email"}, (True, "not-an-email"))
    assert valid and value == "user@example.com"
    value, valid = examples.pick({"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5}, (False, None))
    assert valid


def test_base_path() -> None:
    assert base_path([{"url": "https://api.example.com/v1/"}]) == "/v1"
    assert base_path([{"url": "/api/{version}"}]) == ""
    variables = {"host": {"default": "x.example"}, "version": {"default": "v2", "enum": ["v2"]}}
    assert base_path([{"url": "https://{host}/api/{version}", "variables": variables}]) == "/api/v2"
    assert base_path([{"url": "https://{host}/api/v1", "variables": {"host": {}}}]) == "/api/v1"
    assert base_path([{"url": "/api/{version}", "variables": {"version": {"enum": ["v1"]}}}]) == ""
    assert base_path([{"url": "/{v}", "variables": {"v": {"default": "a b"}}}]) == ""
    assert base_path(None) == ""


def test_read_only_properties_are_not_required_in_request_views() -> None:
    from senior_backend.scaffold.readonly import needing_variants, request_view

    schemas = {
        "User": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"readOnly": True}, "name": {}},
        },
        "Team": {"type": "object", "properties": {"lead": {"$ref": "#/components/schemas/User"}}},
        "Tag": {"type": "string"},
        "Stamp": {"type": "string", "readOnly": True},
        "Post": {
            "type": "object",
            "required": ["stamp", "title"],
            "properties": {"stamp": {"$ref": "#/components/schemas/Stamp"}, "title": {"type": "string"}},
        },
    }
    needs = needing_variants(schemas)
    assert needs == {"User", "Team", "Post"}
    team = request_view(schemas["Team"], needs, schemas)
    assert team["properties"]["lead"] == {"$ref": "#/components/schemas/User.write"}
    assert request_view(schemas["User"], needs, schemas)["required"] == ["name"]
    assert request_view(schemas["Post"], needs, schemas)["required"] == ["title"]  # readOnly on the $ref'd schema
    assert schemas["User"]["required"] == ["id", "name"]  # the response view is untouched
