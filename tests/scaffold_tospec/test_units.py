"""Units of route recovery: path conversion and joining, zod back to JSON Schema, syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from senior_backend.scaffold.tospec.jsast import parse_file
from senior_backend.scaffold.tospec.routes import join, openapi_path
from senior_backend.scaffold.tospec.run import build_from_routes
from senior_backend.scaffold.tospec.zodback import ZodReader


@pytest.mark.quick
@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("/users/:id", ("/users/{id}", ["id"])),
        ("/files/:name(\\d+)/raw", ("/files/{name}/raw", ["name"])),
        ("/a/:x?/b", ("/a/{x}/b", ["x"])),
        ("//double//slash", ("/double/slash", [])),
    ],
)
def test_openapi_path(route: str, expected: tuple[str, list[str]]) -> None:
    assert openapi_path(route) == expected


@pytest.mark.quick
def test_join_keeps_a_meaningful_trailing_slash_only() -> None:
    assert join("/api/", "/users") == "/api/users"
    assert join("/api", "/") == "/api"
    assert join("/api", "/items/") == "/api/items/"
    assert join("", "/") == "/"


def _zod(source: str) -> tuple[dict, list[str]]:
    parsed = parse_file(Path("x.ts"), f"const s = {source};".encode())
    value = parsed.root.named_children[0].named_children[0].child_by_field_name("value")
    reader = ZodReader(lambda node: None)
    return reader.schema(value), [message for _, message in reader.notes]


@pytest.mark.quick
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            'z.string().min(2).max(9).regex(new RegExp("^a", "u"))',
            {"type": "string", "minLength": 2, "maxLength": 9, "pattern": "^a"},
        ),
        (
            'z.number().gt(0).lte(5).refine(Number.isInteger, "x")',
            {"type": "integer", "exclusiveMinimum": 0, "maximum": 5},
        ),
        (
            "z.array(z.uuid()).min(1).refine(uniqueItems, 'u')",
            {
                "type": "array",
                "items": {"type": "string", "format": "uuid"},
                "minItems": 1,
                "uniqueItems": True,
            },
        ),
        (
            'z.object({"a": z.boolean(), "b": z.string().nullable().optional()}).strict()',
            {
                "type": "object",
                "properties": {"a": {"type": "boolean"}, "b": {"type": ["string", "null"]}},
                "required": ["a"],
                "additionalProperties": False,
            },
        ),
        (
            "z.object({}).catchall(z.number())",
            {"type": "object", "properties": {}, "additionalProperties": {"type": "number"}},
        ),
        ('z.enum(["a", "b"])', {"enum": ["a", "b"]}),
        ("z.custom((value) => deepEqual(value, { k: [1, 2] }))", {"const": {"k": [1, 2]}}),
        (
            "z.intersection(z.intersection(z.null(), z.boolean()), z.string())",
            {"allOf": [{"type": "null"}, {"type": "boolean"}, {"type": "string"}]},
        ),
        ("z.preprocess(asNumber, z.number())", {"type": "number"}),
        ("z.iso.datetime({ offset: true })", {"type": "string", "format": "date-time"}),
    ],
)
def test_zod_back_to_json_schema(source: str, expected: dict) -> None:
    schema, notes = _zod(source)
    assert schema == expected
    assert notes == []


@pytest.mark.quick
def test_hand_written_zod_styles() -> None:
    schema, notes = _zod(
        "z.object({ email: z.string().email(), tags: z.string().array().nonempty(), n: z.number().positive(),"
        " code: z.string().length(3).trim(), role: z.enum(['a', 'b']).default('a'), note: z.string().nullish(),"
        " meta: z.record(z.string(), z.unknown()), pair: z.tuple([z.string(), z.number()]),"
        " either: z.string().or(z.number()), later: z.optional(z.boolean()) })"
    )
    assert notes == []
    assert schema["required"] == ["email", "tags", "n", "code", "meta", "pair", "either"]
    props = schema["properties"]
    assert props["email"] == {"type": "string", "format": "email"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "minItems": 1}
    assert props["n"] == {"type": "number", "exclusiveMinimum": 0}
    assert props["code"] == {"type": "string", "minLength": 3, "maxLength": 3}
    assert props["role"] == {"enum": ["a", "b"], "default": "a"}
    assert props["note"] == {"type": ["string", "null"]}
    assert props["meta"] == {"type": "object", "additionalProperties": {}}
    assert props["pair"] == {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "number"}],
        "items": False,
    }
    assert props["either"] == {"anyOf": [{"type": "string"}, {"type": "number"}]}
    assert props["later"] == {"type": "boolean"}


@pytest.mark.quick
def test_zod_without_json_schema_equivalent_is_a_note() -> None:
    schema, notes = _zod("z.string().transform((s) => s.trim())")
    assert schema == {"type": "string"}
    assert len(notes) == 1 and "transform" in notes[0]


@pytest.mark.quick
def test_syntax_error_is_a_warning_with_file_and_line_and_other_files_still_count(tmp_path: Path) -> None:
    (tmp_path / "good.ts").write_text(
        'import { Router } from "express";\nexport const r = Router();\nr.get("/ok", h);\n'
    )
    (tmp_path / "bad.ts").write_text(
        'const r = require("express").Router();\n\nr.get("/x", (req, res) => {\n  if (\n});\n'
    )
    model = build_from_routes(tmp_path)
    assert [op.path for op in model.operations] == ["/ok", "/x"] or "/ok" in [
        op.path for op in model.operations
    ]
    errors = [w for w in model.warnings if w.rule == "syntax-error"]
    assert len(errors) == 1 and errors[0].where.endswith("bad.ts:4")
