"""PostgreSQL column types as JSON Schema, by one rule: the schema describes the JSON value that
node-postgres (with the type parsers of the generated db.ts) produces for the column, and accepts.

- int2/int4: integer with the type's bounds; float4/float8: number.
- int8, numeric, money: strings of digits (they do not fit a JS number safely; pg returns them as text).
- timestamptz and timestamp: `date-time` strings (db.ts keeps them as ISO text; the pool runs in UTC,
  so a timestamp without time zone is read and written as UTC); date: `date`; time, interval: strings.
- uuid: `uuid`; json/jsonb: any JSON value; bytea: base64 text; arrays: `array` of the element's schema
  or null (PostgreSQL has no NOT NULL for array elements);
  enums: their labels; domains: their base type; other types: strings as pg returns them.

A column's CHECK constraints add what JSON Schema can say: `col IN (...)` lists become `enum`,
`col >= n` style comparisons become bounds. Anything else in a CHECK is left to PostgreSQL (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, BoolExprType
from pglast.parser import ParseError

INT_BOUNDS = {"int2": (-32768, 32767), "int4": (-2147483648, 2147483647)}
STRING_NUMBERS = {
    "int8": r"^-?[0-9]{1,19}$",
    "numeric": r"^-?[0-9]+(\.[0-9]+)?$",
    "money": r"^-?[0-9]+(\.[0-9]+)?$",
}
FORMATS = {"uuid": "uuid", "date": "date", "timestamptz": "date-time", "timestamp": "date-time"}
TEXTUAL = {
    "text",
    "varchar",
    "bpchar",
    "char",
    "name",
    "citext",
    "time",
    "timetz",
    "interval",
    "inet",
    "cidr",
}
TEXTUAL |= {"macaddr", "macaddr8", "xml", "tsvector", "bit", "varbit", "oid"}
ORDERABLE_KINDS = {"integer", "number", "string-number", "string", "boolean"}


@dataclass(frozen=True)
class PgType:
    """What the generator needs to know about one column type."""

    schema: dict[str, Any]
    kind: str  # integer, number, string-number, string, boolean, json, bytes, array, other
    before: str = ""  # SQL around a `$n` placeholder for this type (e.g. `decode(` for bytea)
    after: str = ""

    @property
    def orderable(self) -> bool:
        """Usable in `ORDER BY` and `=` filters through a query parameter."""
        return self.kind in ORDERABLE_KINDS


@dataclass(frozen=True)
class TypeRef:
    """A column's type as the catalog describes it."""

    schema: str
    name: str
    kind: str  # pg_type.typtype: b base, e enum, d domain, ...
    formatted: str  # format_type(), e.g. `character varying(40)`, `integer[]`


def _max_length(formatted: str) -> int | None:
    if "(" in formatted and formatted.rstrip("[]").endswith(")"):
        inside = formatted[formatted.index("(") + 1 : formatted.rindex(")")]
        if inside.isdigit():
            return int(inside)
    return None


class TypeMapper:
    """Maps catalog types to `PgType`s; knows the database's enums and domains."""

    def __init__(
        self, enums: dict[tuple[str, str], tuple[str, ...]], domains: dict[tuple[str, str], TypeRef]
    ):
        self.enums = enums
        self.domains = domains

    def map(self, ref: TypeRef) -> PgType:
        if ref.kind == "d" and (ref.schema, ref.name) in self.domains:
            return self.map(self.domains[(ref.schema, ref.name)])
        if ref.kind == "e" and (ref.schema, ref.name) in self.enums:
            return PgType({"type": "string", "enum": list(self.enums[(ref.schema, ref.name)])}, "string")
        if ref.name.startswith("_") and ref.formatted.endswith("[]"):
            element_kind = "e" if (ref.schema, ref.name[1:]) in self.enums else "b"
            element = self.map(
                TypeRef(ref.schema, ref.name[1:], element_kind, ref.formatted.removesuffix("[]"))
            )
            if element.kind in ("bytes", "json"):
                return PgType({"type": "array"}, "array")
            return PgType({"type": "array", "items": nullable(element.schema)}, "array")
        return _base(ref)


def _base(ref: TypeRef) -> PgType:
    name = ref.name
    if name in INT_BOUNDS:
        low, high = INT_BOUNDS[name]
        return PgType({"type": "integer", "minimum": low, "maximum": high}, "integer")
    if name in ("float4", "float8"):
        return PgType({"type": "number"}, "number")
    if name in STRING_NUMBERS:
        return PgType({"type": "string", "pattern": STRING_NUMBERS[name]}, "string-number")
    if name == "bool":
        return PgType({"type": "boolean"}, "boolean")
    if name in ("json", "jsonb"):
        return PgType({}, "json")
    if name == "bytea":
        return PgType({"type": "string", "contentEncoding": "base64"}, "bytes", "decode(", ", 'base64')")
    if name in FORMATS:
        after = "::timestamptz" if name.startswith("timestamp") else ""
        return PgType({"type": "string", "format": FORMATS[name]}, "string", after=after)
    if name in TEXTUAL:
        schema: dict[str, Any] = {"type": "string"}
        length = _max_length(ref.formatted) if name in ("varchar", "bpchar") else None
        if length is not None:
            schema["maxLength"] = length
        return PgType(schema, "string")
    return PgType({"type": "string"}, "other")


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema that also allows `null` (JSON Schema 2020-12 / OpenAPI 3.1 spelling)."""
    if not schema:
        return schema
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    if isinstance(out.get("enum"), list):
        out["enum"] = [*out["enum"], None]
    return out


def check_facts(definition: str) -> dict[str, dict[str, Any]]:
    """Per column, the JSON Schema keywords that a CHECK definition implies (`enum`, bounds)."""
    text = definition.strip()
    if not text.upper().startswith("CHECK"):
        return {}
    text = text[5:].removesuffix("NOT VALID").strip()
    try:
        statement = parse_sql(f"SELECT {text}")[0].stmt
    except ParseError:
        return {}
    facts: dict[str, dict[str, Any]] = {}
    for term in _conjuncts(statement.targetList[0].val):
        fact = _fact(term)
        if fact is not None:
            facts.setdefault(fact[0], {}).update(fact[1])
    return facts


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return [item for arg in node.args for item in _conjuncts(arg)]
    return [node]


def _uncast(node: Any) -> Any:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def _column(node: Any) -> str | None:
    node = _uncast(node)
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
        return node.fields[0].sval
    return None


def _constant(node: Any) -> Any:
    node = _uncast(node)
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    value = node.val
    if isinstance(value, ast.String):
        return value.sval
    if isinstance(value, ast.Integer):
        return value.ival
    if isinstance(value, ast.Float):
        return float(value.fval)
    return None


_BOUNDS = {">=": "minimum", ">": "exclusiveMinimum", "<=": "maximum", "<": "exclusiveMaximum"}
_FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


def _fact(term: Any) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(term, ast.A_Expr) or len(term.name) != 1:
        return None
    operator = term.name[0].sval
    if term.kind == A_Expr_Kind.AEXPR_OP_ANY and operator == "=":
        column, array = _column(term.lexpr), _uncast(term.rexpr)
        if column and isinstance(array, ast.A_ArrayExpr):
            values = [_constant(element) for element in array.elements or ()]
            if values and all(isinstance(value, str) for value in values):
                return column, {"enum": values}
        return None
    if term.kind != A_Expr_Kind.AEXPR_OP or operator not in _BOUNDS:
        return None
    column, value = _column(term.lexpr), _constant(term.rexpr)
    if column is None:
        column, value, operator = _column(term.rexpr), _constant(term.lexpr), _FLIPPED[operator]
    if column is None or isinstance(value, str) or value is None:
        return None
    return column, {_BOUNDS[operator]: value}


def apply_facts(schema: dict[str, Any], facts: dict[str, Any], kind: str) -> dict[str, Any]:
    """A column schema narrowed by its CHECK facts (enums on text, bounds on JSON numbers)."""
    out = dict(schema)
    if "enum" in facts and kind == "string" and "enum" not in out:
        out["enum"] = facts["enum"]
    if kind in ("integer", "number"):
        out.update({key: value for key, value in facts.items() if key != "enum"})
    return out
