"""Sequences close to the maximum they can reach (inserts fail when they run out).

A sequence can run out of its own range or of the column it feeds: a bigint
sequence behind an `integer` key fails at 2^31 - 1 on insert, long before the
sequence does. Each sequence is measured against the smallest of its own
maximum and the types of the columns it feeds (the column that owns it, an
identity column, or any column whose default calls `nextval` on it). When it
feeds one narrow column the fix is `widen_column`'s: the two-step change to
bigint as a migration, or the plain rewrite with the reason and the lock it
would take on this table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.model import Sequence, Snapshot
from senior_backend.common.pg.quoting import qualified, qualify, quote_ident, unquote
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.analyze.widen_column import Widening, widen

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "sequences near their maximum"
NEEDS_STATISTICS = True
WARN_SHARE = 0.75
ERROR_SHARE = 0.9
TYPE_MAX = {"smallint": 32_767, "integer": 2_147_483_647, "bigint": 9_223_372_036_854_775_807}
_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'::regclass\)")


def fed_columns(snapshot: Snapshot) -> dict[str, list[tuple[str, str]]]:
    """For each sequence key, the (column key, column type) pairs it feeds."""
    by_text: dict[str, str] = {}
    for sequence in snapshot.sequences.values():
        by_text[sequence.key] = sequence.key
        by_text.setdefault(quote_ident(sequence.name), sequence.key)  # spelled unqualified on the search path
    fed: dict[str, list[tuple[str, str]]] = {}
    for table in snapshot.tables.values():
        for column in table.columns.values():
            key = f"{qualify(table.schema, table.name)}.{quote_ident(column.name)}"
            match = _NEXTVAL.search(column.default_expr or "")
            if match and match.group(1).replace("''", "'") in by_text:
                fed.setdefault(by_text[match.group(1).replace("''", "'")], []).append((key, column.type))
    for sequence in snapshot.sequences.values():
        owner = sequence.owned_by
        if owner and all(owner != key for key, _ in fed.get(sequence.key, [])):
            table_key, _, column_name = owner.rpartition(".")
            table = snapshot.tables.get(table_key)
            column = table.columns.get(column_name.strip('"')) if table else None
            if column is not None:
                fed.setdefault(sequence.key, []).append((owner, column.type))
    return fed


def _limit(sequence: Sequence, columns: list[tuple[str, str]]) -> tuple[int, str]:
    """The highest value inserts can take, and what sets it (the sequence or a column)."""
    limit, by = sequence.max_value, f"the sequence's maximum ({sequence.data_type})"
    for key, type_name in columns:
        column_max = TYPE_MAX.get(type_name)
        if column_max is not None and column_max < limit:
            limit, by = column_max, f"column {key} ({type_name})"
    return limit, by


def check(ctx: Context) -> list[Finding]:
    findings = []
    fed = fed_columns(ctx.snapshot)
    for sequence in ctx.snapshot.sequences.values():
        if sequence.last_value is None or sequence.cycle or sequence.increment <= 0:
            continue
        columns = fed.get(sequence.key, [])
        limit, limited_by = _limit(sequence, columns)
        share = (sequence.last_value - sequence.min_value) / max(limit - sequence.min_value, 1)
        if share < WARN_SHARE:
            continue
        narrow = [key for key, type_name in columns if type_name in ("smallint", "integer")]
        if limited_by.startswith("column"):
            advice = (
                f"widen {', '.join(narrow)} to bigint before the sequence passes {limit:,}: on a large table "
                "add a bigint column, keep it in sync with a trigger, backfill in batches, then swap it in "
                "(a plain ALTER COLUMN ... TYPE bigint rewrites the table under an ACCESS EXCLUSIVE lock)"
            )
        elif sequence.data_type != "bigint":
            advice = (
                f"ALTER SEQUENCE {qualified(sequence.schema, sequence.name)} AS bigint; and change the columns it "
                f"feeds ({', '.join(key for key, _ in columns) or 'if any'}) to bigint"
            )
        else:
            advice = "plan a new key scheme; the sequence is already bigint"
        widening = _widening(ctx, sequence, narrow)
        if widening is not None:
            advice = f"widen {narrow[0]} to bigint before the sequence passes {limit:,}: {widening.advice}"
        findings.append(
            Finding(
                rule="sequence-near-max",
                level=Level.ERROR if share >= ERROR_SHARE else Level.WARNING,
                message=f"sequence {sequence.key} has used {share:.0%} of the values {limited_by} can hold",
                objects=(sequence.key,),
                evidence={
                    "last_value": sequence.last_value,
                    "max_value": sequence.max_value,
                    "limit": limit,
                    "limited_by": limited_by,
                    "owned_by": sequence.owned_by,
                    "feeds": [key for key, _ in columns],
                },
                advice=advice,
                fix=widening.fix if widening else None,
            )
        )
    return findings


def _widening(ctx: Context, sequence: Sequence, narrow: list[str]) -> Widening | None:
    """The bigint fix when the sequence feeds exactly one narrow column."""
    if len(narrow) != 1:
        return None
    table_key, _, column = narrow[0].rpartition(".")
    return widen(ctx.snapshot, table_key, unquote(column), sequence)
