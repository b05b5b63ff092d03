"""Exact duplicate indexes and indexes covered by a longer one (a left prefix of it).

Two indexes are compared only when method, key expressions, predicate,
operator classes, collations and sort options match. An index backing a
primary key, unique or exclusion constraint is never the one proposed for
dropping, nor is a unique index covered by a non-unique one (it enforces
something), nor a partition's index attached to its parent's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.model import Index
from senior_backend.dbtool.findings import Finding
from senior_backend.dbtool.index_ddl import drop_index_fix

if TYPE_CHECKING:
    from senior_backend.dbtool.advisor import Context

TITLE = "duplicate and covered indexes"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    findings = []
    by_table: dict[str, list[Index]] = {}
    for index in ctx.snapshot.indexes.values():
        details = ctx.stats.indexes.get(index.key)
        if index.is_valid and not (details and details.is_attached_child):
            by_table.setdefault(index.table_key, []).append(index)
    for indexes in by_table.values():
        if len(indexes) < 2:
            continue
        reported: set[str] = set()
        for index in sorted(indexes, key=_keep_order):
            if index.key in reported or index.constraint_name:
                continue
            others = [o for o in indexes if o.key != index.key and o.key not in reported]
            relations = [(kind, o) for o in others if (kind := _relation(ctx, index, o))]
            if relations:
                kind, other = min(relations, key=lambda pair: pair[0] != "duplicate")
                reported.add(index.key)
                findings.append(_finding(ctx, index, other, kind))
    return findings


def _keep_order(index: Index) -> tuple:
    """Drop candidates first: no constraint, not unique, then by name for a stable choice."""
    return (index.constraint_name is not None, index.is_unique, index.name)


def _signature(ctx: Context, index: Index) -> tuple:
    details = ctx.stats.indexes.get(index.key)
    extra = (details.opclasses, details.options, details.collations) if details else ()
    return (index.method, index.expressions or "", index.predicate or "", extra)


def _relation(ctx: Context, index: Index, other: Index) -> str | None:
    """'duplicate' or 'covered' when `index` is redundant given `other`, else None."""
    if index.method != other.method or (index.predicate or "") != (other.predicate or ""):
        return None
    if (index.expressions or "") != (other.expressions or ""):
        return None
    mine, theirs = _signature(ctx, index), _signature(ctx, other)
    include_mine = _includes(ctx, index)
    if index.key_columns == other.key_columns and mine == theirs:
        if include_mine == _includes(ctx, other) and (other.is_unique or not index.is_unique):
            return "duplicate"
        return None
    if index.is_unique or index.method != "btree" or index.expressions or include_mine:
        return None
    n = len(index.key_columns)
    is_prefix = n < len(other.key_columns) and other.key_columns[:n] == index.key_columns
    return "covered" if is_prefix and _prefix_matches(mine, theirs, n) else None


def _includes(ctx: Context, index: Index) -> tuple[str, ...]:
    details = ctx.stats.indexes.get(index.key)
    return details.include_columns if details else ()


def _prefix_matches(mine: tuple, theirs: tuple, n: int) -> bool:
    """Operator classes, sort options and collations agree on the first n key columns."""
    if not mine[3] or not theirs[3]:
        return True
    return all(
        mine_part.split(" ")[:n] == theirs_part.split(" ")[:n]
        for mine_part, theirs_part in zip(mine[3], theirs[3], strict=True)
    )


def _finding(ctx: Context, index: Index, other: Index, kind: str) -> Finding:
    scans = ctx.stats.indexes.get(index.key)
    what = "a duplicate of" if kind == "duplicate" else "covered by"
    return Finding(
        rule=f"{kind}-index",
        level=Level.WARNING,
        message=f"index {index.key} is {what} {other.key}: it costs writes and space for no extra reads",
        objects=(index.table_key, index.key, other.key),
        evidence={
            "definition": index.definition,
            "kept": other.definition,
            "size_bytes": index.size_bytes,
            "scans": scans.scans if scans else None,
        },
        fix=drop_index_fix(index, f"drop_{index.name}"),
    )
