"""The open model sends every scheduled request on schedule, however few requests there are per connection,
and reports the duration asked as its elapsed time (so req/s is the rate, not the rate inflated)."""

from __future__ import annotations

import time

import pytest

from tests.loadtest.conftest import advice_rules, load_tester, load_tester_json, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "expected", "duration"),
    [
        (("--rate", "2", "-d", "2", "-w", "1"), 4, 2.0),  # 10 connections, 4 requests: most never send twice
        (("--rate", "4", "-d", "1.5", "-w", "1"), 6, 1.5),
        (("--rate", "5", "-d", "2", "-c", "20", "-w", "2"), 10, 2.0),  # two workers share the schedule
        (("--rate", "30", "-d", "1", "-c", "4", "-w", "1"), 30, 1.0),  # many sends per connection
        (("--rate", "4", "-n", "6", "-w", "1"), 6, None),  # a request budget below the connections
    ],
)
def test_every_scheduled_request_is_sent_and_the_run_lasts_the_duration(
    recording_server,  # noqa: F811
    args,
    expected,
    duration,
):
    server = recording_server()
    started = time.monotonic()
    s = summary(load_tester_json(server.base_url + "/paced", *args))
    wall = time.monotonic() - started

    assert server.count() == expected, f"the server got {server.count()} of {expected} scheduled requests"
    assert s["requests"] == expected and s["unfinished"] == 0 and s["errors"] == 0
    if duration is not None:
        assert s["elapsed_s"] == pytest.approx(duration, abs=0.05)
        assert s["rps"] == pytest.approx(expected / duration, rel=0.05)
        assert wall >= duration
    else:  # 6 sends at 4/s: the last leaves at 1.25 s
        assert 1.2 <= s["elapsed_s"] < 1.6


def test_one_request_a_second_is_one_request_a_second_and_no_cpu_warning(recording_server, tmp_path):  # noqa: F811
    server = recording_server()
    saved = tmp_path / "one.json"
    document = load_tester_json(
        server.base_url + "/one", "--rate", "1", "-d", "1", "-c", "1", "-w", "1", "--save", str(saved)
    )
    s = summary(document)
    assert server.count() == 1
    assert s["requests"] == 1 and s["elapsed_s"] == pytest.approx(1.0, abs=0.05)
    assert s["rps"] == pytest.approx(1.0, rel=0.05)
    assert "client-saturated" not in advice_rules(document)
    # re-reported, the run keeps its load-model headline, in the right number
    again = load_tester(str(saved))
    assert again.returncode == 0, again.stderr
    headline = again.stdout.splitlines()[0]
    assert headline.startswith("rate 1/s ") and "over 1 connection," in headline
    assert "(open model at 1 req/s over 1 connection, 1 worker process)" in headline
    assert load_tester_json(str(saved))["runs"][0]["label"] == "rate 1/s"
