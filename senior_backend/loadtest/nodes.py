"""The per-node share of a run on a cluster (`--cluster`): raw facts per node, and the rows reports show.

A run spread over several machines is merged into one `Results`; this keeps,
for each node, what its workers did (requests, errors, measured seconds and
their merged latency histogram) and whether any of them was lost mid-run, so
a slow or failing node stays visible. Saved with the results as
`"nodes": [...]` (see `senior_backend/schemas/loadtest-result.v1.json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from senior_backend.loadtest.histogram import Histogram


@dataclass
class NodeShare:
    """What the workers placed on one node did; `lost` names why any of them did not finish."""

    node_id: str
    address: str
    workers: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    latency: Histogram = field(default_factory=Histogram)
    lost: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "address": self.address,
            "workers": self.workers,
            "requests": self.requests,
            "errors": dict(self.errors),
            "elapsed": round(self.elapsed, 6),
            "latency": self.latency.to_json(),
            "lost": list(self.lost),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeShare:
        return cls(
            str(data["node_id"]),
            str(data.get("address", "")),
            int(data.get("workers", 0)),
            int(data.get("requests", 0)),
            {str(k): int(v) for k, v in data.get("errors", {}).items()},
            float(data.get("elapsed", 0.0)),
            Histogram.from_json(data.get("latency", {})),
            [str(reason) for reason in data.get("lost", [])],
        )


def node_rows(nodes: list[NodeShare]) -> list[dict[str, Any]]:
    """One row per node for the reports: requests, req/s over its measured time, p50/p99 in ms."""
    return [
        {
            "node_id": node.node_id,
            "address": node.address,
            "workers": node.workers,
            "requests": node.requests,
            "rps": round(node.requests / node.elapsed, 2) if node.elapsed > 0 else 0.0,
            "errors": sum(node.errors.values()),
            "p50_ms": round(node.latency.percentile(50) / 1000, 3),
            "p99_ms": round(node.latency.percentile(99) / 1000, 3),
            "lost": list(node.lost),
        }
        for node in nodes
    ]


def node_table(nodes: list[NodeShare]) -> tuple[list[str], list[list[Any]]]:
    """The terminal report's per-node table: headers and rows (node ids shortened to 12 characters)."""
    headers = ["node", "address", "workers", "requests", "req/s", "p50 ms", "p99 ms", "errors", "lost"]
    rows = [
        [
            row["node_id"][:12],
            row["address"],
            row["workers"],
            f"{row['requests']:,}",
            f"{row['rps']:,.1f}",
            f"{row['p50_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
            f"{row['errors']:,}",
            "; ".join(row["lost"]),
        ]
        for row in node_rows(nodes)
    ]
    return headers, rows
