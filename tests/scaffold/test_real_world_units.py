"""Quick tests of the pure parts behind issue 16's defect classes: YAML 1.2 scalars, routes per
framework, route order, discriminated unions, integer formats, regex-driven examples."""

from __future__ import annotations

import re

import pytest
import yaml

from senior_backend.common.openapi import _SpecLoader
from senior_backend.common.regexgen import sample
from senior_backend.scaffold.discriminator import tag_unions
from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import Operation, Parameter, normalize_schema
from senior_backend.scaffold.routing import fastify_problem, route_path, shadows

pytestmark = pytest.mark.quick


def _op(path: str, method: str = "get", name: str = "op") -> Operation:
    params = [
        Parameter(name, "path", True, {"type": "string"}, name.replace("-", "_"))
        for name in re.findall(r"\{([^}]+)\}", path)
    ]
    return Operation(name, name, name.title(), method, path, "g", "", params, None, [], [], "")


def test_yaml_scalars_follow_yaml_1_2() -> None:
    text = "a: 18:00\nb: NO\nc: 0777\nd: 1_000\ne: 1.5e3\nf: on\ng: 0x1F\nh: 08\ni: 2024-01-15\nj: true\n"
    loaded = yaml.load(text, Loader=_SpecLoader)
    assert loaded == {
        "a": "18:00",
        "b": "NO",
        "c": 777,
        "d": "1_000",
        "e": 1500.0,
        "f": "on",
        "g": 31,
        "h": 8,
        "i": "2024-01-15",
        "j": True,
    }


@pytest.mark.parametrize(
    ("path", "framework", "route"),
    [
        ("/users/@me", "express", "/users/@me"),
        ("/users/@me", "fastify", "/users/@me"),
        ("/jobs/{job-name}:cancel", "express", "/jobs/:job_name\\:cancel"),
        ("/jobs/{job-name}:cancel", "koa", "/jobs/:job_name\\:cancel"),
        ("/jobs/{job-name}:cancel", "fastify", "/jobs/:job_name(^[^/]+?)::cancel"),
        ("/a(b)/c d/caf\u00e9", "express", "/a\\(b\\)/c%20d/caf%C3%A9"),
        ("/a(b)/c d/caf\u00e9", "fastify", "/a(b)/c d/caf\u00e9"),
        ("/files/{name}.{ext}", "fastify", "/files/:name(^[^/]+?).:ext"),
    ],
)
def test_route_paths_per_framework(path: str, framework: str, route: str) -> None:
    assert route_path(_op(path), framework) == route


def test_a_literal_star_is_matched_as_a_pattern_on_fastify() -> None:
    assert route_path(_op("/files/*/all"), "fastify") == "/files/:_literal2(^\\*$)/all"
    assert route_path(_op("/files/*/all"), "express") == "/files/\\*/all"
    assert fastify_problem("/a/*/b") is None and fastify_problem("/a/{x}*/b")


def test_a_parameter_route_yields_to_a_more_specific_later_one() -> None:
    general, me, other = _op("/users/{id}", name="general"), _op("/users/@me", name="me"), _op("/posts/x")
    assert shadows([general, me, other]) == {"general": [{"id": "@me"}]}
    assert shadows([me, general]) == {}  # registered first already: nothing to yield
    assert shadows([general, _op("/users/@me", "post", "post")]) == {}
    crossed = shadows([_op("/a/{x}/c", name="g"), _op("/a/b/{y}", name="s")])
    assert crossed == {"g": [{"x": "b"}]}


def test_discriminated_members_are_narrowed_to_their_tags() -> None:
    schemas = {"Circle": {"type": "object"}, "Fixed": {"properties": {"kind": {"const": "f"}}}}
    union = {
        "oneOf": [
            {"$ref": "#/components/schemas/Circle"},
            {"$ref": "#/components/schemas/Fixed"},
            {"$ref": "#/components/schemas/Rect"},
        ],
        "x-discriminator": {"propertyName": "kind", "mapping": {"c": "Circle", "round": "Circle"}},
    }
    members = tag_unions(union, schemas)["oneOf"]
    assert members[0]["allOf"][1]["properties"]["kind"]["enum"] == ["c", "round"]
    assert members[1] == {"$ref": "#/components/schemas/Fixed"}  # fixes the tag itself
    assert members[2]["allOf"][1]["properties"]["kind"]["enum"] == ["Rect"]


def test_integer_formats_become_bounds_unless_tighter() -> None:
    assert normalize_schema({"type": "integer", "format": "int32"}, False) == {
        "type": "integer",
        "format": "int32",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    }
    assert normalize_schema({"type": "integer", "format": "int64"}, False)["maximum"] < 2**63 - 1
    tight = normalize_schema({"type": "integer", "format": "int64", "minimum": 0, "maximum": 9}, False)
    assert (tight["minimum"], tight["maximum"]) == (0, 9)
    assert "minimum" not in normalize_schema({"type": "string", "format": "int32"}, False)


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z]{3}-\d{3}[a-z]?$", r"^(ab|cd)+x\.\w\s[^a]$", r"^R-[0-9]{4}-[A-Z]{2}$", r"^(v\d+)-\1$"],
)
def test_regex_samples_match(pattern: str) -> None:
    text = sample(pattern)
    assert text is not None and re.search(pattern, text)
    assert sample(pattern, variant=1) is not None


def test_examples_are_fitted_to_typescript_and_never_invalid() -> None:
    schemas = {"Proto": {"type": "object", "properties": {"constructor": {"type": "string"}}}}
    examples = Examples(schemas)
    value, valid = examples.pick({"$ref": "#/components/schemas/Proto"}, (True, {}))
    assert valid and isinstance(value["constructor"], str)
    closed = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert examples.pick(closed, (True, {"a": "x", "b": 1})) == ({"a": "x"}, True)
    unique = {
        "type": "array",
        "minItems": 3,
        "uniqueItems": True,
        "items": {"type": "string", "pattern": "^t[0-9]$"},
    }
    value, valid = examples.pick(unique, (False, None))
    assert valid and len(set(value)) == 3
    assert examples.pick({"not": {}}, (True, 1)) == (None, False)
    shapes = {
        "Circle": {"type": "object", "properties": {"kind": {"type": "string"}, "r": {"type": "number"}}},
        "Rect": {"type": "object", "properties": {"kind": {"type": "string"}, "w": {"type": "number"}}},
    }
    union = {
        "oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Rect"}],
        "x-discriminator": {"propertyName": "kind", "mapping": {"c": "Circle", "r": "Rect"}},
    }
    tagged = tag_unions(union, shapes)
    picked = Examples(shapes).pick(tagged, (True, {"kind": "c", "r": 1, "w": 2}))
    assert picked == ({"kind": "c", "r": 1}, True)  # TypeScript narrows by the tag: `w` is excess
