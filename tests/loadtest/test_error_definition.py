"""`errors` means one thing: a request that failed, with no response or with a 5xx. `--threshold 'errors<1%'`,
`--max-error-rate`, the summary line and the JSON summary's `failed` all count it so; `non2xx` stays separate."""

from __future__ import annotations

import pytest

from senior_backend.loadtest.checks import check_threshold, parse_threshold
from senior_backend.loadtest.plan import LoadPlan, parse_target
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.stats import measure
from tests.loadtest.conftest import json_document, load_tester, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)


@pytest.mark.quick
def test_the_errors_threshold_counts_no_response_and_5xx_but_not_4xx():
    results = Results(LoadPlan(parse_target("http://127.0.0.1:9/")).describe(), elapsed=1.0)
    entry = Second(0, requests=100, statuses={"200": 90, "404": 4, "503": 6}, errors={"reset": 4})
    entry.latency.record(1000, 100)
    results.latency.record(1000, 100)
    results.series.append(entry)
    run = measure(results)
    assert run.summary["failed"] == 10 and run.summary["failed_rate"] == pytest.approx(10 / 104)
    assert not check_threshold(parse_threshold("errors<5%"), run).passed
    assert check_threshold(parse_threshold("errors<=10"), run).passed
    assert not check_threshold(parse_threshold("errors<10"), run).passed
    assert "9.62% (10 of 104)" in check_threshold(parse_threshold("errors<5%"), run).reason


@pytest.mark.slow
def test_half_the_requests_answered_500_fails_errors_below_one_percent(recording_server):  # noqa: F811
    server = recording_server("--fail-every", "2")
    done = load_tester(
        server.base_url + "/half", "-d", "0.5", "-c", "2", "-w", "1", "--threshold", "errors<1%", "--json"
    )
    assert done.returncode == 1, done.stderr
    document = json_document(done.stdout)
    s = summary(document)
    assert s["failed"] == s["statuses"]["500"] and s["errors"] == 0
    assert s["failed_rate"] == pytest.approx(0.5, abs=0.01) and s["non_2xx"] == s["failed"]
    check = next(c for c in document["checks"] if c["rule"] == "threshold")
    assert not check["passed"] and "errors<1% FAILED" in check["reason"]
    assert "errors<1% FAILED" in done.stderr

    text = load_tester(server.base_url + "/half", "-d", "0.3", "-c", "2", "-w", "1").stdout
    line = next(line for line in text.splitlines() if " responses in " in line)
    assert "errors " in line and ": 0 no response, " in line and " 5xx)" in line
    failed = int(line.split("errors ")[1].split(" ")[0].replace(",", ""))
    non_2xx = int(line.split("non-2xx ")[1].split(";")[0].replace(",", ""))
    assert failed == non_2xx > 0
