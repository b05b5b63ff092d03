"""Command line of the load tester (`api-load-tester`, `scripts/api_load_tester.py`).

Parses the option texts into `LoadTestOptions` (which validate themselves
before any request), calls `run_load_test`, renders its result (terminal or
JSON on stdout, `--save`, `--report`) and turns it into the exit code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.loadtest.abort import max_error_rate_rule, parse_abort_on
from senior_backend.loadtest.checks import parse_expect_status, parse_threshold
from senior_backend.loadtest.html import write_html
from senior_backend.loadtest.operations import parse_weight
from senior_backend.loadtest.report import LiveLog, show
from senior_backend.loadtest.results import save_results
from senior_backend.loadtest.run import LoadTestOptions, bad_header, run_load_test
from senior_backend.loadtest.stages import parse_stages
from senior_backend.loadtest.templates import LINE_FILES, read_bodies

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
  api_load_tester.py URL --stages 30s:50,2m:200,30s:0            # ramp connections, report per stage
  api_load_tester.py URL --rate 50 --stages 1m:500 --abort-on 'p99>2s' --max-error-rate 0.2
  api_load_tester.py 'URL/users/{{csv:ids.csv:id}}?n={{randint 1 1000}}' -H 'X-Request-Id: {{uuid}}'
  api_load_tester.py URL -m POST --body @requests.jsonl         # cycles through one JSON body per line
  api_load_tester.py URL -c 400 -d 60 --cluster ray://HEAD:10001  # workers on a Ray cluster
  api_load_tester.py --spec openapi.yaml --base-url http://127.0.0.1:3000 -c 20 -d 30 --weight listThings=5
  api_load_tester.py --spec openapi.yaml --base-url URL --tag things --operation getHealth  # only these

\b
Exit codes: 0 ok, 1 a check failed (with no check given: no request got a 2xx/3xx),
2 bad input, 4 host unreachable, 130 interrupted.
"""

COMPARE_URLS = "__urls__"


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


def _concurrency_levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        levels = ()
    if not levels:
        raise BadInput("bad-option", f"--concurrency must be N or N,N,... with N >= 1 (got {text!r})")
    return levels


def _header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep:
        raise bad_header(name)
    return name.strip(), content.strip()


def _bodies(value: str | None) -> tuple[bytes, ...]:
    """`--body TEXT`, or `@file`: one body, or one per line of a .jsonl/.ndjson file."""
    if value is None:
        return (b"",)
    if value.startswith("@"):
        return read_bodies(value[1:])
    return (value.encode("utf-8"),)


@click.command(
    epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.argument("urls", nargs=-1)
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
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the workers as Ray actors across a cluster's nodes: ray://HEAD:10001, or ray / auto for "
    "$RAY_ADDRESS [default --workers: one per cluster CPU]. Needs senior-backend[distributed].",
)
@click.option("--method", "-m", default="GET", show_default=True)
@click.option("--header", "-H", "header_values", multiple=True, help="'Name: value'; repeatable.")
@click.option(
    "--body",
    "-b",
    help="Request body, or @file to read it from a file; @file.jsonl cycles through one JSON body per "
    "line. URL, headers and body may hold {{seq}}, {{uuid}}, {{randint A B}}, {{csv:FILE:COLUMN}}.",
)
@click.option(
    "--stages",
    metavar="DUR:N,...",
    help="Ramp linearly between targets, e.g. 30s:50,2m:200,30s:0: connections from 0 (closed model) or "
    "req/s from --rate (open model; --rate 0 ramps from nothing); reported per stage.",
)
@click.option(
    "--max-error-rate",
    type=float,
    metavar="FRACTION",
    help="Stop early (exit 1) once more than this share of requests fail (no response or 5xx) over the "
    "last 5 s.",
)
@click.option(
    "--abort-on",
    "abort_on",
    multiple=True,
    metavar="EXPR",
    help="Stop early (exit 1) when e.g. 'p99>2s', 'p95>500ms', 'mean>1s' or 'error_rate>10%' holds over the "
    "last 5 s; repeatable.",
)
@click.option(
    "--spec",
    type=click.Path(dir_okay=False),
    help="Run every operation of this OpenAPI (or Swagger 2.0) document, with ids carried from creates.",
)
@click.option(
    "--base-url", help="With --spec: where its paths are sent [default: the spec's servers[0].url]."
)
@click.option(
    "--operation", "spec_operations", multiple=True, help="With --spec: only this operationId; repeatable."
)
@click.option(
    "--tag", "spec_tags", multiple=True, help="With --spec: only operations with this tag; repeatable."
)
@click.option(
    "--weight",
    "spec_weights",
    multiple=True,
    metavar="OP=N",
    help="With --spec: OP runs N times as often (default 1).",
)
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
    cluster: str | None,
    method: str,
    header_values: tuple[str, ...],
    body: str | None,
    stages: str | None,
    max_error_rate: float | None,
    abort_on: tuple[str, ...],
    spec: str | None,
    base_url: str | None,
    spec_operations: tuple[str, ...],
    spec_tags: tuple[str, ...],
    spec_weights: tuple[str, ...],
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
    _writable(save_path, "--save")
    _writable(report_path, "--report")
    bodies = _bodies(body)
    lines_from = body[1:] if body and body.startswith("@") and body.lower().endswith(LINE_FILES) else None
    options = LoadTestOptions(
        urls=tuple(urls),
        concurrency=_concurrency_levels(concurrency),
        concurrency_given=click.get_current_context().get_parameter_source("concurrency")
        is not click.core.ParameterSource.DEFAULT,
        rate=rate,
        duration=duration,
        requests=request_count,
        warmup=warmup,
        timeout=timeout,
        workers=workers,
        cluster=cluster,
        method=method,
        headers=tuple(_header(value) for value in header_values),
        body=bodies[0] if len(bodies) == 1 else b"",
        bodies=bodies if len(bodies) > 1 or lines_from else (),
        bodies_from=lines_from,
        stages=parse_stages(stages) if stages is not None else (),
        abort_rules=tuple(parse_abort_on(rule) for rule in abort_on)
        + ((max_error_rate_rule(max_error_rate),) if max_error_rate is not None else ()),
        insecure=insecure,
        compare_urls=compare == COMPARE_URLS,
        baseline=Path(compare) if compare and compare != COMPARE_URLS else None,
        tolerance=tolerance,
        thresholds=tuple(parse_threshold(t) for t in thresholds),
        expect_status=tuple(parse_expect_status(e) for e in expect_status),
        expect_rate_limit=expect_rate_limit,
        spec=spec,
        base_url=base_url,
        spec_operations=spec_operations,
        spec_tags=spec_tags,
        spec_weights=tuple(parse_weight(weight) for weight in spec_weights),
    )
    if spec is not None:
        for note in options.scenario.scenario.notes:
            out.log(f"note: {note}")
    result = run_load_test(options, LiveLog(out))

    if save_path:
        save_results(save_path, result.kind, [(run.label, run.results) for run in result.runs])
    if report_path:
        write_html(result, report_path)
    show(out, result)
    if result.interrupted:
        out.log("error: interrupted: the report above is partial")
        return ExitCode.INTERRUPTED
    if result.unreachable:
        problem = result.unreachable
        raise Unreachable(problem.rule, problem.message, problem.where, problem.hint)
    for check in result.failed_checks:
        out.log(f"error: check failed: {check.reason}")
    return ExitCode.CHECK_FAILED if result.failed_checks else ExitCode.OK


def main() -> None:
    """Console-script entry point."""
    run_main(command, prog_name="api_load_tester.py")
