"""Index suggestions proven with hypopg: EXPLAIN before and after a hypothetical index.

For each statement shape, candidate btree indexes come from its columns
(equality and join columns first, then ranges, ORDER BY and GROUP BY):
every single column, then ordered pairs that start with an equality or
join column. Each candidate is created as a hypothetical index, the
statement is explained with a generic plan, and the candidate counts only
if the planner uses it. The best candidate per statement is kept when it
cuts the plan's cost by at least the threshold. Statements with `$n`
parameters are explained with `EXPLAIN (GENERIC_PLAN)` on PostgreSQL 16+
and with PREPARE + `plan_cache_mode = force_generic_plan` + `EXPLAIN
EXECUTE` with NULL arguments on 15 and older. Without hypopg the same
candidates are ranked by a heuristic and marked unverified.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import psycopg

from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.advisor import Context
from senior_backend.dbtool.query_shapes import QueryShape
from senior_backend.dbtool.workload import Workload

_ROLE_ORDER = ("eq", "join", "range", "order", "group")
_LEADING_ROLES = ("eq", "join")
_PAIR_GAIN = 0.9
_MAX_COLUMNS = 6


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

    def plan(self, shape: QueryShape) -> dict[str, Any]:
        with self.conn.cursor() as cur:
            if shape.param_count == 0:
                cur.execute(f"EXPLAIN (FORMAT JSON) {shape.text}")
            elif self.generic_plan_option:
                cur.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {shape.text}")
            else:
                cur.execute(f"PREPARE senior_backend_probe AS {shape.text}")
                try:
                    cur.execute("SET plan_cache_mode = force_generic_plan")
                    nulls = ", ".join(["NULL"] * shape.param_count)
                    cur.execute(f"EXPLAIN (FORMAT JSON) EXECUTE senior_backend_probe({nulls})")
                finally:
                    self.conn.execute("RESET plan_cache_mode")
                    self.conn.execute("DEALLOCATE senior_backend_probe")
            document = cur.fetchone()[0]
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
            if ctx.leading_index(table, cols) is None:
                result.append((table, cols))
    return result


def prove(
    ctx: Context, conn: psycopg.Connection, workloads: list[Workload], min_reduction: float
) -> tuple[list[Suggestion], list[str]]:
    """Hypothetical-index proof for each statement; returns merged suggestions and per-statement problems."""
    explainer = Explainer(conn)
    suggestions: dict[tuple[str, tuple[str, ...]], Suggestion] = {}
    problems: list[str] = []
    for work in workloads:
        options = candidates(ctx, work.shape)
        if not options:
            continue
        try:
            best = _best_candidate(ctx, conn, explainer, work.shape, options)
        except psycopg.Error as exc:
            problems.append(
                f"could not explain {_short(work.shape.text)}: {str(exc).strip().splitlines()[0]}"
            )
            conn.execute("SELECT hypopg_reset()")
            continue
        if best is None:
            continue
        table, columns, before, after = best
        if before <= 0 or 1.0 - after / before < min_reduction:
            continue
        _merge(suggestions, Suggestion(table, columns, True, before, after, [work.shape.text], work.calls))
    return _drop_prefixes(list(suggestions.values())), problems


def _best_candidate(
    ctx: Context,
    conn: psycopg.Connection,
    explainer: Explainer,
    shape: QueryShape,
    options: list[tuple[str, tuple[str, ...]]],
) -> tuple[str, tuple[str, ...], float, float] | None:
    conn.execute("SELECT hypopg_reset()")
    before = plan_cost(explainer.plan(shape))
    best: dict[int, tuple[str, tuple[str, ...], float]] = {}
    for table, columns in options:
        table_obj = qualified(ctx.snapshot.tables[table].schema, ctx.snapshot.tables[table].name)
        conn.execute("SELECT hypopg_reset()")
        row = conn.execute(
            "SELECT indexname FROM hypopg_create_index(%s)",
            (f"CREATE INDEX ON {table_obj} ({', '.join(ident(c) for c in columns)})",),
        ).fetchone()
        plan = explainer.plan(shape)
        if row[0] not in plan_indexes(plan):
            continue
        cost = plan_cost(plan)
        if len(columns) not in best or cost < best[len(columns)][2]:
            best[len(columns)] = (table, columns, cost)
    conn.execute("SELECT hypopg_reset()")
    chosen, pair = best.get(1), best.get(2)
    if pair and (chosen is None or pair[2] < chosen[2] * _PAIR_GAIN):
        chosen = pair
    return None if chosen is None else (chosen[0], chosen[1], before, chosen[2])


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
            if columns and ctx.leading_index(table, columns) is None:
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
