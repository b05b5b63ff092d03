"""Exact duplicate indexes and indexes covered by a longer one (a left prefix of it).

Two indexes are compared only when method, key expressions, predicate,
operator classes, collations and sort options match. An index backing a
primary key, unique or exclusion constraint is never the one proposed for
dropping, nor is a unique index covered by a non-unique one (it enforces
something), nor a partition's index attached to its parent's. An attached
index still counts as the partner that makes a partition's own, unattached
copy redundant (the same index created on a partition by hand and again
through its parent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.model import Index
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.index_ddl import drop_index_fix

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "duplicate and covered indexes"
NEEDS_STATISTICS = False


@dataclass(frozen=True)
class _Entry:
    """An index with what the comparison needs, computed once."""

    key: str
    index: Index
    keys: tuple[str | None, ...]
    signature: tuple
    includes: tuple[str, ...]
    attached: bool


def check(ctx: Context) -> list[Finding]:
    if "duplicate_indexes" not in ctx.memo:
        ctx.memo["duplicate_indexes"] = _check(ctx)
    return list(ctx.memo["duplicate_indexes"])


def kept_partners(ctx: Context) -> set[str]:
    """Indexes that make another one redundant: the ones this rule says to keep."""
    return {finding.objects[2] for finding in check(ctx)}


def _check(ctx: Context) -> list[Finding]:
    findings = []
    by_table: dict[str, list[_Entry]] = {}
    for key, index in ctx.snapshot.indexes.items():
        details = ctx.stats.indexes.get(key)
        if not index.is_valid:
            continue
        extra = (details.opclasses, details.options, details.collations) if details else ()
        entry = _Entry(
            key,
            index,
            index.key_columns,
            (index.method, index.expressions or "", index.predicate or "", extra),
            details.include_columns if details else (),
            bool(details and details.is_attached_child) or index.parent_index is not None,
        )
        by_table.setdefault(ctx.table_key_of(index), []).append(entry)
    for entries in by_table.values():
        if len(entries) < 2:
            continue
        reported: set[str] = set()
        for entry in sorted(entries, key=_keep_order):
            if entry.key in reported or entry.index.constraint_name or entry.attached:
                continue
            others = [o for o in entries if o.key != entry.key and o.key not in reported]
            relations = [(kind, o) for o in others if (kind := _relation(entry, o))]
            if relations:
                kind, other = min(relations, key=lambda pair: pair[0] != "duplicate")
                reported.add(entry.key)
                findings.append(_finding(ctx, entry, other, kind))
    return findings


def _keep_order(entry: _Entry) -> tuple:
    """Drop candidates first: no constraint, not unique, then by name for a stable choice."""
    return (entry.attached, entry.index.constraint_name is not None, entry.index.is_unique, entry.index.name)


def _relation(mine: _Entry, other: _Entry) -> str | None:
    """'duplicate' or 'covered' when `mine` is redundant given `other`, else None."""
    if mine.signature[:3] != other.signature[:3]:
        return None
    index = mine.index
    if mine.keys == other.keys and mine.signature == other.signature:
        if mine.includes == other.includes and (other.index.is_unique or not index.is_unique):
            return "duplicate"
        if not index.is_unique and set(mine.includes) < set(other.includes):
            return "covered"  # the same keys with more columns carried: every lookup of `mine` is served
        return None
    if index.is_unique or index.method != "btree" or index.expressions or mine.includes:
        return None
    n = len(mine.keys)
    is_prefix = n < len(other.keys) and other.keys[:n] == mine.keys
    return "covered" if is_prefix and _prefix_matches(mine.signature, other.signature, n) else None


def _prefix_matches(mine: tuple, theirs: tuple, n: int) -> bool:
    """Operator classes, sort options and collations agree on the first n key columns."""
    if not mine[3] or not theirs[3]:
        return True
    return all(
        mine_part.split(" ")[:n] == theirs_part.split(" ")[:n]
        for mine_part, theirs_part in zip(mine[3], theirs[3], strict=True)
    )


def _finding(ctx: Context, entry: _Entry, other: _Entry, kind: str) -> Finding:
    index = entry.index
    details = ctx.stats.indexes.get(entry.key)
    what = "a duplicate of" if kind == "duplicate" else "covered by"
    table_key = ctx.table_key_of(index)
    return Finding(
        rule=f"{kind}-index",
        level=Level.WARNING,
        message=f"index {entry.key} is {what} {other.key}: it costs writes and space for no extra reads",
        objects=(table_key, entry.key, other.key),
        evidence={
            "definition": index.definition,
            "kept": other.index.definition,
            "size_bytes": index.size_bytes,
            "scans": details.scans if details else None,
        },
        fix=drop_index_fix(index, f"drop_{index.name}"),
    )
