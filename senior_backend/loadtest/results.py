"""The results of a run as raw facts: counts, histograms and a per-second series; exact merge; JSON form.

Everything a report, check or recommendation says is computed from this
object, so a saved run (`--save results.json`) can be re-reported and compared
later. Schema (version 1, all times in seconds, latencies in microseconds; published as
`senior_backend/schemas/loadtest-result.v1.json`):

    {"schema": "senior-backend/loadtest-result", "version": 1,
     "plan": {...the options of the run...},
     "started_at": ISO-8601 UTC, "elapsed": measured seconds (after warmup),
     "interrupted": bool, "warmup_requests": int, "unfinished": requests in flight at the end,
     "requests": responses received, "errors": {kind: count}, "statuses": {"200": count},
     "bytes_in": int, "bytes_out": int,
     "latency": histogram (full precision, 11 bits),
     "series": [{"second": n, "requests", "errors": {kind: n}, "statuses": {...},
                 "latency": histogram (7 bits)}],
     "rate_limit": {"first_429_at": seconds or null, "headers": {name: [values seen]}},
     "nodes": [per node of a --cluster run, see nodes.py; absent otherwise],
     "operations": {name: per operation of a --spec run, see operations.py; absent otherwise},
     "stopped_early": null or {"rule": "max-error-rate" | "abort-on", "condition", "reason", "at_s"},
     "client": {"workers", "cpu_seconds", "busiest_cpu", "busiest_demand"} (the load generator's own CPU:
               the busiest worker process's share of the window running, and running or waiting for a core)}

A histogram is {"bits", "total", "sum", "min", "max", "counts": [index, count, ...]}
(see `histogram.py` for the bucket layout). The counts are the sum of the
series entries, and so is the latency histogram, at its finer precision; error kinds are refused, reset, timeout (no response in
--timeout), connect-timeout, dns, tls, protocol, connect (other connect errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.cpu import merge_usage
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.nodes import NodeShare
from senior_backend.loadtest.operations import OperationStats, merge_operations
from senior_backend.loadtest.stages import run_label

SCHEMA = "senior-backend/loadtest-result"
VERSION = 1
MAX_HEADER_VALUES = 5


def _operations_json(operations: dict[str, OperationStats]) -> dict[str, Any]:
    return {name: stats.to_json() for name, stats in operations.items()}


def _add_counts(into: dict[str, int], other: dict[str, int]) -> None:
    for key, value in other.items():
        into[key] = into.get(key, 0) + value


@dataclass
class Second:
    """What happened during one second of the measured window."""

    second: int
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    latency: Histogram = field(default_factory=lambda: Histogram(SERIES_BITS))

    def merge(self, other: Second) -> None:
        self.requests += other.requests
        _add_counts(self.errors, other.errors)
        _add_counts(self.statuses, other.statuses)
        self.latency.merge(other.latency)

    def to_json(self) -> dict[str, Any]:
        return {
            "second": self.second,
            "requests": self.requests,
            "errors": dict(self.errors),
            "statuses": dict(self.statuses),
            "latency": self.latency.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Second:
        return cls(
            int(data["second"]),
            int(data.get("requests", 0)),
            {str(k): int(v) for k, v in data.get("errors", {}).items()},
            {str(k): int(v) for k, v in data.get("statuses", {}).items()},
            Histogram.from_json(data.get("latency", {"bits": SERIES_BITS})),
        )


@dataclass
class Results:
    """Raw facts of one run (one URL, one concurrency level), from one worker or merged from many."""

    plan: dict[str, Any]
    started_at: str = ""
    elapsed: float = 0.0
    interrupted: bool = False
    warmup_requests: int = 0
    unfinished: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    series: list[Second] = field(default_factory=list)
    first_429_at: float | None = None
    rate_limit_headers: dict[str, list[str]] = field(default_factory=dict)
    latency: Histogram = field(default_factory=Histogram)
    stopped_early: dict[str, Any] | None = None  # why the run stopped before its end (abort.py)
    client: dict[str, float] = field(default_factory=dict)  # the load generator's own CPU (cpu.py)
    nodes: list[NodeShare] = field(default_factory=list)  # per node, on a cluster (`--cluster`)
    operations: dict[str, OperationStats] = field(default_factory=dict)  # per operation of a `--spec` run

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.series)

    @property
    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for s in self.series:
            _add_counts(total, s.errors)
        return total

    @property
    def statuses(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for s in self.series:
            _add_counts(total, s.statuses)
        return dict(sorted(total.items()))

    def merge(self, other: Results) -> None:
        """Add another worker's results (same plan and start) to these: counts and histograms add up."""
        self.elapsed = max(self.elapsed, other.elapsed)
        self.interrupted = self.interrupted or other.interrupted
        self.warmup_requests += other.warmup_requests
        self.unfinished += other.unfinished
        self.bytes_in += other.bytes_in
        self.bytes_out += other.bytes_out
        self.latency.merge(other.latency)
        self.stopped_early = self.stopped_early or other.stopped_early
        self.client = merge_usage(self.client, other.client)
        merge_operations(self.operations, other.operations)
        by_second = {s.second: s for s in self.series}
        for s in other.series:
            if s.second in by_second:
                by_second[s.second].merge(s)
            else:
                clone = Second(s.second)
                clone.merge(s)
                by_second[s.second] = clone
        self.series = [by_second[k] for k in sorted(by_second)]
        if other.first_429_at is not None and (
            self.first_429_at is None or other.first_429_at < self.first_429_at
        ):
            self.first_429_at = other.first_429_at
        for name, values in other.rate_limit_headers.items():
            mine = self.rate_limit_headers.setdefault(name, [])
            for value in values:
                if value not in mine and len(mine) < MAX_HEADER_VALUES:
                    mine.append(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "plan": self.plan,
            "started_at": self.started_at,
            "elapsed": round(self.elapsed, 6),
            "interrupted": self.interrupted,
            "warmup_requests": self.warmup_requests,
            "unfinished": self.unfinished,
            "requests": self.requests,
            "errors": self.errors,
            "statuses": self.statuses,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "latency": self.latency.to_json(),
            "series": [s.to_json() for s in self.series],
            "rate_limit": {"first_429_at": self.first_429_at, "headers": self.rate_limit_headers},
            "stopped_early": self.stopped_early,
            "client": self.client,
            **({"nodes": [node.to_json() for node in self.nodes]} if self.nodes else {}),
            **({"operations": _operations_json(self.operations)} if self.operations else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        if data.get("schema") != SCHEMA or data.get("version") != VERSION:
            raise ValueError(f"not a load-test result of version {VERSION} (schema {data.get('schema')!r})")
        rate_limit = data.get("rate_limit") or {}
        return cls(
            plan=dict(data.get("plan", {})),
            started_at=str(data.get("started_at", "")),
            elapsed=float(data.get("elapsed", 0.0)),
            interrupted=bool(data.get("interrupted", False)),
            warmup_requests=int(data.get("warmup_requests", 0)),
            unfinished=int(data.get("unfinished", 0)),
            bytes_in=int(data.get("bytes_in", 0)),
            bytes_out=int(data.get("bytes_out", 0)),
            series=[Second.from_json(s) for s in data.get("series", [])],
            first_429_at=rate_limit.get("first_429_at"),
            rate_limit_headers={k: list(v) for k, v in (rate_limit.get("headers") or {}).items()},
            latency=Histogram.from_json(data.get("latency", {})),
            stopped_early=data.get("stopped_early"),
            client=dict(data.get("client") or {}),
            nodes=[NodeShare.from_json(node) for node in data.get("nodes", [])],
            operations={k: OperationStats.from_json(v) for k, v in (data.get("operations") or {}).items()},
        )


def save_results(path: str | Path, kind: str, runs: list[tuple[str, Results]]) -> None:
    """Write `--save`: one run as a result document, several (a sweep, an A/B comparison) as a set."""
    if len(runs) == 1:
        document = runs[0][1].to_json()
    else:
        document = {
            "schema": SCHEMA + "-set",
            "kind": kind,
            "runs": [{"label": label, "results": results.to_json()} for label, results in runs],
        }
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def load_saved(path: str | Path) -> tuple[str, list[tuple[str, Results]]]:
    """Read a saved file: its kind ("run", "sweep" or "compare") and every (label, results) in it.

    One run is saved as a result document; a sweep or an A/B comparison as
    `{"schema": SCHEMA + "-set", "kind": "sweep" | "compare", "runs": [{"label", "results"}]}`.
    Exit 2 with one line when the file is missing or not a result.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("runs"):
            runs = [(str(run.get("label", "")), Results.from_json(run["results"])) for run in data["runs"]]
            labels = [label for label, _ in runs]
            kind = data.get("kind") or ("compare" if labels == ["A", "B"] else "sweep")
            return (kind if len(runs) > 1 else "run"), runs
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        results = Results.from_json(data)
        return "run", [(run_label(results.plan), results)]  # the label the run had when it was made
    except FileNotFoundError:
        raise BadInput("baseline-missing", f"{path}: no such file") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise BadInput("baseline-invalid", f"{path}: not a saved load-test result ({exc})") from exc


def load_results(path: str | Path) -> Results:
    """The (first) run of a saved file, e.g. as a baseline."""
    return load_saved(path)[1][0][1]
