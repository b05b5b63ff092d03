"""Quoting identifiers and literals for SQL that the tools generate.

Generated SQL always goes through `ident` (always double-quoted) or `literal`.
`quote_ident` mirrors PostgreSQL's own function (quotes only when needed) and
is used for the readable qualified names that key catalog snapshots. Its
keywords are those of PostgreSQL 13 to 18 together (every release adds some),
so a key does not depend on the server's version; the catalog queries quote
the same way through `keyquote.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache

KEYWORDS = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "between",
        "bigint",
        "binary",
        "bit",
        "boolean",
        "both",
        "case",
        "cast",
        "char",
        "character",
        "check",
        "coalesce",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "dec",
        "decimal",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "exists",
        "extract",
        "false",
        "fetch",
        "float",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "greatest",
        "group",
        "grouping",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "inout",
        "int",
        "integer",
        "intersect",
        "interval",
        "into",
        "is",
        "isnull",
        "join",
        "json",
        "json_array",
        "json_arrayagg",
        "json_exists",
        "json_object",
        "json_objectagg",
        "json_query",
        "json_scalar",
        "json_serialize",
        "json_table",
        "json_value",
        "lateral",
        "leading",
        "least",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "merge_action",
        "national",
        "natural",
        "nchar",
        "none",
        "normalize",
        "not",
        "notnull",
        "null",
        "nullif",
        "numeric",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "out",
        "outer",
        "overlaps",
        "overlay",
        "placing",
        "position",
        "precision",
        "primary",
        "real",
        "references",
        "returning",
        "right",
        "row",
        "select",
        "session_user",
        "setof",
        "similar",
        "smallint",
        "some",
        "substring",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "time",
        "timestamp",
        "to",
        "trailing",
        "treat",
        "trim",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "values",
        "varchar",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ]
)
_SAFE = re.compile(r"^[a-z_][a-z0-9_]*$")


def ident(name: str) -> str:
    """Always double-quote an identifier (for generated SQL)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """`"schema"."name"`, always quoted (for generated SQL)."""
    return f"{ident(schema)}.{ident(name)}"


@lru_cache(maxsize=1 << 16)
def quote_ident(name: str) -> str:
    """Quote like PostgreSQL's quote_ident(): only when the name needs it (cached: snapshot keys call it a lot)."""
    if _SAFE.match(name) and name not in KEYWORDS:
        return name
    return ident(name)


def unquote(name: str) -> str:
    """An identifier as `quote_ident` writes it, unquoted (double quotes removed, doubled ones halved)."""
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def qualify(schema: str, name: str) -> str:
    """The readable qualified name used as a snapshot key: `public.users`, `"My Schema".t`."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def literal(value: str) -> str:
    """A standard SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1)."""
    return "'" + value.replace("'", "''") + "'"
