"""Reporters: the live progress line, the terminal report, and the one JSON document of `--format json`.

They read results, summaries, checks and advice; they compute nothing of
their own beyond formatting.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from senior_backend.common.console import Output
from senior_backend.loadtest.advice import Advice
from senior_backend.loadtest.checks import Check
from senior_backend.loadtest.results import Results
from senior_backend.loadtest.runner import Progress
from senior_backend.loadtest.stats import PERCENTILES, percentile_key, series_rows, summarize


@dataclass
class Run:
    """One measured run and what was concluded from it."""

    label: str
    results: Results
    advice: list[Advice] = field(default_factory=list)


@dataclass
class Report:
    """Everything a run of the CLI produced."""

    runs: list[Run]
    checks: list[Check] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    sweep: Advice | None = None

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "interrupted": any(run.results.interrupted for run in self.runs),
            "runs": [
                {
                    "label": run.label,
                    "summary": summarize(run.results),
                    "series": series_rows(run.results),
                    "recommendations": [a.to_json() for a in run.advice],
                    "results": run.results.to_json(),
                }
                for run in self.runs
            ],
            "comparison": self.comparison,
            "sweep": self.sweep.to_json() if self.sweep else None,
            "checks": [c.to_json() for c in self.checks],
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
        line = (
            f"\r  {progress.elapsed:6.1f} s  {progress.requests:>10,} requests  {progress.rps:>10,.0f} req/s"
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


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def print_run(out: Output, run: Run) -> None:
    s = summarize(run.results)
    plan = run.results.plan
    model = f"open model at {plan['rate']:g} req/s" if plan.get("rate") else "closed model"
    out.line(
        f"[bold]{run.label}[/bold]  {s['url']}  ({model}, {plan.get('concurrency')} connections, "
        f"{plan.get('workers')} worker processes)"
    )
    if s["interrupted"]:
        out.line("[yellow]interrupted: partial results[/yellow]")
    out.line(
        f"{s['requests']:,} responses in {s['elapsed_s']:.2f} s = {s['rps']:,.1f} req/s; "
        f"errors {s['errors']:,} ({_pct(s['error_rate'])}); non-2xx {s['non_2xx']:,}; "
        f"in {s['bytes_in']:,} B, out {s['bytes_out']:,} B"
    )
    latency = s["latency_ms"]
    keys = ["min", "mean", *(percentile_key(p) for p in PERCENTILES), "max"]
    out.table("latency (ms)", keys, [[f"{latency[k]:.3f}" for k in keys]])
    if s["statuses"] or s["errors_by_kind"]:
        rows = [[code, n] for code, n in s["statuses"].items()]
        rows += [[f"error: {kind}", n] for kind, n in sorted(s["errors_by_kind"].items())]
        out.table("responses", ["status", "count"], rows)
    for advice in run.advice:
        out.line(f"- {advice.message}")


def print_report(out: Output, report: Report) -> None:
    """The human report on stdout."""
    for run in report.runs:
        print_run(out, run)
        out.line()
    if report.sweep:
        rows = []
        for run in report.runs:
            s = summarize(run.results)
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
        out.line(f"- {report.sweep.message}")
    if report.comparison:
        out.line(f"comparison: B = {report.comparison['b']} vs A = {report.comparison['a']} (B - A, 95% CI)")
        rows = []
        for m in report.comparison["metrics"]:
            ci = f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}]" if m["ci95"] else "n/a (too few seconds)"
            pct = f"{m['diff_pct']:+.1f}%" if m["diff_pct"] is not None else ""
            verdict = "significant" if m["significant"] else "within noise"
            rows.append([m["metric"], m["unit"], m["a"], m["b"], f"{m['diff']:+.3f}", pct, ci, verdict])
        out.table(None, ["metric", "unit", "A", "B", "B-A", "%", "95% CI", ""], rows)
    for check in report.checks:
        mark = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        out.line(f"{mark} {check.reason}")
