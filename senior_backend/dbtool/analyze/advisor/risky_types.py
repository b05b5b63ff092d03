"""Column types and nullability that cause trouble later: serial, timestamp without time zone,
varchar(n) limits and foreign-key columns that allow NULL.

A serial column whose sequence also feeds other tables (tables that inherit it copy its default) is one
finding on the first of them, advising to keep the shared sequence: per-table identities would repeat ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.quoting import ident, qualified, qualify, quote_ident
from senior_backend.dbtool.analyze.advisor.sequences import fed_columns
from senior_backend.dbtool.analyze.findings import Finding

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Column, Table
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "risky column types"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    findings = []
    shared = _shared_sequences(ctx)
    for table in ctx.snapshot.tables.values():
        if table.is_partition:
            continue
        for column in table.columns.values():
            key = f"{qualify(table.schema, table.name)}.{quote_ident(column.name)}"
            if key in shared:
                if shared[key] is not None:
                    findings.append(shared[key])
                continue
            finding = _column_finding(table, column)
            if finding:
                findings.append(finding)
    for con in ctx.snapshot.constraints.values():
        table = ctx.snapshot.tables.get(con.table_key)
        if con.kind != "f" or con.inherited_from_partition or table is None:
            continue
        nullable = [c for c in con.columns if c in table.columns and not table.columns[c].not_null]
        if nullable:
            findings.append(
                Finding(
                    rule="nullable-foreign-key",
                    level=Level.INFO,
                    message=f"foreign key {con.name} on {table.key} allows NULL in {', '.join(nullable)}: "
                    f"rows can silently lose their parent; add NOT NULL unless the link is optional",
                    objects=(table.key, con.name),
                    evidence={"columns": nullable},
                    advice="; ".join(
                        f"ALTER TABLE {qualified(table.schema, table.name)} ALTER COLUMN {ident(c)} SET NOT NULL"
                        for c in nullable
                    ),
                )
            )
    return findings


def _shared_sequences(ctx: Context) -> dict[str, Finding | None]:
    """Serial columns of several tables fed by one sequence (a parent and the tables inheriting its column):
    one finding for the first table (the sequence's owner when it is one of them), None for the others."""
    found: dict[str, Finding | None] = {}
    for sequence_key, fed in fed_columns(ctx.snapshot).items():
        serial = [key for key, _ in fed if _is_serial(ctx, key)]
        if len({key.rpartition(".")[0] for key in serial}) < 2:
            continue
        sequence = ctx.snapshot.sequences[sequence_key]
        home = sequence.owned_by if sequence.owned_by in serial else sorted(serial)[0]
        others = [key for key in serial if key != home]
        found.update(dict.fromkeys(others))
        found[home] = Finding(
            rule="serial-column",
            level=Level.INFO,
            message=f"{home} is a serial column whose sequence {sequence_key} also feeds {', '.join(others)} "
            f"(tables that inherit the column share its default): one counter keeps their ids apart",
            objects=(home.rpartition(".")[0], home, *others),
            evidence={"type": dict(fed)[home], "sequence": sequence_key, "shared_with": others},
            advice=f"keep the serial default: {sequence_key} hands out ids for all of these tables, while an "
            f"identity column per table would give each its own counter, and new ids would repeat ids the other "
            f"tables already hold (no per-table identity migration)",
        )
    return found


def _is_serial(ctx: Context, column_key: str) -> bool:
    table_key, _, name = column_key.rpartition(".")
    table = ctx.snapshot.tables.get(table_key)
    column = (
        table.columns.get(name[1:-1].replace('""', '"') if name.startswith('"') else name) if table else None
    )
    return (
        table is not None
        and not table.is_partition
        and column is not None
        and column.identity == ""
        and (column.default_expr or "").startswith("nextval(")
    )


def _column_finding(table: Table, column: Column) -> Finding | None:
    where = f"{table.key}.{column.name}"
    target = f"ALTER TABLE {qualified(table.schema, table.name)} ALTER COLUMN {ident(column.name)}"
    default = column.default_expr or ""
    if (
        default.startswith("nextval(")
        and column.identity == ""
        and column.type in ("integer", "bigint", "smallint")
    ):
        return _info(
            "serial-column",
            table.key,
            where,
            f"{where} is a serial column ({column.type} with a sequence default): "
            f"identity columns are the standard form and {'integer' if column.type != 'bigint' else 'bigint'} "
            f"keys {'can run out at 2^31' if column.type != 'bigint' else 'are fine'}",
            f"{target} DROP DEFAULT, ALTER COLUMN {ident(column.name)} ADD GENERATED BY DEFAULT AS IDENTITY "
            f"(then setval the identity past the old sequence's last value)",
            column.type,
        )
    if column.type.startswith("timestamp without time zone"):
        return _info(
            "timestamp-without-time-zone",
            table.key,
            where,
            f"{where} is timestamp without time zone: values depend on the writer's clock setting",
            f"{target} TYPE timestamptz USING {ident(column.name)} AT TIME ZONE 'UTC' (rewrites the table)",
            column.type,
        )
    if column.type.startswith("character varying("):
        return _info(
            "varchar-limit",
            table.key,
            where,
            f"{where} is {column.type}: the limit is enforced by a type change later; "
            f"text with a CHECK (length(...) <= n) constraint is easier to change",
            f"{target} TYPE text, then add CHECK (char_length({ident(column.name)}) <= n)",
            column.type,
        )
    return None


def _info(rule: str, table_key: str, where: str, message: str, advice: str, column_type: str) -> Finding:
    return Finding(
        rule=rule,
        level=Level.INFO,
        message=message,
        objects=(table_key, where),
        evidence={"type": column_type},
        advice=advice,
    )
