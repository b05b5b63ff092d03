"""Index suggestions proven with hypopg: EXPLAIN before and after a hypothetical index.

For each statement shape, candidate btree indexes come from its columns
(equality and join columns first, then ranges, ORDER BY and GROUP BY):
every single column, then ordered pairs that start with an equality or
join column. Each candidate is created as a hypothetical index, the
statement is explained with a generic plan, and the candidate counts only
if the planner uses it. The best one stays hypothetical while the next best
on another table is sought (a join wants one index per side), and the set is
kept when it cuts the plan's cost by at least the threshold. A candidate
that an index already leads, on the table or (partitioned) on every
partition, is never proposed; a table that others inherit from gets its hypothetical index on each of them
too, as the fix does. Statements with `$n`
parameters are explained with `EXPLAIN (GENERIC_PLAN)` on PostgreSQL 16+
and with PREPARE + `plan_cache_mode = force_generic_plan` + `EXPLAIN
EXECUTE` with NULL arguments on 15 and older. Without hypopg the same
candidates are ranked by a heuristic and marked unverified.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.analyze.advisor import Context
from senior_backend.dbtool.analyze.inheritance import unserved_inheriting_tables

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.query_shapes import QueryShape
    from senior_backend.dbtool.analyze.workload import Workload

_ROLE_ORDER = ("eq", "join", "range", "order", "group")
_LEADING_ROLES = ("eq", "join")
_PAIR_GAIN = 0.9
_MAX_COLUMNS = 6
_MAX_PER_STATEMENT = 3


@dataclass
class Suggestion:
    """One index worth creating, with the statements it helps and the costs that prove it."""

    table: str
    columns: tuple[str, ...]
    verified: bool
    cost_before: float | None = None
    cost_after: float | None = None
    queries: list[str] = field(default_factory=list)
    calls: int = 0

    @property
    def reduction(self) -> float | None:
        if self.cost_before is None or self.cost_after is None or self.cost_before <= 0:
            return None
        return 1.0 - self.cost_after / self.cost_before


class Explainer:
    """Generic-plan EXPLAIN of a statement shape on one connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.generic_plan_option = conn.info.server_version >= 160000
        self._sending: str | None = None

    def plan(self, shape: QueryShape) -> dict[str, Any]:
        with self.conn.cursor() as cur:
            if shape.param_count == 0:
                self._send(cur, "EXPLAIN (FORMAT JSON) ", shape)
            elif self.generic_plan_option:
                self._send(cur, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) ", shape)
            else:
                self._send(cur, "PREPARE senior_backend_probe AS ", shape)
                try:
                    # a savepoint: an error while planning (1/0 folded) leaves the clean-up below runnable,
                    # and a prepared statement outlives a rollback, so it must be deallocated here
                    with self.conn.transaction():
                        cur.execute("SET plan_cache_mode = force_generic_plan")
                        nulls = ", ".join(["NULL"] * shape.param_count)
                        cur.execute(f"EXPLAIN (FORMAT JSON) EXECUTE senior_backend_probe({nulls})")
                        document = cur.fetchone()[0]
                finally:
                    self.conn.execute("RESET plan_cache_mode")
                    self.conn.execute("DEALLOCATE senior_backend_probe")
                return _root_plan(document)
            document = cur.fetchone()[0]
        return _root_plan(document)

    def error_offset(self, shape: QueryShape, exc: psycopg.Error) -> int | None:
        """Where in `shape.text` PostgreSQL placed the error `plan` raised (0-based, in characters), or None
        when it gave no position or the failing command was not the one carrying the statement."""
        position = exc.diag.statement_position
        if self._sending is None or not position:
            return None
        offset = int(position) - 1 - len(self._sending)
        return offset if 0 <= offset <= len(shape.text) else None

    def _send(self, cur: psycopg.Cursor, prefix: str, shape: QueryShape) -> None:
        """Run `prefix` + the statement, remembering the prefix while it runs (error positions count it)."""
        self._sending = prefix
        cur.execute(f"{prefix}{shape.text}")
        self._sending = None


def _root_plan(document: Any) -> dict[str, Any]:
    """The top plan node of an `EXPLAIN (FORMAT JSON)` result."""
    document = json.loads(document) if isinstance(document, str) else document
    return document[0]["Plan"]


def plan_cost(plan: dict[str, Any]) -> float:
    return float(plan["Total Cost"])


def plan_indexes(plan: dict[str, Any]) -> set[str]:
    """Names of every index the plan scans."""
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", ()):
        found |= plan_indexes(child)
    return found


def candidates(ctx: Context, shape: QueryShape) -> list[tuple[str, tuple[str, ...]]]:
    """Single columns, then ordered pairs led by an equality/join column; existing indexes left out."""
    result: list[tuple[str, tuple[str, ...]]] = []
    for table in sorted(shape.tables):
        if ctx.is_tiny(table):
            continue
        columns = [c for role in _ROLE_ORDER for c in shape.columns(table, (role,))]
        columns = list(dict.fromkeys(columns))[:_MAX_COLUMNS]
        leading = set(shape.columns(table, _LEADING_ROLES))
        singles = [(c,) for c in columns]
        pairs = [(a, b) for a, b in itertools.permutations(columns, 2) if a in leading]
        for cols in singles + pairs:
            if not ctx.served(table, cols, ordered=True):
                result.append((table, cols))
    return result


def prove(
    ctx: Context, conn: psycopg.Connection, workloads: list[Workload], min_reduction: float
) -> tuple[list[Suggestion], list[Diagnostic]]:
    """Hypothetical-index proof for each statement; returns merged suggestions and per-statement problems."""
    explainer = Explainer(conn)
    suggestions: dict[tuple[str, tuple[str, ...]], Suggestion] = {}
    problems: list[Diagnostic] = []
    for work in workloads:
        options = candidates(ctx, work.shape)
        if not options:
            continue
        try:
            chosen, before, after = _best_set(ctx, conn, explainer, work.shape, options)
        except psycopg.Error as exc:
            problems.append(
                warning(
                    "explain-failed",
                    f"could not explain {_short(work.shape.text)}: {str(exc).strip().splitlines()[0]}",
                )
            )
            conn.execute("SELECT hypopg_reset()")
            continue
        if not chosen or before <= 0 or 1.0 - after / before < min_reduction:
            continue
        for table, columns in chosen:
            _merge(
                suggestions, Suggestion(table, columns, True, before, after, [work.shape.text], work.calls)
            )
    return _drop_prefixes(list(suggestions.values())), problems


Candidate = tuple[str, tuple[str, ...]]


def _best_set(
    ctx: Context, conn: psycopg.Connection, explainer: Explainer, shape: QueryShape, options: list[Candidate]
) -> tuple[list[Candidate], float, float]:
    """Greedy: the best index, then (kept hypothetical) the best one on another table while each cuts the
    cost further by at least 10% (a join usually wants one index per side)."""
    conn.execute("SELECT hypopg_reset()")
    before = current = plan_cost(explainer.plan(shape))
    chosen: list[Candidate] = []
    while len(chosen) < _MAX_PER_STATEMENT:
        done = {table for table, _ in chosen}
        pick = _best_addition(ctx, conn, explainer, shape, chosen, [o for o in options if o[0] not in done])
        if pick is None or pick[1] > current * _PAIR_GAIN:
            break
        chosen.append(pick[0])
        current = pick[1]
    conn.execute("SELECT hypopg_reset()")
    return chosen, before, current


def _best_addition(
    ctx: Context,
    conn: psycopg.Connection,
    explainer: Explainer,
    shape: QueryShape,
    chosen: list[Candidate],
    options: list[Candidate],
) -> tuple[Candidate, float] | None:
    """The candidate that, added to `chosen`, gives the cheapest plan that uses it (a pair only when it
    beats the best single column by 10%)."""
    best: dict[int, tuple[Candidate, float]] = {}
    for candidate in options:
        name = _hypothetical(ctx, conn, [*chosen, candidate])
        plan = explainer.plan(shape)
        if name not in plan_indexes(plan):
            continue
        cost = plan_cost(plan)
        size = len(candidate[1])
        if size not in best or cost < best[size][1]:
            best[size] = (candidate, cost)
    single, pair = best.get(1), best.get(2)
    if pair and (single is None or pair[1] < single[1] * _PAIR_GAIN):
        return pair
    return single


def _hypothetical(ctx: Context, conn: psycopg.Connection, wanted: list[Candidate]) -> str:
    """Replace the session's hypothetical indexes by `wanted`; returns the name of the last one."""
    conn.execute("SELECT hypopg_reset()")
    name = ""
    for table_key, columns in wanted:
        table = ctx.snapshot.tables[table_key]
        column_list = ", ".join(ident(c) for c in columns)
        for child in unserved_inheriting_tables(ctx, table, columns):  # the fix indexes them too
            statement = f"CREATE INDEX ON {qualified(child.schema, child.name)} ({column_list})"
            conn.execute("SELECT indexname FROM hypopg_create_index(%s)", (statement,))
        statement = f"CREATE INDEX ON {qualified(table.schema, table.name)} ({column_list})"
        name = conn.execute("SELECT indexname FROM hypopg_create_index(%s)", (statement,)).fetchone()[0]
    return name


def heuristic(ctx: Context, workloads: list[Workload]) -> list[Suggestion]:
    """Without hypopg: the leading equality column plus the first range/order column, unverified."""
    suggestions: dict[tuple[str, tuple[str, ...]], Suggestion] = {}
    for work in workloads:
        for table in sorted(work.shape.tables):
            if ctx.is_tiny(table):
                continue
            eq = work.shape.columns(table, ("eq",))
            rest = [c for c in work.shape.columns(table, ("range", "order")) if c not in eq[:1]]
            columns = tuple(eq[:1] + rest[:1]) if eq else tuple(rest[:1])
            if columns and not ctx.served(table, columns, ordered=True):
                _merge(
                    suggestions,
                    Suggestion(table, columns, False, queries=[work.shape.text], calls=work.calls),
                )
    return _drop_prefixes(list(suggestions.values()))


def _merge(found: dict[tuple[str, tuple[str, ...]], Suggestion], new: Suggestion) -> None:
    key = (new.table, new.columns)
    old = found.get(key)
    if old is None:
        found[key] = new
        return
    old.queries.extend(q for q in new.queries if q not in old.queries)
    old.calls += new.calls
    if (new.reduction or 0) > (old.reduction or 0):
        old.cost_before, old.cost_after = new.cost_before, new.cost_after


def _drop_prefixes(suggestions: list[Suggestion]) -> list[Suggestion]:
    """A suggestion that is a left prefix of another on the same table is served by the longer one."""
    kept = []
    for suggestion in suggestions:
        longer = [
            other
            for other in suggestions
            if other.table == suggestion.table
            and len(other.columns) > len(suggestion.columns)
            and other.columns[: len(suggestion.columns)] == suggestion.columns
        ]
        if longer:
            longer[0].queries.extend(q for q in suggestion.queries if q not in longer[0].queries)
            continue
        kept.append(suggestion)
    return sorted(kept, key=lambda s: (s.table, s.columns))


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."
