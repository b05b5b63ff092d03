"""Recommendations drawn from the evidence of a run, each a problem (rule, level, message, hint) with the
numbers behind it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, Level
from senior_backend.loadtest.checks import rate_limit_evidence
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.stages import open_model
from senior_backend.loadtest.stats import Measured, ms, ramp_of, second_lengths

SERVER_ERROR_SHARE = 0.01
TAIL_FACTOR = 5.0
STALL_FACTOR = 10.0
SCALING_SHARE = 0.25
CLIENT_BUSY = 0.9
# a handful of requests in a moment measures the process starting up, not a saturated client
CLIENT_MIN_REQUESTS = 20
CLIENT_MIN_SECONDS = 0.5
RAMP_BIN = 1.5


@dataclass(frozen=True)
class Advice:
    """One recommendation: the problem in the shared vocabulary, and the numbers it was drawn from."""

    problem: Diagnostic
    evidence: dict[str, Any]

    def text(self) -> str:
        """The one line the reports show: the message, then what to do."""
        hint = self.problem.hint
        return f"{self.problem.message}; {hint}" if hint else self.problem.message

    def to_json(self) -> dict[str, Any]:
        return {**self.problem.to_json(), "evidence": self.evidence}


def _advice(
    level: Level, rule: str, message: str, evidence: dict[str, Any], hint: str | None = None
) -> Advice:
    return Advice(Diagnostic(level, rule, message, hint=hint), evidence)


def recommend(run: Measured) -> list[Advice]:
    """Everything worth telling about one run, most important first."""
    results, summary = run.results, run.summary
    latency = summary["latency_ms"]
    attempts = summary["requests"] + summary["errors"]
    advice: list[Advice] = []
    if summary["errors"]:
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(summary["errors_by_kind"].items()))
        advice.append(
            _advice(
                Level.WARNING,
                "connection-errors",
                f"{summary['errors']} of {attempts} requests failed without a response ({kinds})",
                {"errors_by_kind": summary["errors_by_kind"], "attempts": attempts},
            )
        )
    if summary["server_error_rate"] > SERVER_ERROR_SHARE:
        count = sum(n for code, n in summary["statuses"].items() if code.startswith("5"))
        advice.append(
            _advice(
                Level.ERROR,
                "server-errors",
                f"{100 * summary['server_error_rate']:.1f}% of requests got a 5xx ({count} of {attempts}): "
                "the server fails under this load",
                {"count": count, "share": summary["server_error_rate"]},
                hint="check its logs and resource limits",
            )
        )
    if summary["statuses"].get("429"):
        evidence = rate_limit_evidence(results)
        advice.append(
            _advice(
                Level.INFO,
                "rate-limited",
                f"rate limiting began at {evidence['began_at_s']:.2f} s while sending {evidence['rps_then']} "
                f"req/s ({evidence['responses_429']} responses 429): throughput above that is not served",
                evidence,
            )
        )
    if (
        results.plan.get("mode") == "closed"
        and latency["p99"]
        and latency["max"] >= STALL_FACTOR * latency["p99"]
    ):
        advice.append(
            _advice(
                Level.WARNING,
                "closed-model-hides-stalls",
                f"the max latency ({latency['max']:.1f} ms) is {latency['max'] / latency['p99']:.0f}x the p99 "
                f"({latency['p99']:.1f} ms): the server stalled, and the closed model hides stalls because each "
                "connection waits instead of sending",
                {"max_ms": latency["max"], "p99_ms": latency["p99"]},
                hint="rerun with --rate to see their real cost in the percentiles",
            )
        )
    elif (
        latency["p50"]
        and latency["p99"] >= TAIL_FACTOR * latency["p50"]
        and latency["p99"] - latency["p50"] > 5
    ):
        advice.append(
            _advice(
                Level.WARNING,
                "long-tail",
                f"long tail: p99 {latency['p99']:.1f} ms is {latency['p99'] / latency['p50']:.1f}x the p50 "
                f"({latency['p50']:.1f} ms)",
                {"p50_ms": latency["p50"], "p99_ms": latency["p99"]},
                hint="look for GC pauses, lock contention or slow dependencies",
            )
        )
    advice.extend(_uncaptured(run))
    saturation = _saturation(run)
    if saturation:
        advice.append(saturation)
    client = _client_saturated(run)
    if client:
        advice.append(client)
    rate = results.plan.get("rate")
    ramp = ramp_of(results.plan)
    if open_model(results.plan) and ramp is not None and summary["elapsed_s"]:  # a ramp's target is its mean offered rate
        rate = round(ramp.offered(summary["elapsed_s"]) / summary["elapsed_s"], 1)
    if (
        rate
        and summary["elapsed_s"] >= 1
        and (summary["requests"] + summary["errors"]) / summary["elapsed_s"] < 0.9 * rate
    ):
        achieved = (summary["requests"] + summary["errors"]) / summary["elapsed_s"]
        advice.append(
            _advice(
                Level.WARNING,
                "rate-not-reached",
                f"the target rate {rate:g} req/s was not reached ({achieved:.0f} req/s): the server or the "
                "connections are saturated; latencies include the queueing this caused",
                {"target": rate, "achieved": achieved},
            )
        )
    if results.unfinished:
        advice.append(
            _advice(
                Level.INFO,
                "unfinished",
                f"{results.unfinished} request{' was' if results.unfinished == 1 else 's were'} still waiting "
                "for a response when the run ended",
                {"unfinished": results.unfinished},
            )
        )
    return advice


def _saturation(run: Measured) -> Advice | None:
    """Throughput flat while latency climbs, comparing the first and last thirds of the run."""
    rows = [r for r in run.series if r["rps"] > 0][: int(run.results.elapsed)]
    if len(rows) < 6:
        return None
    third = len(rows) // 3
    first, last = rows[:third], rows[-third:]
    rps_first = sum(r["rps"] for r in first) / third
    rps_last = sum(r["rps"] for r in last) / third
    p50_first = sum(r["p50_ms"] for r in first) / third
    p50_last = sum(r["p50_ms"] for r in last) / third
    if p50_first and p50_last > 1.5 * p50_first and rps_last <= rps_first * 1.05:
        return _advice(
            Level.WARNING,
            "saturated",
            f"saturated: throughput stayed at {rps_first:.0f} -> {rps_last:.0f} req/s while the p50 climbed "
            f"{p50_first:.1f} -> {p50_last:.1f} ms over the run",
            {"rps": [rps_first, rps_last], "p50_ms": [p50_first, p50_last]},
        )
    return None


def _uncaptured(run: Measured) -> list[Advice]:
    """A --spec create whose 2xx responses carried no usable id: the operations needing one never ran."""
    found = []
    for name, stats in run.results.operations.items():
        if not stats.uncaptured:
            continue
        ok = sum(n for code, n in stats.statuses.items() if code.startswith("2"))
        found.append(
            _advice(
                Level.WARNING,
                "no-created-id",
                f"{name} ({stats.method} {stats.path}): {stats.uncaptured} of its {ok} 2xx responses carried no "
                "usable id (looked for the id parameter's name, `id` or its snake_case, at the top of the JSON "
                f"body or under `data`), so the operations that need a created item ran {name} instead",
                {"operation": name, "uncaptured": stats.uncaptured, "responses_2xx": ok},
                hint="return the created item's id in the response, or describe it with an OpenAPI link",
            )
        )
    return found


def _client_saturated(run: Measured) -> Advice | None:
    """The load generator itself was CPU-bound: a worker process ran, or waited for a core, nearly all along."""
    client = run.results.client
    if not client or client.get("busiest_demand", 0.0) < CLIENT_BUSY:
        return None
    results = run.results
    attempts = results.requests + sum(results.errors.values())
    if attempts < CLIENT_MIN_REQUESTS or results.elapsed < CLIENT_MIN_SECONDS:
        return None
    cpu, demand = client["busiest_cpu"], client["busiest_demand"]
    waited = f" and waited for a CPU {100 * max(demand - cpu, 0):.0f}%" if demand - cpu >= 0.05 else ""
    return _advice(
        Level.WARNING,
        "client-saturated",
        f"the load generator was CPU-bound: its busiest worker process ran {100 * cpu:.0f}% of the run{waited}; "
        "the numbers measure the client, not the server",
        dict(client),
        hint="run it on another machine than the server, give it more cores (--workers), or lower the load",
    )


def sweep_advice(levels: list[Measured]) -> Advice | None:
    """Where throughput stops scaling with concurrency in a `--concurrency a,b,c` sweep (runs in sweep order).

    A step scales when throughput grows by at least a quarter of what linear scaling would give
    (10 -> 50 connections: at least +100%; 50 -> 100: at least +25%). A sweep at a fixed `--rate` has no
    knee to find: its throughput is the rate at every level.
    """
    if any(open_model(run.results.plan) for run in levels):
        return None
    points = [(run.summary["concurrency"], run.summary) for run in levels]
    return _knee(points, "concurrency")


def ramp_advice(run: Measured) -> Advice | None:
    """The sweep's knee found on a ramp (`--stages`): the seconds of its rising and steady stages, grouped by
    load level (each group up to 1.5x the level of its first second), are the sweep's levels."""
    ramp = ramp_of(run.results.plan)
    if ramp is None:
        return None
    unit = "req/s offered" if open_model(run.results.plan) else "connections"
    seconds = []
    for entry, length in zip(run.results.series, second_lengths(run.results), strict=True):
        middle = entry.second + length / 2
        span = next((sp for sp in ramp.spans() if sp[0] <= middle < sp[1]), None)
        level = ramp.level(middle)
        if length >= 1.0 and span is not None and span[3] >= span[2] and level > 0:
            seconds.append((level, entry))
    seconds.sort(key=lambda item: item[0])
    groups: list[list] = []
    for level, entry in seconds:
        if not groups or level >= RAMP_BIN * groups[-1][0][0]:
            groups.append([])
        groups[-1].append((level, entry))
    points = []
    for group in groups:
        latency = Histogram(SERIES_BITS)
        for _, entry in group:
            latency.merge(entry.latency)
        level = round(sum(level for level, _ in group) / len(group), 1)
        rps = sum(entry.requests for _, entry in group) / len(group)
        points.append((level, {"rps": rps, "latency_ms": {"p99": ms(latency.percentile(99))}}))
    return _knee(points, unit)


def _knee(points: list[tuple[float, dict[str, Any]]], unit: str) -> Advice | None:
    """The first step between load levels where throughput grows by less than a quarter of linear scaling."""
    ramp = unit != "concurrency"
    where = f"about {{level:g}} {unit} on the ramp" if ramp else "concurrency {level}"
    for (c_prev, s_prev), (c_next, s_next) in itertools.pairwise(points):
        expected_gain = SCALING_SHARE * (c_next / c_prev - 1)
        if s_prev["rps"] and s_next["rps"] < s_prev["rps"] * (1 + expected_gain):
            levels = unit if ramp else "connections"
            return _advice(
                Level.INFO,
                "stops-scaling",
                f"throughput stops scaling at {where.format(level=c_prev)}: {c_prev:g} -> {c_next:g} {levels} "
                f"moved {s_prev['rps']:.0f} -> {s_next['rps']:.0f} req/s while p99 went "
                f"{s_prev['latency_ms']['p99']:.1f} -> {s_next['latency_ms']['p99']:.1f} ms",
                {"knee": c_prev, "rps": [s_prev["rps"], s_next["rps"]], **({"unit": unit} if ramp else {})},
            )
    if len(points) > 1:
        return _advice(
            Level.INFO,
            "scales",
            f"throughput kept scaling up to {where.format(level=points[-1][0])} ({points[-1][1]['rps']:.0f} req/s)",
            {"rps": [s["rps"] for _, s in points], **({"unit": unit} if ramp else {})},
            hint="try higher levels to find the knee",
        )
    return None
