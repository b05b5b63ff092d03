"""N+1 as evidence: which parent statement's rows drive which child statement's calls.

A child statement (grouped by shape) is one query of a loop when three things hold:

1. it filters a table by equality (`=`, `IN (...)`, `= ANY(...)`, in a join or an `EXISTS` / `count(*)`
   probe too) on a column linked to a column of another table: a foreign key declared on the table, on
   its partitions or on its partitioned parent (either direction: a child's rows by the parent's key, or
   the row a parent row points to); without a foreign key, a join of the two columns somewhere in the
   workload or the naming convention (`<table>_id` to `id`, or the same name as the leading column of the
   other table's primary key), which is lower confidence;
2. its calls are explained by rows: over the same window of pg_stat_statements, a parent statement that
   returns the linked column (or all of them together) returned rows such that the child's calls are
   between EXPLAINED[0] and EXPLAINED[1] times that many: a loop runs the child at most once per row
   (some slack for a reset that fell inside a page), and at least for half of them (a loop that skips
   rows, or an ORM that caches the rows it has already loaded);
3. it runs at least MIN_CALLS_PER_PARENT_CALL times per call of that parent.

A lookup that the workload runs on its own (a dimension table read per request) fails 2, and a batched
`= ANY($1)` fetch, run once per parent call, fails 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Snapshot
    from senior_backend.dbtool.analyze.workload import Workload

EXPLAINED = (0.5, 1.25)
MIN_CALLS_PER_PARENT_CALL = 5.0
MIN_CHILD_CALLS = 50

FOREIGN_KEY = "foreign key"
JOIN = "join in the workload"
NAME = "column name"


@dataclass(frozen=True)
class Link:
    """The child's filter column is linked to `parent_table.parent_column` (tables as their partition root)."""

    parent_table: str
    parent_column: str
    how: str
    by: str

    @property
    def confidence(self) -> str:
        return "high" if self.how == FOREIGN_KEY else "lower"


@dataclass(frozen=True)
class Loop:
    """One N+1 pair with the numbers that prove it."""

    child: Workload
    table: str
    column: str
    link: Link
    parents: tuple[Workload, ...]

    @property
    def parent_calls(self) -> int:
        return sum(parent.calls for parent in self.parents)

    @property
    def parent_rows(self) -> int:
        return sum(parent.rows for parent in self.parents)

    @property
    def calls_per_parent_call(self) -> float:
        return self.child.calls / self.parent_calls

    @property
    def calls_per_parent_row(self) -> float:
        return self.child.calls / self.parent_rows


def find_loops(workloads: list[Workload], snapshot: Snapshot, root: Callable[[str], str]) -> list[Loop]:
    """Every child statement whose calls a parent's rows explain, most total time first; `root` maps a
    table key to its partitioned table (itself when not a partition)."""
    if not workloads:
        return []
    links = _links(snapshot, workloads, root)
    returning: dict[tuple[str, str], list[Workload]] = {}
    for work in workloads:
        if work.shape.kind == "select" and work.calls > 0 and work.rows > 0:
            for table, column in {(root(t), c) for t, c in work.shape.outputs}:
                returning.setdefault((table, column), []).append(work)
    loops = []
    for child in workloads:
        if child.shape.kind != "select" or child.calls < MIN_CHILD_CALLS:
            continue
        best: tuple[tuple[bool, float], Loop] | None = None
        for use in child.shape.uses:
            if use.role != "eq":
                continue
            for link in links.get((root(use.table), use.column), ()):
                candidates = [
                    work
                    for work in returning.get((link.parent_table, link.parent_column), ())
                    if work is not child
                ]
                parents = _explaining(child, candidates)
                if parents:
                    loop = Loop(child, use.table, use.column, link, parents)
                    rank = (link.how != FOREIGN_KEY, abs(math.log(loop.calls_per_parent_row)))
                    if best is None or rank < best[0]:
                        best = (rank, loop)
        if best:
            loops.append(best[1])
    return sorted(loops, key=lambda loop: -loop.child.total_ms)


def _explaining(child: Workload, candidates: list[Workload]) -> tuple[Workload, ...]:
    """The parent whose rows best explain the child's calls, else all candidates together, else none."""

    def explains(parents: tuple[Workload, ...]) -> bool:
        rows = sum(parent.rows for parent in parents)
        calls = sum(parent.calls for parent in parents)
        per_row = child.calls / rows
        return EXPLAINED[0] <= per_row <= EXPLAINED[1] and child.calls / calls >= MIN_CALLS_PER_PARENT_CALL

    singles = [(parent,) for parent in candidates if explains((parent,))]
    if singles:
        return min(singles, key=lambda one: abs(math.log(child.calls / one[0].rows)))
    together = tuple(candidates)
    return together if len(together) > 1 and explains(together) else ()


def _links(
    snapshot: Snapshot, workloads: list[Workload], root: Callable[[str], str]
) -> dict[tuple[str, str], list[Link]]:
    """(child table, column) -> what it is linked to, the strongest evidence first, each pair once."""
    found: dict[tuple[str, str], dict[tuple[str, str], Link]] = {}

    def add(child: tuple[str, str], parent: tuple[str, str], how: str, by: str) -> None:
        if child == parent or (child[0] == parent[0] and how != FOREIGN_KEY):
            return  # a table links to itself only by a declared foreign key (a tree: reply_to -> id)
        known = found.setdefault(child, {})
        if parent not in known or (known[parent].how != FOREIGN_KEY and how == FOREIGN_KEY):
            known[parent] = Link(parent[0], parent[1], how, by)

    declared: dict[tuple[tuple[str, str], tuple[str, str]], list[str]] = {}
    for con in snapshot.constraints.values():
        if con.kind == "f" and len(con.columns) == 1 and con.ref_table and not con.inherited_from_partition:
            pair = ((root(con.table_key), con.columns[0]), (root(con.ref_table), con.ref_columns[0]))
            declared.setdefault(pair, []).append(con.key)
    for (referencing, referenced), keys in declared.items():
        by = keys[0] if len(keys) == 1 else f"{keys[0]} and {len(keys) - 1} more, one per partition"
        add(referencing, referenced, FOREIGN_KEY, by)
        add(referenced, referencing, FOREIGN_KEY, by)
    for work in workloads:
        for left, right in work.shape.joins:
            a, b = (root(left.table), left.column), (root(right.table), right.column)
            add(a, b, JOIN, work.shape.text)
            add(b, a, JOIN, work.shape.text)
    for a, b in _named(snapshot, root):
        by = f"{a[0]}.{a[1]} and {b[0]}.{b[1]}"
        add(a, b, NAME, by)
        add(b, a, NAME, by)
    return {
        key: sorted(links.values(), key=lambda link: link.how != FOREIGN_KEY) for key, links in found.items()
    }


def _named(snapshot: Snapshot, root: Callable[[str], str]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Column pairs linked by name only: `<table>_id` to that table's `id` (`_id` to a singular or plural
    table name), or a column named as the leading column of another table's primary key."""
    by_name = {(table.schema, table.name): key for key, table in snapshot.tables.items()}
    leading_key: dict[str, list[str]] = {}
    for con in snapshot.constraints.values():
        if con.kind == "p" and con.columns and not con.inherited_from_partition:
            leading_key.setdefault(con.columns[0], []).append(root(con.table_key))
    pairs = []
    for key, table in snapshot.tables.items():
        if table.is_partition:
            continue
        for column in table.columns:
            stem = column[:-3] if column.endswith("_id") else ""
            for name in (stem, stem + "s", stem + "es") if stem else ():
                parent = by_name.get((table.schema, name))
                if parent and "id" in snapshot.tables[parent].columns:
                    pairs.append(((key, column), (parent, "id")))
            if column != "id":
                pairs.extend(((key, column), (owner, column)) for owner in leading_key.get(column, ()))
    return pairs
