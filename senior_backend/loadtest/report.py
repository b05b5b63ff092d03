"""Reporters: the live lines on stderr, the terminal report, and the one JSON document of `--format json`.

They read a `LoadTestResult` (summaries, checks and recommendations computed
once by the use case); they compute nothing of their own beyond formatting.
The JSON document is published as `senior_backend/schemas/loadtest-run.v1.json`.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from senior_backend.common.console import Output
from senior_backend.loadtest.nodes import node_rows, node_table
from senior_backend.loadtest.operations import operation_rows, operation_table
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.run import LoadTestResult, RunResult
from senior_backend.loadtest.runner import Progress
from senior_backend.loadtest.stages import model_text
from senior_backend.loadtest.stats import PERCENTILES, percentile_key


def to_json(result: LoadTestResult) -> dict[str, Any]:
    """The `--json` document."""
    return {
        "passed": result.passed,
        "interrupted": result.interrupted,
        "runs": [
            {
                "label": run.label,
                "summary": run.summary,
                "series": run.measured.series,
                "stages": run.measured.stages,
                "recommendations": [a.to_json() for a in run.recommendations],
                "results": run.results.to_json(),
                **({"nodes": node_rows(run.results.nodes)} if run.results.nodes else {}),
                **({"operations": _operations(run)} if run.results.operations else {}),
            }
            for run in result.runs
        ],
        "comparison": result.comparison,
        "sweep": result.sweep.to_json() if result.sweep else None,
        "checks": [c.to_json() for c in result.checks],
    }


class ProgressLine:
    """Rewrites one stderr line per second on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        rps = "-" if progress.rps is None else f"{progress.rps:,.0f}"
        line = (
            f"\r  {progress.elapsed:6.1f} s  {progress.requests:>10,} requests  {rps:>10} req/s"
            f"  p99 {progress.p99_us / 1000:8.2f} ms  errors {progress.errors:,}"
        )
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


class LiveLog:
    """What the CLI shows on stderr while a load test runs: one line per run, then its progress line."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.line = ProgressLine()

    def started(self, label: str, plan: LoadPlan) -> None:
        bound = f"{plan.duration:g} s" if plan.duration else f"{plan.requests} requests"
        model = model_text(plan.describe()) if plan.stages else f"rate {plan.rate:g}/s" if plan.rate else "closed model"
        connections = "" if plan.stages else f"{_count(plan.concurrency, 'connection')}, "
        self.out.log(
            f"{label}: {plan.target.url}: {connections}{model}, {bound}, "
            f"{_count(min(plan.workers, plan.concurrency), 'worker')}"
        )

    def progress(self, progress: Progress) -> None:
        self.line(progress)

    def finished(self) -> None:
        self.line.clear()


def _operations(run: RunResult) -> list[dict[str, Any]]:
    return operation_rows(run.results.operations, run.results.elapsed)


def _count(n: int, one: str, many: str | None = None) -> str:
    """`1 worker`, `2 workers`: a count with its noun in the right number."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def print_run(out: Output, run: RunResult) -> None:
    s = run.summary
    plan = run.results.plan
    model = model_text(plan)
    out.line(
        f"[bold]{run.label}[/bold]  {s['url']}  ({model}, {_count(plan.get('workers') or 0, 'worker process', 'worker processes')})"
    )
    if s["interrupted"]:
        out.line("[yellow]interrupted: partial results[/yellow]")
    if run.results.stopped_early:
        out.line(f"[red]{run.results.stopped_early['reason']}[/red]")
    out.line(
        f"{s['requests']:,} responses in {s['elapsed_s']:.2f} s = {s['rps']:,.1f} req/s; "
        f"errors {s['failed']:,} ({_pct(s['failed_rate'])}: {s['errors']:,} no response, "
        f"{s['failed'] - s['errors']:,} 5xx); non-2xx {s['non_2xx']:,}; "
        f"in {s['bytes_in']:,} B, out {s['bytes_out']:,} B"
    )
    latency = s["latency_ms"]
    keys = ["min", "mean", *(percentile_key(p) for p in PERCENTILES), "max"]
    out.table("latency (ms)", keys, [[f"{latency[k]:.3f}" for k in keys]])
    if run.results.nodes:
        out.table("nodes", *node_table(run.results.nodes))
    if run.results.operations:
        out.table("operations", *operation_table(_operations(run)))
    if run.measured.stages:
        out.table(
            "stages",
            ["stage", "seconds", "load", "requests", "req/s", "errors", "non-2xx", "p50 ms", "p95 ms", "p99 ms"],
            [
                [
                    row["stage"],
                    f"{row['start_s']:g}-{row['end_s']:g}",
                    f"{row['from']:g} -> {row['to']:g} {row['unit']}",
                    f"{row['requests']:,}",
                    f"{row['rps']:,.1f}",
                    row["errors"],
                    row["non_2xx"],
                    f"{row['p50_ms']:.2f}",
                    f"{row['p95_ms']:.2f}",
                    f"{row['p99_ms']:.2f}",
                ]
                for row in run.measured.stages
            ],
        )
    if s["statuses"] or s["errors_by_kind"]:
        rows = [[code, n] for code, n in s["statuses"].items()]
        rows += [[f"error: {kind}", n] for kind, n in sorted(s["errors_by_kind"].items())]
        out.table("responses", ["status", "count"], rows)
    for advice in run.recommendations:
        out.line(f"- {advice.text()}")


def show(out: Output, result: LoadTestResult) -> None:
    """The report on stdout in the chosen format: the JSON document, or the human report."""
    if out.is_json:
        out.json(to_json(result))
    else:
        print_report(out, result)


def print_report(out: Output, result: LoadTestResult) -> None:
    """The human report on stdout."""
    for run in result.runs:
        print_run(out, run)
        out.line()
    if result.sweep and result.kind != "sweep":
        out.line(f"- {result.sweep.text()}")
    elif result.sweep:
        rows = []
        for run in result.runs:
            s = run.summary
            rows.append(
                [
                    s["concurrency"],
                    f"{s['rps']:,.1f}",
                    f"{s['latency_ms']['p50']:.2f}",
                    f"{s['latency_ms']['p99']:.2f}",
                    _pct(s["error_rate"]),
                ]
            )
        out.table("concurrency sweep", ["concurrency", "req/s", "p50 ms", "p99 ms", "errors"], rows)
        out.line(f"- {result.sweep.text()}")
    if result.comparison:
        out.line(f"comparison: B = {result.comparison['b']} vs A = {result.comparison['a']} (B - A, 95% CI)")
        rows = []
        for m in result.comparison["metrics"]:
            ci = f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}]" if m["ci95"] else "n/a (too few seconds)"
            pct = f"{m['diff_pct']:+.1f}%" if m["diff_pct"] is not None else ""
            verdict = "significant" if m["significant"] else "within noise"
            rows.append([m["metric"], m["unit"], m["a"], m["b"], f"{m['diff']:+.3f}", pct, ci, verdict])
        out.table(None, ["metric", "unit", "A", "B", "B-A", "%", "95% CI", ""], rows)
    for check in result.checks:
        mark = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        out.line(f"{mark} {check.reason}")
