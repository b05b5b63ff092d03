"""Servers that close keep-alive connections, interim (1xx) responses, and a warmup before a request budget.

A server may close a connection it finds idle (nginx's `keepalive_timeout`, Node's 5 s keepAliveTimeout):
that is no failed request, and the next request opens a new connection on its schedule. A request sent on a
reused connection that the server closed before answering a byte (the keep-alive race) is sent again once,
on a fresh connection. Every count stays exact: the responses, errors and unfinished requests add up to what
the server received.
"""

from __future__ import annotations

import statistics
from itertools import pairwise
from pathlib import Path

import pytest

from tests.loadtest.conftest import load_tester_json, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)


def _exact(server, s: dict, warmup: int = 0) -> None:
    received = server.count()
    assert received == warmup + s["requests"] + s["errors"] + s["unfinished"], (received, s)


@pytest.mark.parametrize(
    ("workers", "close"), [("1", ()), ("2", ()), ("1", ("--idle-408",))], ids=["1-worker", "2-workers", "408"]
)
def test_open_model_idle_closes_are_not_errors_and_sends_stay_on_schedule(recording_server, workers, close):  # noqa: F811
    # each of the 10 connections sends once a second; the server closes a connection idle for 0.3 s
    # (with "408": saying so first with an unsolicited 408, which answers no request)
    server = recording_server("--idle-close-s", "0.3", *close)
    s = summary(
        load_tester_json(server.base_url + "/idle", "--rate", "10", "-c", "10", "-d", "3", "-w", workers)
    )
    assert s["errors"] == 0, s["errors_by_kind"]
    assert s["statuses"] == {"200": 30} and s["unfinished"] == 0
    assert s["latency_ms"]["min"] >= 0
    assert s["rps"] == pytest.approx(10, rel=0.05)
    arrivals = sorted(r["at"] for r in server.received())
    assert len(arrivals) == 30
    # one every 100 ms: none skipped (no long gap), none sent twice (30 in all), none bunched; one send the
    # loop ran late (a busy machine) can land a few ms before the next on-time one, so the middle is held
    gaps = sorted((b - a) / 1e6 for a, b in pairwise(arrivals))
    assert 80 < statistics.median(gaps) < 120 and gaps[len(gaps) // 5] > 50 and gaps[-1] < 250, gaps


@pytest.mark.parametrize(
    "close", [(), ("tls",), ("tls", "--tls-garbage-close")], ids=["http", "https", "https-bad-record"]
)
@pytest.mark.parametrize("model", [(), ("--rate", "200")], ids=["closed", "open"])
def test_a_reused_connection_closed_before_the_response_is_retried_once(recording_server, model, close):  # noqa: F811
    # the server closes each connection silently right after its 3rd response: the client has often
    # sent the next request already; sent again on a fresh connection, it is neither lost nor an error.
    # Over TLS the close comes without close_notify, or after a record the client cannot decrypt (a
    # TLS-level error, which was counted as a failed request before)
    tls = bool(close)
    server = recording_server("--close-after", "3", *close[1:], tls=tls)
    insecure = ("--insecure",) if tls else ()
    s = summary(
        load_tester_json(server.base_url + "/race", "-c", "2", "-n", "90", "-w", "1", *model, *insecure)
    )
    assert s["errors"] == 0, s["errors_by_kind"]
    assert s["statuses"] == {"200": 90} and s["unfinished"] == 0
    assert s["latency_ms"]["min"] >= 0
    _exact(server, s)


def test_a_request_that_is_not_idempotent_is_not_sent_twice(recording_server):  # noqa: F811
    server = recording_server("--close-after", "3")
    s = summary(
        load_tester_json(
            server.base_url + "/post",
            "-c",
            "2",
            "-n",
            "60",
            "-w",
            "1",
            "--method",
            "POST",
            "--body",
            "{}",
            expect_code=None,
        )
    )
    assert set(s["errors_by_kind"]) <= {"reset"}
    assert set(s["statuses"]) == {"200"}
    assert server.count() == s["requests"]  # what failed in the race never reached the server: never resent


@pytest.mark.parametrize("codes", ["103", "100", "100,103"])
def test_interim_responses_are_skipped_and_latency_runs_to_the_final_response(recording_server, codes):  # noqa: F811
    server = recording_server("--informational", codes, "--delay-ms", "40")
    s = summary(load_tester_json(server.base_url + "/hints", "-c", "2", "-n", "20", "-w", "1"))
    assert s["statuses"] == {"200": 20} and s["errors"] == 0
    assert s["latency_ms"]["min"] >= 40  # measured to the final response, not to the 1xx sent at once
    _exact(server, s)


@pytest.mark.parametrize("model", [(), ("--rate", "40")], ids=["closed", "open"])
def test_a_request_budget_is_measured_after_the_warmup(recording_server, model):  # noqa: F811
    server = recording_server("--delay-ms", "5")
    s = summary(
        load_tester_json(
            server.base_url + "/warm", "--warmup", "0.5", "-n", "30", "-c", "2", "-w", "1", *model
        )
    )
    assert s["requests"] == 30 and s["errors"] == 0 and s["unfinished"] == 0
    assert s["warmup_requests"] > 0
    _exact(server, s, warmup=s["warmup_requests"])


def test_a_spec_run_skips_interim_responses_and_resends_after_the_race(recording_server):  # noqa: F811
    server = recording_server("--informational", "103", "--close-after", "3")
    document = load_tester_json(
        "--spec",
        str(Path(__file__).parent / "specs" / "things.yaml"),
        "--base-url",
        server.base_url,
        "--operation",
        "listThings",
        "-n",
        "60",
        "-c",
        "2",
        "-w",
        "1",
    )
    s = summary(document)
    assert s["statuses"] == {"200": 60} and s["errors"] == 0
    listed = document["runs"][0]["results"]["operations"]["listThings"]
    assert listed["statuses"] == {"200": 60} and not listed.get("errors")
    _exact(server, s)
