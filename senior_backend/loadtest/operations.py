"""Per-operation facts of a `--spec` run: requests, errors, statuses and a latency histogram per operation.

Mergeable like the rest of `Results` (counts and histograms add up across
worker processes and cluster nodes), saved with it, and summarized into one
row per operation (`operation_rows`) for the reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.histogram import Histogram


def _add(into: dict[str, int], other: dict[str, int]) -> None:
    for key, value in other.items():
        into[key] = into.get(key, 0) + value


def _ms(us: float) -> float:
    return round(us / 1000, 3)


@dataclass
class OperationStats:
    """What one operation of the scenario got: responses by status, failures by kind, latencies (µs)."""

    method: str
    path: str
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latency: Histogram = field(default_factory=Histogram)
    uncaptured: int = 0  # 2xx responses of a create that carried no id its dependents could use

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def merge(self, other: OperationStats) -> None:
        _add(self.statuses, other.statuses)
        _add(self.errors, other.errors)
        self.latency.merge(other.latency)
        self.uncaptured += other.uncaptured

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "requests": self.requests,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": dict(self.errors),
            "latency": self.latency.to_json(),
            **({"uncaptured": self.uncaptured} if self.uncaptured else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OperationStats:
        return cls(
            str(data["method"]),
            str(data["path"]),
            {str(k): int(v) for k, v in data.get("statuses", {}).items()},
            {str(k): int(v) for k, v in data.get("errors", {}).items()},
            Histogram.from_json(data.get("latency", {})),
            int(data.get("uncaptured", 0)),
        )


def merge_operations(into: dict[str, OperationStats], other: dict[str, OperationStats]) -> None:
    """Add another worker's per-operation facts (operations it alone ran are copied)."""
    for name, stats in other.items():
        if name not in into:
            into[name] = OperationStats(stats.method, stats.path)
        into[name].merge(stats)


def operation_rows(operations: dict[str, OperationStats], elapsed: float) -> list[dict[str, Any]]:
    """One summary row per operation: requests, req/s, errors, non-2xx, statuses, p50/p95/p99 in ms."""
    rows = []
    for name, stats in operations.items():
        requests = stats.requests
        errors = sum(stats.errors.values())
        rows.append(
            {
                "operation": name,
                "method": stats.method,
                "path": stats.path,
                "requests": requests,
                "rps": round(requests / elapsed, 2) if elapsed > 0 else 0.0,
                "errors": errors,
                "errors_by_kind": dict(stats.errors),
                "error_rate": errors / (requests + errors) if requests + errors else 0.0,
                "non_2xx": sum(n for code, n in stats.statuses.items() if not code.startswith("2")),
                "statuses": dict(sorted(stats.statuses.items())),
                "p50_ms": _ms(stats.latency.percentile(50)),
                "p95_ms": _ms(stats.latency.percentile(95)),
                "p99_ms": _ms(stats.latency.percentile(99)),
            }
        )
    return rows


def operation_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The terminal table of `operation_rows`: headers and one row per operation."""
    headers = [
        "operation",
        "request",
        "requests",
        "req/s",
        "errors",
        "statuses",
        "p50 ms",
        "p95 ms",
        "p99 ms",
    ]
    return headers, [
        [
            row["operation"],
            f"{row['method']} {row['path']}",
            f"{row['requests']:,}",
            f"{row['rps']:,.1f}",
            row["errors"],
            " ".join(f"{code}:{n}" for code, n in row["statuses"].items()),
            f"{row['p50_ms']:.2f}",
            f"{row['p95_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
        ]
        for row in rows
    ]


def parse_weight(text: str) -> tuple[str, float]:
    """`--weight opId=5`: (operation, weight >= 0); bad input otherwise."""
    name, sep, number = text.rpartition("=")
    try:
        weight = float(number)
    except ValueError:
        weight = -1.0
    if not sep or not name or not (0 <= weight < float("inf")):
        raise BadInput(
            "bad-option", f"invalid --weight {text!r}", hint="use OPERATION=N with N >= 0, e.g. listThings=5"
        )
    return name, weight
