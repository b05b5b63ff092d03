"""Tables without a primary key (logical replication, ORMs and row identity all need one).

The fix promotes what the table already has: a unique constraint on NOT NULL columns, else its serial,
identity or `id` column (also one inherited from a parent: `INHERITS` copies columns, not the key), and
only a table with none of these gets a new identity column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.analyze.findings import Finding

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Column, Table
    from senior_backend.dbtool.analyze.advisor import Context

_KEY_TYPES = ("smallint", "integer", "bigint", "uuid")

TITLE = "tables without a primary key"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    with_pk = {con.table_key for con in ctx.snapshot.constraints.values() if con.kind == "p"}
    findings = []
    for table in ctx.snapshot.tables.values():
        if table.kind not in ("r", "p") or table.key in with_pk:
            continue
        if table.is_partition and any(parent in with_pk for parent in table.parents):
            continue
        unique = [
            con.name
            for con in ctx.snapshot.constraints_of(table.key, "u")
            if _all_not_null(table, con.columns)
        ]
        key = _key_column(table)
        if unique:
            advice = f"promote the unique constraint {unique[0]} on NOT NULL columns to the primary key"
        elif key is not None:
            advice = _existing_key_advice(table, key)
        else:
            advice = (
                "add an identity column: ALTER TABLE ... ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY "
                "PRIMARY KEY (rewrites the table; schedule it)"
            )
        findings.append(
            Finding(
                rule="missing-primary-key",
                level=Level.WARNING,
                message=f"table {table.key} has no primary key: rows cannot be identified for updates, "
                f"logical replication or ORMs",
                objects=(table.key,),
                evidence={"rows": ctx.stats.rows(table.key), "unique_not_null_candidates": unique},
                advice=advice,
            )
        )
    return findings


def _key_column(table: Table) -> Column | None:
    """A column the table already has (its own or inherited) that can be the key: one filled by a sequence
    or an identity, else one named `id`, of an integer or uuid type."""
    usable = [
        column for column in table.columns.values() if column.type in _KEY_TYPES and not column.generated
    ]
    for column in usable:
        if column.identity or (column.default_expr or "").startswith("nextval("):
            return column
    return next((column for column in usable if column.name == "id"), None)


def _existing_key_advice(table: Table, column: Column) -> str:
    """Make the existing column the key (adding an `id` column would fail: the table has one)."""
    target = qualified(table.schema, table.name)
    origin = (
        f"the {column.name} column it inherits from {', '.join(table.parents)}"
        if not column.is_local and table.parents
        else f"its {column.name} column"
    )
    index = ident(f"{table.name}_pkey")
    return (
        f"ALTER TABLE {target} ADD PRIMARY KEY ({ident(column.name)}), on {origin} (it must hold no NULL and "
        f"no duplicate; a new id column would fail: the table has one). On a busy table build the index first: CREATE UNIQUE INDEX CONCURRENTLY {index} ON {target} "
        f"({ident(column.name)}); ALTER TABLE {target} ADD CONSTRAINT {index} PRIMARY KEY USING INDEX {index}"
    )


def _all_not_null(table, columns: tuple[str, ...]) -> bool:
    return all(table.columns.get(column) and table.columns[column].not_null for column in columns)
