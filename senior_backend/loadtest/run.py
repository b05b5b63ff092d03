"""The load test as one use case: `LoadTestOptions` in, `run_load_test`, `LoadTestResult` out.

The options are validated when they are made (`BadInput`, before any request).
The use case runs one plan per (URL, concurrency level), or reads a saved run,
then measures each run once (`stats.measure`) and derives from those numbers
the recommendations, the sweep's knee, the comparison and the checks. It
prints nothing: live progress goes to an optional `RunListener`, and the CLI
renders the result and chooses the exit code.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from senior_backend.common.diagnostics import Diagnostic, error
from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.loadtest.abort import AbortRule
from senior_backend.loadtest.advice import Advice, ramp_advice, recommend, sweep_advice
from senior_backend.loadtest.checks import (
    Check,
    Threshold,
    check_any_success,
    check_baseline,
    check_rate_limit,
    check_status,
    check_stopped_early,
    check_threshold,
)
from senior_backend.loadtest.cluster import check_cluster, check_nodes, run_on_cluster
from senior_backend.loadtest.plan import LoadPlan, Target, resolve
from senior_backend.loadtest.results import Results, Second, load_results, load_saved
from senior_backend.loadtest.runner import Progress, run_plan
from senior_backend.loadtest.stages import Ramp, stage_label
from senior_backend.loadtest.stats import Measured, compare, measure
from senior_backend.loadtest.templates import Variation, build_variation, parse_templated_target, split_url

if TYPE_CHECKING:
    from senior_backend.loadtest.scenario_engine import ScenarioRun

_METHOD = re.compile(r"^[A-Z][A-Z-]*$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FRAMING = frozenset({"content-length", "transfer-encoding"})  # how a body is delimited on the wire
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
CONNECT_ERRORS = frozenset({"refused", "dns", "tls", "connect", "connect-timeout"})
DEFAULT_DURATION = 10.0


def bad_header(name: str) -> BadInput:
    """The error for a malformed header: it names the header, never shows its value (it may be a secret)."""
    shown = name.split()[0] if name.split() else ""
    return BadInput("bad-header", f"invalid --header {shown!r}...", hint="use 'Name: value'")


@dataclass(frozen=True)
class LoadTestOptions:
    """What to load-test and what to check; validated on construction.

    `urls` is one URL, two URLs with `compare_urls`, or one saved results file to re-report.
    `duration` None with no `requests` budget means `DEFAULT_DURATION` seconds; `workers` None
    means one per core. `thresholds` and `expect_status` come from `checks.parse_threshold`
    and `checks.parse_expect_status`; `baseline` is a saved run to compare against. `stages` is a ramp
    (`stages.parse_stages`), `abort_rules` stop a failing run early (`abort.py`), and `bodies` (from
    `bodies_from`, a JSON-lines file) are cycled through; URL, headers and bodies may hold templates
    (`templates.py`), all parsed and checked here.
    """

    urls: tuple[str, ...]
    concurrency: tuple[int, ...] = (10,)
    concurrency_given: bool = False  # --concurrency was given (not the default): a closed ramp refuses it
    rate: float | None = None
    duration: float | None = None
    requests: int | None = None
    warmup: float = 0.0
    timeout: float = 30.0
    workers: int | None = None
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    insecure: bool = False
    compare_urls: bool = False
    baseline: Path | None = None
    tolerance: float = 10.0
    thresholds: tuple[Threshold, ...] = ()
    expect_status: tuple[tuple[int, float], ...] = ()
    expect_rate_limit: bool = False
    cluster: str | None = None  # run the workers on this Ray cluster (cluster.py)
    stages: tuple[tuple[float, float], ...] = ()  # a ramp, from `stages.parse_stages`
    abort_rules: tuple[AbortRule, ...] = ()  # stop early when one holds (`abort.py`)
    bodies: tuple[bytes, ...] = ()  # cycled through instead of `body`, e.g. the lines of a .jsonl file
    bodies_from: str | None = None  # the file they came from: each is then checked to be JSON
    spec: str | None = None  # --spec: every operation of this OpenAPI document (scenario.py)
    base_url: str | None = None  # --base-url: where the spec's paths are sent (else its servers[0].url)
    spec_operations: tuple[str, ...] = ()  # --operation: only these (by operationId or "METHOD /path")
    spec_tags: tuple[str, ...] = ()  # --tag: only operations with one of these tags
    spec_weights: tuple[tuple[str, float], ...] = ()  # --weight opId=N (default 1 each)

    def __post_init__(self) -> None:
        self._check_spec()
        if not self.concurrency or any(level < 1 for level in self.concurrency):
            shown = ",".join(str(level) for level in self.concurrency)
            raise BadInput("bad-option", f"--concurrency must be N or N,N,... with N >= 1 (got {shown!r})")
        if self.rate == 0 and not self.stages:
            raise BadInput(
                "bad-option",
                "--rate must be a number greater than 0 (0 starts an open-model ramp: add --stages)",
            )
        if self.rate is not None and not (0 <= self.rate < math.inf):
            raise BadInput("bad-option", f"--rate must be a number greater than 0 (got {self.rate:g})")
        for value, name in (
            (self.duration, "--duration"),
            (self.timeout, "--timeout"),
            (self.workers, "--workers"),
        ):
            if value is not None and not (0 < value < math.inf):
                raise BadInput("bad-option", f"{name} must be a number greater than 0 (got {value:g})")
        if self.requests is not None and self.requests < 1:
            raise BadInput("bad-option", "--requests must be at least 1")
        for value, name in ((self.warmup, "--warmup"), (self.tolerance, "--tolerance")):
            if not (0 <= value < math.inf):
                raise BadInput("bad-option", f"{name} must be a number of at least 0 (got {value:g})")
        method = self.method.upper()
        if not _METHOD.match(method):
            raise BadInput("bad-option", f"invalid --method {method!r}")
        if method == "HEAD":
            raise BadInput("bad-option", "--method HEAD is not supported yet (use GET)")
        for name, value in self.headers:
            if not _HEADER.match(name) or any(c in value for c in "\r\n"):
                raise bad_header(name)
            if name.lower() in _FRAMING:  # a wrong one desynchronises the keep-alive connection
                raise BadInput(
                    "bad-header",
                    f"--header {name} is set by the tool from each body: drop it",
                    hint="bodies are sent with their own Content-Length",
                )
        if self.compare_urls and len(self.urls) != 2:
            raise BadInput("bad-usage", "--compare without a file needs exactly two URLs")
        if not self.urls or len(self.urls) > 2 or (len(self.urls) == 2 and not self.compare_urls):
            raise BadInput("bad-usage", "give one URL, or two URLs with --compare")
        if len(self.urls) == 2 and len(self.concurrency) > 1:
            raise BadInput("bad-usage", "a concurrency sweep takes one URL")
        if self.saved_file is None:
            for url in self.urls:
                parse_templated_target(url)
            _ = self.variations  # parses every template and loads its files: bad input before any request
        self._check_ramp_and_abort()
        if self.cluster is not None:
            check_cluster(self.cluster)

    def _check_spec(self) -> None:
        """With --spec the base URL replaces the URL argument; the spec decides methods and bodies."""
        if self.spec is None:
            if self.base_url or self.spec_operations or self.spec_tags or self.spec_weights:
                raise BadInput("bad-usage", "--base-url, --operation, --tag and --weight go with --spec")
            return
        if self.urls:
            raise BadInput("bad-usage", "--spec takes no URL: give --base-url, or servers in the spec")
        if self.method.upper() != "GET" or self.body or self.bodies or self.compare_urls:
            raise BadInput("bad-usage", "--spec decides methods and bodies: drop --method, --body, --compare")
        if any("{{" in value for _, value in self.headers):
            raise BadInput("bad-usage", "templates in --header do not combine with --spec yet")
        object.__setattr__(self, "urls", (self.scenario.scenario.base_url,))

    @cached_property
    def scenario(self) -> ScenarioRun:
        """The --spec scenario, read and built once (bad input before any request); its modules (spec
        loading, JSON Schema) are imported only by a --spec run."""
        from senior_backend.loadtest.scenario import load_scenario
        from senior_backend.loadtest.scenario_engine import ScenarioRun

        filters = (self.spec_operations, self.spec_tags, self.spec_weights)
        return ScenarioRun(load_scenario(self.spec or "", self.base_url, *filters))

    def _check_ramp_and_abort(self) -> None:
        if not self.stages:
            return
        if len(self.concurrency) > 1:
            raise BadInput("bad-usage", "--stages is a ramp: it does not combine with a concurrency sweep")
        if self.duration is not None or self.requests is not None:
            raise BadInput("bad-usage", "--stages sets how long the run lasts: drop --duration and --requests")
        if self.warmup:
            raise BadInput("bad-usage", "--stages starts from zero load: drop --warmup (add a first stage)")
        if self.rate is None and self.concurrency_given:
            raise BadInput(
                "bad-usage",
                "--stages sets the connections of a closed-model ramp: drop --concurrency "
                "(or add --rate for an open-model ramp over --concurrency connections)",
            )
        targets = [target for _, target in self.stages]
        if self.rate is None and any(target != int(target) for target in targets):
            raise BadInput("bad-stages", "--stages targets are connections in the closed model: whole numbers")
        if self.rate is None and max(targets) < 1:
            raise BadInput("bad-stages", "--stages never reaches one connection")
        if self.rate is not None and self.rate == max(targets) == 0:
            raise BadInput("bad-stages", "--rate 0 with --stages that never rise above 0 sends nothing")

    @cached_property
    def variations(self) -> dict[str, Variation | None]:
        """Per URL, what varies between its requests (templates, cycled bodies), parsed and checked once."""
        bodies = self.bodies or (self.body,)
        return {
            url: build_variation(split_url(url)[1], self.headers, bodies, self.bodies_from) for url in self.urls
        }

    @property
    def saved_file(self) -> Path | None:
        """The saved results file to re-report, when that is what `urls` names."""
        if len(self.urls) == 1 and not _SCHEME.match(self.urls[0]) and self.urls[0].endswith(".json"):
            return Path(self.urls[0])
        return None

    @property
    def kind(self) -> str:
        """What is run: "compare" (two URLs), "sweep" (several concurrency levels) or "run"."""
        return "compare" if self.compare_urls else "sweep" if len(self.concurrency) > 1 else "run"

    def plans(self, targets: list[Target]) -> list[tuple[str, LoadPlan]]:
        """One labelled plan per (URL, concurrency level): "A"/"B" in a comparison, else `_label`."""
        shared: dict[str, Any] = dict(
            method=self.method.upper(),
            headers=self.headers,
            body=self.bodies[0] if self.bodies else self.body,
            rate=self.rate,
            duration=self.duration if self.duration or self.requests else DEFAULT_DURATION,
            requests=self.requests,
            warmup=self.warmup,
            timeout=self.timeout,
            workers=self.workers or os.cpu_count() or 1,
            insecure=self.insecure,
            stages=self.stages,
        )
        if self.spec is not None:
            shared["scenario"] = self.scenario
        levels = self.concurrency
        if self.stages:
            ramp = Ramp(self.rate or 0.0, self.stages)
            shared["duration"] = ramp.duration
            levels = self.concurrency if self.rate is not None else (int(ramp.peak),)  # closed: slots for its peak
        return [
            (
                "AB"[i] if len(targets) == 2 else self._label(level),
                LoadPlan(target, concurrency=level, variation=self.variations[url], **shared),
            )
            for i, (url, target) in enumerate(zip(self.urls, targets, strict=True))
            for level in levels
        ]

    def _label(self, level: int) -> str:
        """A run's name: `c=N` (closed), `rate R/s` (open, with `c=N` in a sweep), or the ramp."""
        if self.stages:
            return stage_label({"rate": self.rate, "stages": [{"target": t} for _, t in self.stages]})
        if self.rate is not None:
            return f"rate {self.rate:g}/s" + (f" c={level}" if len(self.concurrency) > 1 else "")
        return f"c={level}"


class RunListener(Protocol):
    """Live news of the runs as they happen (the CLI shows them on stderr)."""

    def started(self, label: str, plan: LoadPlan) -> None: ...

    def progress(self, progress: Progress) -> None: ...

    def finished(self) -> None: ...


@dataclass(frozen=True)
class RunResult:
    """One measured run: its label ("c=10", "A", "saved", ...), its numbers and its recommendations."""

    label: str
    measured: Measured
    recommendations: list[Advice]

    @property
    def results(self) -> Results:
        return self.measured.results

    @property
    def summary(self) -> dict[str, Any]:
        return self.measured.summary


@dataclass(frozen=True)
class LoadTestResult:
    """Everything a load test produced; `unreachable` says why no run reached its target, if none did."""

    kind: str
    runs: list[RunResult]
    checks: list[Check]
    comparison: dict[str, Any] | None
    sweep: Advice | None
    unreachable: Diagnostic | None

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def interrupted(self) -> bool:
        return any(run.results.interrupted for run in self.runs)

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


def run_load_test(options: LoadTestOptions, listener: RunListener | None = None) -> LoadTestResult:
    """Run (or re-read) the load test the options describe, measure each run once, derive the rest."""
    baseline = measure(load_results(options.baseline)) if options.baseline is not None else None
    unresolved: dict[str, str] = {}
    if options.saved_file is not None:
        kind, labelled = load_saved(options.saved_file)
    else:
        kind = options.kind
        if options.cluster is None:
            targets, unresolved = _resolve_all(options.urls)
            execute: Callable[..., Results] = partial(run_plan, abort_rules=options.abort_rules)
        else:  # each worker resolves the host itself: a name may only resolve inside the cluster
            targets, unresolved = [parse_templated_target(url)[0] for url in options.urls], {}
            execute = partial(
                run_on_cluster, options.cluster, workers=options.workers, abort_rules=options.abort_rules
            )
        labelled = _execute(options.plans(targets), unresolved, listener, execute)
    runs = []
    for label, results in labelled:
        measured = measure(results)
        runs.append(RunResult(label, measured, recommend(measured)))
    comparison = None
    if kind == "compare" and len(runs) == 2:
        a, b = runs[0].measured, runs[1].measured
        comparison = {"a": a.summary["url"], "b": b.summary["url"], "metrics": compare(a, b)}
    if baseline is not None:
        comparison = {
            "a": f"baseline {options.baseline}",
            "b": runs[0].summary["url"],
            "metrics": compare(baseline, runs[0].measured),
        }
    return LoadTestResult(
        kind=kind,
        runs=runs,
        checks=_checks(options, runs, baseline),
        comparison=comparison,
        sweep=sweep_advice([run.measured for run in runs])
        if kind == "sweep"
        else ramp_advice(runs[0].measured)
        if kind == "run" and runs and runs[0].results.plan.get("stages")
        else None,
        unreachable=_unreachable(runs, unresolved),
    )


def _resolve_all(urls: tuple[str, ...]) -> tuple[list[Target], dict[str, str]]:
    """Parse and resolve every URL; an unresolvable host is kept, with its reason, to be reported (exit 4)."""
    targets, unresolved = [], {}
    for url in urls:
        target = parse_templated_target(url)[0]
        try:
            target = resolve(target)
        except Unreachable as exc:
            unresolved[target.url] = exc.diagnostic.message
        targets.append(target)
    return targets, unresolved


def _execute(
    plans: list[tuple[str, LoadPlan]],
    unresolved: dict[str, str],
    listener: RunListener | None,
    execute: Callable[..., Results] = run_plan,
) -> list[tuple[str, Results]]:
    """Run the plans one after the other; stop after one that was interrupted or stopped early."""
    runs = []
    for label, plan in plans:
        if plan.target.url in unresolved:
            runs.append((label, _unresolved_results(plan)))
            continue
        if listener is None:
            results = execute(plan)
        else:
            listener.started(label, plan)
            try:
                results = execute(plan, listener.progress)
            finally:
                listener.finished()
        runs.append((label, results))
        if results.interrupted or results.stopped_early:
            break
    return runs


def _unresolved_results(plan: LoadPlan) -> Results:
    """The run that did not happen: the one name lookup, failed, counted as a `dns` error."""
    results = Results(plan.describe())
    results.series.append(Second(0, errors={"dns": 1}))
    return results


def _unreachable(runs: list[RunResult], unresolved: dict[str, str]) -> Diagnostic | None:
    """Why a run never reached its target: no response at all and every error a connection failure."""
    for run in runs:
        url = run.results.plan.get("url")
        if url in unresolved:
            return error("unreachable", unresolved[url])
        s = run.summary
        kinds = set(s["errors_by_kind"])
        if s["requests"] == 0 and s["errors"] and kinds <= CONNECT_ERRORS and not run.results.interrupted:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(s["errors_by_kind"].items()))
            return error(
                "unreachable",
                f"could not reach {s['url']}: no response to {s['errors']} attempts ({detail})",
                hint="--insecure accepts self-signed certificates" if "tls" in kinds else None,
            )
    return None


def _checks(options: LoadTestOptions, runs: list[RunResult], baseline: Measured | None) -> list[Check]:
    """The checks asked for, per run (prefixed with the run's label when there are several), then the
    baseline's; with none asked for, the failure of a run in which no request succeeded."""
    checks: list[Check] = []
    explicit = bool(
        options.thresholds or options.expect_status or options.expect_rate_limit or baseline is not None
    )
    for run in runs:
        found = [check_threshold(t, run.measured) for t in options.thresholds]
        found += [check_status(code, share, run.measured) for code, share in options.expect_status]
        if options.expect_rate_limit:
            found.append(check_rate_limit(run.measured))
        if not explicit:
            found += [c for c in [check_any_success(run.measured)] if not c.passed]
        found += [c for c in [check_stopped_early(run.measured)] if c is not None]
        found += [c for c in [check_nodes(run.measured)] if c is not None]
        if len(runs) > 1:
            found = [
                replace(c, name=f"{run.label}: {c.name}", reason=f"{run.label}: {c.reason}") for c in found
            ]
        checks += found
    if baseline is not None:
        checks += check_baseline(baseline, runs[0].measured, options.tolerance)
    return checks
