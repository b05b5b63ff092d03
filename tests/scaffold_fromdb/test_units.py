"""Pure rules of --from-db: PostgreSQL types to JSON Schema, CHECK constraints to enums and bounds,
which defaults are server-set, and how names become URL segments."""

from __future__ import annotations

import pytest

from senior_backend.scaffold.fromdb.catalog import is_constant
from senior_backend.scaffold.fromdb.pgtypes import TypeMapper, TypeRef, apply_facts, check_facts, nullable
from senior_backend.scaffold.fromdb.spec import url_segment

pytestmark = [pytest.mark.quick]

MAPPER = TypeMapper(
    enums={("public", "mood"): ("sad", "ok")},
    domains={("public", "positive"): TypeRef("pg_catalog", "int4", "b", "integer")},
)


def _map(name: str, formatted: str, kind: str = "b", schema: str = "pg_catalog") -> tuple[dict, str]:
    mapped = MAPPER.map(TypeRef(schema, name, kind, formatted))
    return mapped.schema, mapped.kind


@pytest.mark.parametrize(
    ("name", "formatted", "expected"),
    [
        ("int4", "integer", {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}),
        ("int8", "bigint", {"type": "string", "pattern": "^-?[0-9]{1,19}$"}),
        ("numeric", "numeric(10,2)", {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}),
        ("float8", "double precision", {"type": "number"}),
        ("varchar", "character varying(40)", {"type": "string", "maxLength": 40}),
        ("timestamptz", "timestamp with time zone", {"type": "string", "format": "date-time"}),
        ("date", "date", {"type": "string", "format": "date"}),
        ("uuid", "uuid", {"type": "string", "format": "uuid"}),
        ("jsonb", "jsonb", {}),
        (
            "_int4",
            "integer[]",
            {
                "type": "array",
                "items": {"type": ["integer", "null"], "minimum": -2147483648, "maximum": 2147483647},
            },
        ),
        ("point", "point", {"type": "string"}),
    ],
)
def test_base_types(name: str, formatted: str, expected: dict) -> None:
    assert _map(name, formatted)[0] == expected


def test_enums_domains_and_enum_arrays() -> None:
    assert _map("mood", "mood", "e", "public") == ({"type": "string", "enum": ["sad", "ok"]}, "string")
    assert _map("positive", "positive", "d", "public")[1] == "integer"
    assert _map("_mood", "mood[]", "b", "public")[0] == {
        "type": "array",
        "items": {"type": ["string", "null"], "enum": ["sad", "ok", None]},
    }
    timestamp = MAPPER.map(TypeRef("pg_catalog", "timestamp", "b", "timestamp without time zone"))
    assert timestamp.after == "::timestamptz"  # written as UTC whatever offset the client sends
    assert MAPPER.map(TypeRef("pg_catalog", "bytea", "b", "bytea")).before == "decode("


def test_check_constraints_become_enums_and_bounds() -> None:
    in_list = "CHECK ((tier = ANY (ARRAY['basic'::text, 'gold'::text])))"
    assert check_facts(in_list) == {"tier": {"enum": ["basic", "gold"]}}
    varchar = "CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"
    assert check_facts(varchar) == {"kind": {"enum": ["a", "b"]}}
    between = "CHECK (((quantity >= 1) AND (quantity <= 1000)))"
    assert check_facts(between) == {"quantity": {"minimum": 1, "maximum": 1000}}
    assert check_facts("CHECK ((0 < price))") == {"price": {"exclusiveMinimum": 0}}
    assert check_facts("CHECK ((length(name) > 2))") == {}
    assert check_facts("CHECK ((a > b))") == {}
    assert check_facts("CHECK ((x = ANY (ARRAY[1, 2])))") == {}
    assert check_facts("NOT A CHECK") == {}
    integer = {"type": "integer", "minimum": -5}
    assert apply_facts(integer, {"minimum": 1}, "integer") == {"type": "integer", "minimum": 1}
    assert apply_facts({"type": "string"}, {"minimum": 1}, "string-number") == {"type": "string"}


def test_server_set_defaults_and_nullability() -> None:
    assert (
        is_constant("'draft'::text")
        and is_constant("0")
        and is_constant("'{}'::jsonb")
        and is_constant("false")
    )
    for server_set in (
        "now()",
        "CURRENT_TIMESTAMP",
        "nextval('t_id_seq'::regclass)",
        "gen_random_uuid()",
        "(SELECT 1)",
    ):
        assert not is_constant(server_set), server_set
    assert nullable({"type": "string", "enum": ["a"]}) == {"type": ["string", "null"], "enum": ["a", None]}
    assert nullable({}) == {}


def test_url_segments() -> None:
    assert url_segment("order_items") == "order_items"
    assert url_segment('odd "table"') == "odd-table"
    assert url_segment("../../etc") == "etc"
