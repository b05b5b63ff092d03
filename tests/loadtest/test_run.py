"""The use case called directly (no click, no subprocess): options validated on construction, and a real
A/B run against the fault server whose numbers, checks and recommendations match what the server saw."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput
from senior_backend.common.json_schemas import validation_errors
from senior_backend.loadtest import stats
from senior_backend.loadtest.checks import parse_expect_status, parse_threshold
from senior_backend.loadtest.html import render_html
from senior_backend.loadtest.report import print_report, to_json
from senior_backend.loadtest.results import Results, save_results
from senior_backend.loadtest.run import LoadTestOptions, run_load_test
from tests.loadtest.conftest import saved_document


@pytest.mark.quick
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"urls": ()}, "give one URL"),
        ({"urls": ("http://127.0.0.1:1/", "http://127.0.0.1:2/")}, "two URLs with --compare"),
        ({"urls": ("http://127.0.0.1:1/",), "compare_urls": True}, "exactly two URLs"),
        (
            {
                "urls": ("http://127.0.0.1:1/", "http://127.0.0.1:2/"),
                "compare_urls": True,
                "concurrency": (1, 2),
            },
            "a concurrency sweep takes one URL",
        ),
        ({"urls": ("ftp://127.0.0.1/",)}, "invalid URL"),
        ({"urls": ("http://127.0.0.1:1/",), "concurrency": (10, 0)}, "--concurrency"),
        ({"urls": ("http://127.0.0.1:1/",), "duration": float("nan")}, "--duration"),
        ({"urls": ("http://127.0.0.1:1/",), "workers": 0}, "--workers"),
        ({"urls": ("http://127.0.0.1:1/",), "requests": 0}, "--requests"),
        ({"urls": ("http://127.0.0.1:1/",), "tolerance": -1.0}, "--tolerance"),
        ({"urls": ("http://127.0.0.1:1/",), "method": "get it"}, "--method"),
        ({"urls": ("http://127.0.0.1:1/",), "method": "head"}, "HEAD is not supported"),
        ({"urls": ("http://127.0.0.1:1/",), "headers": (("X-Ok", "a\r\nb"),)}, "--header 'X-Ok'"),
    ],
)
def test_options_are_validated_on_construction(options, message):
    with pytest.raises(BadInput) as caught:
        LoadTestOptions(**options)
    assert message in caught.value.diagnostic.message


@pytest.mark.quick
def test_a_missing_baseline_is_bad_input_before_any_request(tmp_path):
    options = LoadTestOptions(urls=("http://127.0.0.1:1/",), baseline=tmp_path / "none.json")
    with pytest.raises(BadInput, match="no such file"):
        run_load_test(options)


def test_an_ab_run_counts_what_the_server_served_and_fails_the_checks_it_should(
    fault_server, tmp_path: Path, monkeypatch
):
    summarize, summaries = stats.summarize, []

    def counted(results: Results) -> dict:
        summaries.append(results)
        return summarize(results)

    monkeypatch.setattr(stats, "summarize", counted)
    unique = time.monotonic_ns()
    path_a, path_b = f"/direct-a-{unique}", f"/direct-b-{unique}"
    options = LoadTestOptions(
        urls=(fault_server.base_url + path_a, fault_server.base_url + path_b + "?status=503"),
        compare_urls=True,
        concurrency=(3,),
        requests=240,
        workers=1,
        thresholds=(parse_threshold("p99<10s"), parse_threshold("rps>10000000")),
        expect_status=(parse_expect_status("200"),),
    )

    result = run_load_test(options)

    served = fault_server.stats()["by_path"]
    a, b = result.runs
    assert (result.kind, a.label, b.label) == ("compare", "A", "B")
    assert a.summary["requests"] == served[path_a] == 240 and a.summary["statuses"] == {"200": 240}
    assert b.summary["requests"] == served[path_b] == 240 and b.summary["statuses"] == {"503": 240}
    assert a.summary["errors"] == b.summary["errors"] == 0 and a.results.latency.total == 240
    assert sum(row["statuses"].get("503", 0) for row in b.measured.series) == 240
    assert not result.interrupted and result.unreachable is None and not result.passed
    failed = {check.name: check for check in result.failed_checks}
    assert set(failed) == {"A: threshold rps>10000000", "B: threshold rps>10000000", "B: expect-status 200"}
    assert failed["A: threshold rps>10000000"].evidence["actual"] == a.summary["rps"] < 10_000_000
    assert failed["B: expect-status 200"].evidence["share"] == 0.0
    assert {(c.rule, c.level.value) for c in failed.values()} == {
        ("threshold", "error"),
        ("expect-status", "error"),
    }
    server_errors = next(r for r in b.recommendations if r.problem.rule == "server-errors")
    assert (
        server_errors.evidence == {"count": 240, "share": 1.0}
        and server_errors.problem.level.value == "error"
    )
    assert not [r for r in a.recommendations if r.problem.rule == "server-errors"]
    assert [m["metric"] for m in result.comparison["metrics"]][:2] == ["rps", "mean"]
    assert result.comparison["b"] == fault_server.base_url + path_b + "?status=503"

    document = to_json(result)
    print_report(Output("table", stdout=io.StringIO(), stderr=io.StringIO()), result)
    render_html(result)
    assert len(summaries) == 2, "each run is summarized once, however many checks and reports read it"
    assert validation_errors(document, "loadtest-run") == []
    old_vocabulary = to_json(result)
    advice = old_vocabulary["runs"][1]["recommendations"][0]
    advice["kind"] = advice.pop("rule")
    assert "runs/1/recommendations/0: 'rule' is a required property" in validation_errors(
        old_vocabulary, "loadtest-run"
    )

    saved = tmp_path / "ab.json"
    save_results(saved, result.kind, [(run.label, run.results) for run in result.runs])
    assert saved_document(saved)["kind"] == "compare"
    again = run_load_test(LoadTestOptions(urls=(str(saved),), thresholds=options.thresholds))
    assert [run.summary for run in again.runs] == [run.summary for run in result.runs]
    assert again.comparison == result.comparison and len(again.failed_checks) == 2
