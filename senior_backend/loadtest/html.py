"""`--report report.html`: one self-contained page (inline CSS and SVG, no script, no network).

Charts per run: throughput and latency (p50, p99, max) over time, and the
latency percentile distribution on a log scale of 1/(1-p); then the summary,
status codes, a ramp's stages, recommendations, comparison and checks. Lines
that can coincide (p99 and max in a stall) are drawn widest first, so each
stays visible beneath the narrower ones.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from senior_backend.loadtest.histogram import bucket_value
from senior_backend.loadtest.operations import operation_rows, operation_table
from senior_backend.loadtest.run import LoadTestResult, RunResult
from senior_backend.loadtest.stages import model_text
from senior_backend.loadtest.stats import PERCENTILES, percentile_key

WIDTH, HEIGHT, PAD = 640, 220, 48
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea")
# latency over time: (series, row key, color, stroke width), drawn in this order: widest first
LATENCY_LINES = (
    ("max", "max_ms", "#f59e0b", 7.0),
    ("p99", "p99_ms", "#dc2626", 3.5),
    ("p50", "p50_ms", "#2563eb", 1.5),
)
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#111}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}
th{background:#f3f4f6}.pass{color:#15803d}.fail{color:#b91c1c}svg{background:#fafafa;border:1px solid #ddd}
.legend span{margin-right:1rem}
"""


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def line_chart(
    title: str,
    lines: list[tuple[str, list[tuple[float, float]]]],
    x_label: str,
    y_label: str,
    x_ticks: list[tuple[float, str]] | None = None,
    styles: list[tuple[str, float]] | None = None,
) -> str:
    """An SVG line chart; x and y start at 0 (x may be pre-transformed, labelled by `x_ticks`).

    Lines are drawn in order, each in its (color, stroke width) from `styles` (default: `COLORS`, 1.8).
    """
    points = [p for _, pts in lines for p in pts]
    if not points:
        return f"<p>{escape(title)}: no data</p>"
    x_max = max(x for x, _ in points) or 1.0
    y_max = _nice_max(max(y for _, y in points))
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def sx(x: float) -> float:
        return PAD + inner_w * x / x_max

    def sy(y: float) -> float:
        return HEIGHT - PAD - inner_h * y / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{PAD}" y="18" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#555"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#555"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{HEIGHT / 2}" transform="rotate(-90 12 {HEIGHT / 2})" text-anchor="middle">'
        f"{escape(y_label)}</text>",
    ]
    for i in range(5):
        y = y_max * i / 4
        parts.append(f'<text x="{PAD - 4}" y="{sy(y) + 4:.1f}" text-anchor="end" font-size="11">{y:g}</text>')
        parts.append(f'<line x1="{PAD}" y1="{sy(y):.1f}" x2="{WIDTH - PAD}" y2="{sy(y):.1f}" stroke="#eee"/>')
    ticks = x_ticks or [(x_max * i / 4, f"{x_max * i / 4:g}") for i in range(5)]
    for x, label in ticks:
        if x <= x_max:
            parts.append(
                f'<text x="{sx(x):.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle" font-size="11">'
                f"{escape(label)}</text>"
            )
    legend = []
    for (name, pts), (color, width) in zip(lines, styles or [(c, 1.8) for c in COLORS], strict=False):
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(
            f'<polyline data-series="{escape(name)}" fill="none" stroke="{color}" stroke-width="{width:g}" '
            f'stroke-linejoin="round" points="{path}"/>'
        )
        legend.append(f'<span data-series="{escape(name)}" style="color:{color}">&#9632; {escape(name)}</span>')
    parts.append("</svg>")
    return "".join(parts) + f'<div class="legend">{"".join(legend)}</div>'


def _distribution(run: RunResult) -> str:
    histogram = run.results.latency
    if not histogram.total:
        return "<p>no responses</p>"
    points, seen = [], 0
    for index in sorted(histogram.counts):
        seen += histogram.counts[index]
        fraction = min(seen / histogram.total, 1 - 1e-6)
        value = min(bucket_value(index, histogram.bits), histogram.max)
        points.append((math.log10(1 / (1 - fraction)), value / 1000))
    ticks = [(math.log10(1 / (1 - p / 100)), f"p{p:g}") for p in (0, 90, 99, 99.9, 99.99)]
    return line_chart("latency by percentile", [("latency", points)], "percentile", "ms", ticks)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _run_section(run: RunResult) -> str:
    s = run.summary
    rows = run.measured.series
    latency = s["latency_ms"]
    keys = ["min", "mean", *(percentile_key(p) for p in PERCENTILES), "max"]
    parts = [
        f"<h2>{escape(run.label)}: {escape(str(s['url']))}</h2>",
        f"<p>{s['requests']:,} responses in {s['elapsed_s']:.2f} s = <b>{s['rps']:,.1f} req/s</b>; "
        f"errors {s['failed']:,} ({100 * s['failed_rate']:.2f}%, no response or 5xx); {escape(model_text(run.results.plan))}"
        f"{' (interrupted: partial)' if s['interrupted'] else ''}</p>",
        _table(keys, [[f"{latency[k]:.3f}" for k in keys]]),
        _table(
            ["status", "count"],
            [[k, v] for k, v in s["statuses"].items()]
            + [[f"error: {k}", v] for k, v in s["errors_by_kind"].items()],
        ),
        line_chart("throughput", [("req/s", [(r["second"] + 1, r["rps"]) for r in rows])], "second", "req/s"),
        line_chart(
            "latency over time",
            [(name, [(r["second"] + 1, r[key]) for r in rows]) for name, key, _, _ in LATENCY_LINES],
            "second",
            "ms",
            styles=[(color, width) for _, _, color, width in LATENCY_LINES],
        ),
        _distribution(run),
    ]
    if run.results.stopped_early:
        parts.insert(1, f'<p class="fail">{escape(run.results.stopped_early["reason"])}</p>')
    if run.measured.stages:
        parts.append("<h3>Stages</h3>")
        parts.append(
            _table(
                ["stage", "seconds", "load", "requests", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms"],
                [
                    [
                        r["stage"],
                        f"{r['start_s']:g}-{r['end_s']:g}",
                        f"{r['from']:g} -> {r['to']:g} {r['unit']}",
                        f"{r['requests']:,}",
                        f"{r['rps']:,.1f}",
                        r["errors"],
                        f"{r['p50_ms']:.2f}",
                        f"{r['p95_ms']:.2f}",
                        f"{r['p99_ms']:.2f}",
                    ]
                    for r in run.measured.stages
                ],
            )
        )
    if run.results.operations:
        parts.append("<h3>Operations</h3>")
        parts.append(_table(*operation_table(operation_rows(run.results.operations, run.results.elapsed))))
    if run.recommendations:
        parts.append("<h3>Recommendations</h3><ul>")
        parts += [f"<li>{escape(a.text())}</li>" for a in run.recommendations]
        parts.append("</ul>")
    return "".join(parts)


def render_html(result: LoadTestResult) -> str:
    """The whole page as a string."""
    body = [_run_section(run) for run in result.runs]
    if result.sweep:
        title = "Concurrency sweep" if result.kind == "sweep" else "Knee of the ramp"
        body.append(f"<h2>{title}</h2><p>{escape(result.sweep.text())}</p>")
    if result.comparison:
        rows = [
            [
                m["metric"],
                m["unit"],
                m["a"],
                m["b"],
                m["diff"],
                f"[{m['ci95'][0]}, {m['ci95'][1]}]" if m["ci95"] else "n/a",
                "yes" if m["significant"] else "no",
            ]
            for m in result.comparison["metrics"]
        ]
        body.append(
            "<h2>Comparison (B - A)</h2>"
            + _table(["metric", "unit", "A", "B", "B-A", "95% CI", "significant"], rows)
        )
    if result.checks:
        body.append("<h2>Checks</h2><ul>")
        body += [
            f'<li class="{"pass" if c.passed else "fail"}">{"PASS" if c.passed else "FAIL"}: {escape(c.reason)}</li>'
            for c in result.checks
        ]
        body.append("</ul>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Load test report</title>'
        f"<style>{STYLE}</style></head><body><h1>Load test report</h1>{''.join(body)}</body></html>\n"
    )


def write_html(result: LoadTestResult, path: str | Path) -> None:
    Path(path).write_text(render_html(result), encoding="utf-8")
