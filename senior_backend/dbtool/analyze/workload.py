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
    where: str = ""

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
    """The statements of a SQL file (one or more, `;`-separated), and those skipped with the reason;
    a syntax error is bad input."""
    import pglast

    from senior_backend.dbtool.analyze.query_shapes import parse_shape, table_names

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput("unreadable-queries", f"cannot read {path}: {exc.strerror}") from exc
    try:
        slices = pglast.split(text, only_slices=True)
    except pglast.parser.ParseError as exc:
        raise BadInput("bad-queries", f"{path}: {exc}") from exc
    groups: dict[str, Workload] = {}
    skipped: list[Skipped] = []
    names = table_names(snapshot)
    for part in slices:
        statement = text[part]
        where = f"{path}:{text.count(chr(10), 0, part.start) + 1}"
        shape = parse_shape(statement, snapshot, names)
        if shape is None:
            skipped.append(Skipped(where, statement, "not a SELECT, UPDATE or DELETE"))
        elif not shape.tables:
            skipped.append(Skipped(where, statement, "it names no table of this database"))
        elif shape.fingerprint not in groups:
            groups[shape.fingerprint] = Workload(shape, 0, 0, 0.0, 1, where)
    return list(groups.values()), skipped
