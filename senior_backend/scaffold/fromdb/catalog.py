"""Reading a live database into resources: one per table or view, with what the API needs to know.

The catalog snapshot (common/pg/catalog.py) gives tables, columns, constraints, indexes and enums.
Two things it does not carry are read here with small queries of our own: the columns of views
(the snapshot keeps columns of tables only) and the base types of domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from pglast.parser import ParseError, parse_sql_json
from psycopg.rows import dict_row

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.errors import BadInput
from senior_backend.common.pg.catalog import catalog_query, load_snapshot
from senior_backend.common.pg.model import Column as CatalogColumn
from senior_backend.common.pg.model import Snapshot, row_to
from senior_backend.common.pg.quoting import ident, qualify
from senior_backend.scaffold.fromdb.pgtypes import PgType, TypeMapper, TypeRef, apply_facts, check_facts

DOMAINS_SQL = """
SELECT n.nspname AS schema, t.typname AS name, bn.nspname AS base_schema, bt.typname AS base_name,
       bt.typtype AS base_kind, format_type(t.typbasetype, t.typtypmod) AS formatted
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
JOIN pg_namespace bn ON bn.oid = bt.typnamespace
WHERE t.typtype = 'd'
"""
_NOT_CONSTANT = ("FuncCall", "SQLValueFunction", "ColumnRef", "SubLink", "NextValueExpr")


@dataclass
class Column:
    """One column as the API sees it."""

    name: str
    type: PgType
    schema: dict[str, Any]  # the non-null JSON Schema of a value
    not_null: bool
    has_default: bool
    server_set: bool  # identity, generated, or a non-constant default such as now()
    comment: str | None = None

    @property
    def sql(self) -> str:
        return ident(self.name)


@dataclass
class Resource:
    """A table (read/write) or a view (read-only)."""

    schema: str
    name: str
    is_view: bool
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)  # leading columns of plain indexes, in order
    constraints: dict[str, list[str]] = field(default_factory=dict)  # name -> columns (u, p, f, c)
    comment: str | None = None

    @property
    def sql(self) -> str:
        return f"{ident(self.schema)}.{ident(self.name)}"

    @property
    def label(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def is_constant(expression: str) -> bool:
    """True when a default is a constant (`'draft'::text`, `0`, `'{}'::jsonb`), not `now()` or `nextval()`."""
    try:
        tree = parse_sql_json(f"SELECT {expression}")
    except ParseError:
        return False
    return not any(f'"{kind}"' in tree for kind in _NOT_CONSTANT)


def _view_columns(conn: psycopg.Connection, snapshot: Snapshot) -> dict[str, list[CatalogColumn]]:
    """Columns of every view (the snapshot keeps only tables' columns), by qualified view name."""
    out: dict[str, list[CatalogColumn]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(catalog_query("columns.sql"), {"excluded": ["senior_backend"]})
        for row in cur.fetchall():
            key = qualify(row.pop("schema"), row.pop("table_name"))
            if key in snapshot.views:
                out.setdefault(key, []).append(row_to(CatalogColumn, row))
    return out


def _mapper(conn: psycopg.Connection, snapshot: Snapshot) -> TypeMapper:
    enums = {(enum.schema, enum.name): enum.labels for enum in snapshot.enums.values()}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(DOMAINS_SQL)
        domains = {
            (row["schema"], row["name"]): TypeRef(
                row["base_schema"], row["base_name"], row["base_kind"], row["formatted"]
            )
            for row in cur.fetchall()
        }
    return TypeMapper(enums, domains)


def _selected(schema: str, name: str, schemas: tuple[str, ...], include: set[str], exclude: set[str]) -> bool:
    names = {name, f"{schema}.{name}"}
    if schema not in schemas or names & exclude:
        return False
    return not include or bool(names & include)


class _Reader:
    def __init__(self, snapshot: Snapshot, mapper: TypeMapper) -> None:
        self.snapshot = snapshot
        self.mapper = mapper
        self.warnings: list[Diagnostic] = []

    def column(self, column: CatalogColumn, facts: dict[str, Any]) -> Column:
        pg_type = self.mapper.map(
            TypeRef(column.type_schema, column.type_name, column.type_kind, column.type)
        )
        default = column.default_expr
        generated = bool(column.identity or column.generated)
        return Column(
            name=column.name,
            type=pg_type,
            schema=apply_facts(pg_type.schema, facts, pg_type.kind),
            not_null=column.not_null,
            has_default=default is not None or bool(column.identity),
            server_set=generated or (default is not None and not is_constant(default)),
            comment=column.comment,
        )

    def table(self, key: str) -> Resource:
        table = self.snapshot.tables[key]
        facts: dict[str, dict[str, Any]] = {}
        constraints: dict[str, list[str]] = {}
        primary: list[str] = []
        for con in self.snapshot.constraints_of(key):
            constraints[con.name] = list(con.columns)
            if con.kind == "p":
                primary = list(con.columns)
            if con.kind == "c" and len(con.columns) == 1:
                for column, found in check_facts(con.definition).items():
                    facts.setdefault(column, {}).update(found)
        indexed: list[str] = []
        for index in sorted(
            self.snapshot.indexes_of(key), key=lambda index: (not index.is_primary, index.name)
        ):
            lead = index.key_columns[0] if index.key_columns else None
            if index.is_valid and index.predicate is None and lead is not None and lead not in indexed:
                indexed.append(lead)
        columns = [self.column(column, facts.get(column.name, {})) for column in table.columns.values()]
        if not primary:
            self.warnings.append(
                warning(
                    "no-primary-key",
                    "no primary key: only list and create are generated",
                    where=key,
                )
            )
        return Resource(
            table.schema, table.name, False, columns, primary, indexed, constraints, table.comment
        )

    def view(self, key: str, rows: list[CatalogColumn]) -> Resource:
        view = self.snapshot.views[key]
        columns = [self.column(row, {}) for row in rows]
        return Resource(view.schema, view.name, True, columns, comment=view.comment)


def read_resources(
    source: str,
    schemas: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    conn: psycopg.Connection,
) -> tuple[list[Resource], list[Diagnostic]]:
    """Every selected table and view of the database as a resource, in schema and name order."""
    snapshot = load_snapshot(conn)
    reader = _Reader(snapshot, _mapper(conn, snapshot))
    view_rows = _view_columns(conn, snapshot)
    wanted, unwanted = set(include), set(exclude)
    resources: list[Resource] = []
    for key in sorted(
        snapshot.tables, key=lambda key: (snapshot.tables[key].schema, snapshot.tables[key].name)
    ):
        table = snapshot.tables[key]
        if table.is_partition or not _selected(table.schema, table.name, schemas, wanted, unwanted):
            continue
        resources.append(reader.table(key))
    for key in sorted(snapshot.views, key=lambda key: (snapshot.views[key].schema, snapshot.views[key].name)):
        view = snapshot.views[key]
        if _selected(view.schema, view.name, schemas, wanted, unwanted) and view_rows.get(key):
            resources.append(reader.view(key, view_rows[key]))
    found = {name for res in resources for name in (res.name, f"{res.schema}.{res.name}")}
    missing = sorted(wanted - found)
    if missing:
        raise BadInput("unknown-table", f"--include names no selected table or view: {', '.join(missing)}")
    if not resources:
        raise BadInput(
            "no-tables",
            f"no tables or views in schema(s) {', '.join(schemas)} of {source}",
            hint="choose schemas with --schema, or check --include/--exclude",
        )
    return resources, reader.warnings
