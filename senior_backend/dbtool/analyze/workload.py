"""The query workload: pg_stat_statements rows (or a file of statements) parsed and grouped by shape.

pg_stat_statements keeps a separate row when the same statement is bound
with different parameter types (int4 vs int8) or constants; grouping by the
parser's fingerprint makes them count once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from senior_backend.common.errors import BadInput
from senior_backend.dbtool.sqltext import Place, place_of, read_sql

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Snapshot
    from senior_backend.dbtool.analyze.query_shapes import QueryShape
    from senior_backend.dbtool.analyze.stats import Statement


@dataclass
class Workload:
    """One statement shape with its summed counters (calls 0 when read from a file)."""

    shape: QueryShape
    calls: int
    rows: int
    total_ms: float
    variants: int
    start: Place | None = None

    @property
    def rows_per_call(self) -> float:
        return self.rows / self.calls if self.calls else 0.0


def from_statements(statements: list[Statement], snapshot: Snapshot) -> list[Workload]:
    """Parse and group pg_stat_statements rows; statements on no known table are dropped."""
    from senior_backend.dbtool.analyze.query_shapes import (  # the parser loads on demand
        parse_shape,
        table_names,
    )

    groups: dict[str, Workload] = {}
    names = table_names(snapshot)
    for statement in statements:
        shape = parse_shape(statement.query, snapshot, names)
        if shape is None or not shape.tables:
            continue
        group = groups.get(shape.fingerprint)
        if group is None:
            groups[shape.fingerprint] = Workload(
                shape, statement.calls, statement.rows, statement.total_ms, 1
            )
        else:
            group.calls += statement.calls
            group.rows += statement.rows
            group.total_ms += statement.total_ms
            group.variants += 1
    return sorted(groups.values(), key=lambda w: -w.total_ms)


@dataclass(frozen=True)
class Skipped:
    """A statement of a --queries file that no index suggestion can come from, where it is and why."""

    where: str
    text: str
    reason: str


def from_file(path: Path, snapshot: Snapshot) -> tuple[list[Workload], list[Skipped]]:
    """The statements of a SQL file (one or more, `;`-separated), each with the place it starts at, and
    those skipped with the reason; a syntax error is bad input, at the file:line:column it points at."""
    import pglast

    from senior_backend.dbtool.analyze.query_shapes import parse_shape, table_names

    text = read_sql(path)
    try:
        slices = pglast.split(text, only_slices=True)
    except pglast.parser.ParseError as exc:
        message, location = (*exc.args, None)[:2]
        raise BadInput(
            "bad-queries",
            str(message).partition("\n")[0],
            where=_error_place(text, str(message), location, path),
        ) from exc
    groups: dict[str, Workload] = {}
    skipped: list[Skipped] = []
    names = table_names(snapshot)
    for part in slices:
        statement = text[part]
        start = place_of(text, part.start, str(path))
        shape = parse_shape(statement, snapshot, names)
        if shape is None:
            skipped.append(Skipped(start.line_only, statement, "not a SELECT, UPDATE or DELETE"))
        elif not shape.tables:
            skipped.append(Skipped(start.line_only, statement, "it names no table of this database"))
        elif shape.fingerprint not in groups:
            groups[shape.fingerprint] = Workload(shape, 0, 0, 0.0, 1, start)
    return list(groups.values()), skipped


def _error_place(text: str, message: str, location: object, path: Path) -> str:
    """file:line:column of a syntax error; pglast gives no index for one at the end of the input (PostgreSQL
    points just past the last character), and the file alone when PostgreSQL gave no position."""
    if isinstance(location, int):
        return str(place_of(text, location, str(path)))
    if "end of input" in message:
        return str(place_of(text, len(text.rstrip()), str(path)))
    return str(path)
