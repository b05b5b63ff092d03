"""Early stop judges a sliding window every 50 ms, not whole seconds: a target that starts failing a third of
a second into a run stops it well before the first second ends."""

from __future__ import annotations

import pytest

from senior_backend.loadtest.abort import AbortWatch, max_error_rate_rule, parse_abort_on
from senior_backend.loadtest.results import Second
from tests.loadtest.conftest import json_document, load_tester, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)


@pytest.mark.quick
def test_the_watch_judges_each_new_slice_over_the_sliding_window():
    watch = AbortWatch((max_error_rate_rule(0.2),), workers=2)
    assert watch.add_slice(0.05, Second(0, requests=30, statuses={"200": 30})) is None
    assert (
        watch.add_slice(0.05, Second(0, requests=10, statuses={"500": 10})) is None
    )  # same round: not judged
    stopped = watch.add_slice(0.10, Second(0, requests=5, statuses={"503": 5}))
    assert stopped is not None and stopped["at_s"] == 0.1 and stopped["rule"] == "max-error-rate"
    assert "stopped early at 0.1 s" in stopped["reason"] and "15 of 45 requests" in stopped["reason"]
    few = AbortWatch((parse_abort_on("error_rate>0"),), workers=1)
    assert few.add_slice(0.05, Second(0, requests=19, statuses={"500": 19})) is None  # under 20 requests
    # the window slides: failures more than 5 s old no longer count
    old = AbortWatch((max_error_rate_rule(0.5),), workers=1)
    assert old.add_slice(0.05, Second(0, requests=100, statuses={"500": 100})) is not None
    old = AbortWatch((max_error_rate_rule(0.5),), workers=1)
    old.slices.append((0.05, Second(0, requests=100, statuses={"500": 100})))
    assert old.add_slice(5.1, Second(5, requests=100, statuses={"200": 100})) is None


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_target_failing_after_a_third_of_a_second_stops_the_run_within_a_fifth_of_a_second(
    recording_server,  # noqa: F811
    workers,
):
    server = recording_server("--fail-after-first-s", "0.3")
    done = load_tester(
        server.base_url + "/soon", "-d", "10", "-c", "4", "-w", workers, "--max-error-rate", "0.2", "--json"
    )
    assert done.returncode == 1, done.stderr
    document = json_document(done.stdout)
    stopped = document["runs"][0]["results"]["stopped_early"]
    # 0.3 s of successes, then only failures: more than 20% failed from about 0.375 s on
    assert stopped is not None and 0.3 < stopped["at_s"] < 0.6, stopped
    assert summary(document)["elapsed_s"] < 0.7
    statuses = summary(document)["statuses"]
    assert statuses.get("500", 0) > 0 and statuses.get("200", 0) > 0
