"""Command line of the load tester (`api-load-tester`, `scripts/api_load_tester.py`).

Parses and validates every option before a request is sent, builds one load
plan per (URL, concurrency level), runs them, then derives checks, advice,
comparisons and reports from the results.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import click

from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.loadtest.advice import recommend, sweep_advice
from senior_backend.loadtest.checks import (
    Check,
    check_any_success,
    check_baseline,
    check_rate_limit,
    check_status,
    check_threshold,
    parse_expect_status,
    parse_threshold,
)
from senior_backend.loadtest.html import write_html
from senior_backend.loadtest.plan import LoadPlan, Target, parse_target, resolve
from senior_backend.loadtest.report import ProgressLine, Report, Run, print_report
from senior_backend.loadtest.results import SCHEMA, Results, Second, load_results, load_saved
from senior_backend.loadtest.runner import run_plan
from senior_backend.loadtest.stats import compare as compare_runs
from senior_backend.loadtest.stats import summarize

EXAMPLES = """
\b
Examples:
  api_load_tester.py http://127.0.0.1:3000/users --concurrency 50 --duration 30
  api_load_tester.py URL --method POST --header "Authorization: Bearer t" \\
      --body '{"product_id": 1}' --concurrency 100 --duration 60
  api_load_tester.py URL_V1 URL_V2 --compare --concurrency 50 --duration 30
  api_load_tester.py URL --save base.json          # later: URL --compare base.json
  api_load_tester.py URL/login --concurrency 200 --duration 10 --expect-rate-limit
  api_load_tester.py URL/users --method POST --body '{"email": "x"}' --expect-status 400
  api_load_tester.py URL --rate 500 --duration 30  # open model, coordinated-omission correct
  api_load_tester.py URL --concurrency 10,50,100 --duration 10   # where does it stop scaling?
  api_load_tester.py URL --threshold 'p99<200ms' --threshold 'errors<1%' --threshold 'rps>1000'
  api_load_tester.py results.json --report report.html           # re-report a saved run

\b
Exit codes: 0 ok, 1 a check failed (with no check given: no request got a 2xx/3xx),
2 bad input, 4 host unreachable, 130 interrupted.
"""

_METHOD = re.compile(r"^[A-Z][A-Z-]*$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
COMPARE_URLS = "__urls__"
CONNECT_ERRORS = {"refused", "dns", "tls", "connect", "connect-timeout"}


def _positive(value: float | None, name: str) -> None:
    if value is not None and not (0 < value < math.inf):
        raise BadInput("bad-option", f"{name} must be a number greater than 0 (got {value:g})")


def _non_negative(value: float, name: str) -> None:
    if not (0 <= value < math.inf):
        raise BadInput("bad-option", f"{name} must be a number of at least 0 (got {value:g})")


def _writable(path: str | None, option: str) -> None:
    """Exit 2 before any request when an output file could not be written afterwards."""
    if path is None:
        return
    file = Path(path)
    folder = file.parent if str(file.parent) else Path(".")
    if file.is_dir():
        raise BadInput("bad-option", f"{option} {path}: is a directory")
    if not folder.is_dir():
        raise BadInput("bad-option", f"{option} {path}: no such directory {str(folder)!r}")
    if not os.access(file if file.exists() else folder, os.W_OK):
        raise BadInput("bad-option", f"{option} {path}: not writable")


def _concurrency_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(level < 1 for level in levels):
        raise BadInput("bad-option", f"--concurrency must be N or N,N,... with N >= 1 (got {text!r})")
    return levels


def _headers(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    headers = []
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not _HEADER.match(name.strip()) or any(c in content for c in "\r\n"):
            shown = name.split()[0] if name.split() else ""  # never the value: it may be a secret
            raise BadInput("bad-header", f"invalid --header {shown!r}...", hint="use 'Name: value'")
        headers.append((name.strip(), content.strip()))
    return tuple(headers)


def _body(value: str | None) -> bytes:
    if value is None:
        return b""
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_bytes()
        except OSError as exc:
            raise BadInput("bad-body", f"cannot read --body file {value[1:]}: {exc.strerror}") from exc
    return value.encode("utf-8")


def _save(path: str, kind: str, runs: list[Run]) -> None:
    if len(runs) == 1:
        document = runs[0].results.to_json()
    else:
        document = {
            "schema": SCHEMA + "-set",
            "kind": kind,
            "runs": [{"label": r.label, "results": r.results.to_json()} for r in runs],
        }
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _resolve_all(urls: list[str]) -> tuple[list[Target], dict[str, str]]:
    """Parse and resolve every URL; an unresolvable host is kept, with its reason, to be reported (exit 4)."""
    targets, unresolved = [], {}
    for url in urls:
        target = parse_target(url)
        try:
            target = resolve(target)
        except Unreachable as exc:
            unresolved[target.url] = exc.diagnostic.message
        targets.append(target)
    return targets, unresolved


def _unresolved_results(plan: LoadPlan) -> Results:
    """The run that did not happen: the one name lookup, failed, counted as a `dns` error."""
    results = Results(plan.describe())
    results.series.append(Second(0, errors={"dns": 1}))
    return results


def _unreachable(runs: list[Run], unresolved: dict[str, str]) -> str | None:
    """A message when no request of a run ever got a response and every error was a connection failure."""
    for run in runs:
        if run.results.plan.get("url") in unresolved:
            return unresolved[run.results.plan["url"]]
        s = summarize(run.results)
        kinds = set(s["errors_by_kind"])
        if s["requests"] == 0 and s["errors"] and kinds <= CONNECT_ERRORS and not run.results.interrupted:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(s["errors_by_kind"].items()))
            hint = " (hint: --insecure accepts self-signed certificates)" if "tls" in kinds else ""
            return f"could not reach {s['url']}: no response to {s['errors']} attempts ({detail}){hint}"
    return None


@click.command(
    epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.argument("urls", nargs=-1, required=True)
@click.option(
    "--concurrency",
    "-c",
    default="10",
    show_default=True,
    help="Connections (virtual users). A list like 10,50,100 runs a sweep.",
)
@click.option(
    "--rate",
    "-r",
    type=float,
    help="Open model: requests per second at constant arrival; latency "
    "counts from each request's intended send time.",
)
@click.option("--duration", "-d", type=float, help="Seconds to measure (default 10, unless --requests).")
@click.option("--requests", "-n", "request_count", type=int, help="Stop after this many requests.")
@click.option(
    "--warmup", type=float, default=0.0, show_default=True, help="Seconds of load before measuring."
)
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds per request (and connect)."
)
@click.option("--workers", "-w", type=int, help="Load-generator processes [default: number of cores].")
@click.option("--method", "-m", default="GET", show_default=True)
@click.option("--header", "-H", "header_values", multiple=True, help="'Name: value'; repeatable.")
@click.option("--body", "-b", help="Request body, or @file to read it from a file.")
@click.option("--insecure", "-k", is_flag=True, help="Accept any TLS certificate.")
@click.option(
    "--compare",
    is_flag=False,
    flag_value=COMPARE_URLS,
    default=None,
    metavar="[BASELINE.json]",
    help="With two URLs: compare them under the same conditions. With a file: compare against "
    "a saved run and fail on regressions beyond --tolerance.",
)
@click.option("--tolerance", type=float, default=10.0, show_default=True, help="Regression tolerance in %.")
@click.option(
    "--expect-status",
    "expect_status",
    multiple=True,
    metavar="CODE[:N%]",
    help="Fail unless CODE answered all (or N% of) requests; repeatable.",
)
@click.option(
    "--expect-rate-limit", is_flag=True, help="Fail unless 429s appear; report when and at what rate."
)
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="EXPR",
    help="e.g. 'p99<200ms', 'mean<50ms', 'errors<1%', 'rps>1000'; repeatable; exit 1 if not met.",
)
@click.option("--save", "save_path", type=click.Path(dir_okay=False), help="Write the raw results as JSON.")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report."
)
@output_options
def command(
    urls: tuple[str, ...],
    concurrency: str,
    rate: float | None,
    duration: float | None,
    request_count: int | None,
    warmup: float,
    timeout: float,
    workers: int | None,
    method: str,
    header_values: tuple[str, ...],
    body: str | None,
    insecure: bool,
    compare: str | None,
    tolerance: float,
    expect_status: tuple[str, ...],
    expect_rate_limit: bool,
    thresholds: tuple[str, ...],
    save_path: str | None,
    report_path: str | None,
    output_format: str,
    json_flag: bool,
    debug: bool,
) -> int:
    """Load-test HTTP endpoints: throughput, latency percentiles you can trust, errors and CI checks.

    URLS is one URL, two URLs with --compare, or a saved results JSON to re-report.
    """
    out = Output(resolve_format(output_format, json_flag))
    urls = list(urls)
    if compare and compare != COMPARE_URLS and re.match(r"^https?://", compare):
        urls.append(compare)
        compare = COMPARE_URLS
    levels = _concurrency_levels(concurrency)
    for value, name in (
        (rate, "--rate"),
        (duration, "--duration"),
        (timeout, "--timeout"),
        (workers, "--workers"),
    ):
        _positive(value, name)
    if request_count is not None and request_count < 1:
        raise BadInput("bad-option", "--requests must be at least 1")
    _non_negative(warmup, "--warmup")
    _non_negative(tolerance, "--tolerance")
    _writable(save_path, "--save")
    _writable(report_path, "--report")
    method = method.upper()
    if not _METHOD.match(method):
        raise BadInput("bad-option", f"invalid --method {method!r}")
    if method == "HEAD":
        raise BadInput("bad-option", "--method HEAD is not supported yet (use GET)")
    parsed_thresholds = [parse_threshold(t) for t in thresholds]
    expected = [parse_expect_status(e) for e in expect_status]
    baseline = load_results(compare) if compare and compare != COMPARE_URLS else None
    if compare == COMPARE_URLS and len(urls) != 2:
        raise BadInput("bad-usage", "--compare without a file needs exactly two URLs")
    if len(urls) > 2 or (len(urls) == 2 and compare != COMPARE_URLS):
        raise BadInput("bad-usage", "give one URL, or two URLs with --compare")
    if len(urls) == 2 and len(levels) > 1:
        raise BadInput("bad-usage", "a concurrency sweep takes one URL")

    if len(urls) == 1 and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", urls[0]) and urls[0].endswith(".json"):
        kind, saved = load_saved(urls[0])
        runs = [Run(label, results) for label, results in saved]
        unresolved: dict[str, str] = {}
    else:
        kind = "compare" if compare == COMPARE_URLS else "sweep" if len(levels) > 1 else "run"
        targets, unresolved = _resolve_all(urls)
        base = dict(
            method=method,
            headers=_headers(header_values),
            body=_body(body),
            rate=rate,
            duration=duration if duration or request_count else 10.0,
            requests=request_count,
            warmup=warmup,
            timeout=timeout,
            workers=workers or os.cpu_count() or 1,
            insecure=insecure,
        )
        plans = [
            (f"{'AB'[i]}" if len(targets) == 2 else f"c={level}", LoadPlan(target, concurrency=level, **base))
            for i, target in enumerate(targets)
            for level in levels
        ]
        runs = _execute(out, plans, unresolved)

    for run in runs:
        run.advice = recommend(run.results)
    report = Report(runs)
    if kind == "sweep":
        report.sweep = sweep_advice([(r.results.plan["concurrency"], r.results) for r in runs])
    if len(runs) == 2 and kind == "compare":
        a, b = runs[0].results, runs[1].results
        report.comparison = {"a": a.plan["url"], "b": b.plan["url"], "metrics": compare_runs(a, b)}
    if baseline is not None:
        report.comparison = {
            "a": f"baseline {compare}",
            "b": runs[0].results.plan.get("url"),
            "metrics": compare_runs(baseline, runs[0].results),
        }
    report.checks = _checks(runs, parsed_thresholds, expected, expect_rate_limit, baseline, tolerance)

    if save_path:
        _save(save_path, kind, runs)
    if report_path:
        write_html(report, report_path)
    if out.is_json:
        out.json(report.to_json())
    else:
        print_report(out, report)
    if any(run.results.interrupted for run in runs):
        out.log("error: interrupted: the report above is partial")
        return ExitCode.INTERRUPTED
    unreachable = _unreachable(runs, unresolved)
    if unreachable:
        raise Unreachable("unreachable", unreachable)
    failed = [c for c in report.checks if not c.passed]
    if failed:
        for check in failed:
            out.log(f"error: check failed: {check.reason}")
        return ExitCode.CHECK_FAILED
    return ExitCode.OK


def _execute(out: Output, plans: list[tuple[str, LoadPlan]], unresolved: dict[str, str]) -> list[Run]:
    runs = []
    progress = ProgressLine()
    for label, plan in plans:
        if plan.target.url in unresolved:
            runs.append(Run(label, _unresolved_results(plan)))
            continue
        bound = f"{plan.duration:g} s" if plan.duration else f"{plan.requests} requests"
        model = f"rate {plan.rate:g}/s" if plan.rate else "closed model"
        out.log(
            f"{label}: {plan.target.url}: {plan.concurrency} connections, {model}, {bound}, "
            f"{min(plan.workers, plan.concurrency)} workers"
        )
        try:
            results = run_plan(plan, progress)
        finally:
            progress.clear()
        runs.append(Run(label, results))
        if results.interrupted:
            break
    return runs


def _checks(
    runs: list[Run],
    thresholds: list,
    expected: list[tuple[int, float]],
    expect_rate_limit: bool,
    baseline: Results | None,
    tolerance: float,
) -> list[Check]:
    checks: list[Check] = []
    many = len(runs) > 1
    explicit = bool(thresholds or expected or expect_rate_limit or baseline is not None)
    for run in runs:
        found = [check_threshold(t, run.results) for t in thresholds]
        found += [check_status(code, share, run.results) for code, share in expected]
        if expect_rate_limit:
            found.append(check_rate_limit(run.results))
        if not explicit:  # only its failure is shown: a run in which no request succeeded
            found += [c for c in [check_any_success(run.results)] if not c.passed]
        if many:
            for check in found:
                check.name = f"{run.label}: {check.name}"
                check.reason = f"{run.label}: {check.reason}"
        checks += found
    if baseline is not None:
        checks += check_baseline(baseline, runs[0].results, tolerance)
    return checks


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="api_load_tester.py")
