"""`--max-error-rate` and `--abort-on` stop a run early (exit 1, saying why) when the target is already failing,
in both models; a healthy target runs to the end."""

from __future__ import annotations

import pytest

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.abort import AbortWatch, max_error_rate_rule, parse_abort_on
from senior_backend.loadtest.results import Second
from tests.loadtest.conftest import json_document, load_tester, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)


@pytest.mark.quick
@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("p99>2s", "p99", ">", 2000.0),
        ("P95 >= 500ms", "p95", ">=", 500.0),
        ("p50>1500us", "p50", ">", 1.5),
        ("mean>0.25s", "mean", ">", 250.0),
        ("error_rate>10%", "error_rate", ">", 0.1),
        ("error_rate>=0.3", "error_rate", ">=", 0.3),
    ],
)
def test_abort_conditions_parse_with_units(text, metric, op, value):
    rule = parse_abort_on(text)
    assert (rule.metric, rule.op) == (metric, op) and rule.value == pytest.approx(value)


@pytest.mark.quick
@pytest.mark.parametrize("text", ["p99<2s", "p98>1s", "error_rate>5ms", "p99>10%", "error_rate>1.5", "rps>3"])
def test_bad_abort_conditions_are_bad_input(text):
    with pytest.raises(BadInput, match="invalid --abort-on"):
        parse_abort_on(text)


@pytest.mark.quick
def test_the_watch_judges_complete_seconds_of_all_workers_over_a_window():
    watch = AbortWatch((max_error_rate_rule(0.2),), workers=2)
    assert watch.add(Second(0, requests=40, statuses={"200": 40})) is None
    assert watch.add(Second(0, requests=40, statuses={"200": 30, "503": 10})) is None  # 10 of 80 failed
    assert (
        watch.add(Second(1, requests=5, statuses={"500": 5}, errors={"reset": 30})) is None
    )  # half a second
    stopped = watch.add(Second(1, requests=10, statuses={"200": 10}))
    assert stopped is not None and stopped["rule"] == "max-error-rate" and stopped["at_s"] == 2.0
    assert "45 of 125 requests got no response or a 5xx" in stopped["reason"]
    few = AbortWatch((parse_abort_on("error_rate>0"),), workers=1)
    assert few.add(Second(0, errors={"refused": 3})) is None  # too few requests to judge


def test_max_error_rate_stops_a_closed_run_against_a_failing_server(recording_server):  # noqa: F811
    server = recording_server("--status", "503")
    done = load_tester(
        server.base_url + "/down", "-d", "20", "-c", "4", "-w", "1", "--max-error-rate", "0.2", "--json"
    )
    assert done.returncode == 1, done.stderr
    document = json_document(done.stdout)
    s = summary(document)
    assert s["elapsed_s"] < 3 and not document["interrupted"]
    stopped = document["runs"][0]["results"]["stopped_early"]
    assert stopped["rule"] == "max-error-rate" and stopped["condition"] == "0.2"
    assert "error_rate 100.0% > 20.0%" in stopped["reason"]
    check = next(c for c in document["checks"] if c["rule"] == "early-stop")
    assert not check["passed"] and check["level"] == "error"
    assert "error: check failed: stopped early at" in done.stderr and "--max-error-rate 0.2" in done.stderr
    assert server.count() == s["requests"] + s["errors"] + s["unfinished"]


def test_abort_on_latency_stops_an_open_run_against_a_slow_server(recording_server):  # noqa: F811
    server = recording_server("--capacity", "1", "--delay-ms", "20")  # 50 req/s at most, 100 offered
    done = load_tester(
        server.base_url + "/slow",
        "--rate",
        "100",
        "-d",
        "20",
        "-c",
        "20",
        "-w",
        "2",
        "--abort-on",
        "p99>0.1s",
    )
    assert done.returncode == 1, done.stderr
    assert "stopped early at" in done.stdout and "p99" in done.stdout and "> 100.0 ms" in done.stdout
    assert "--abort-on p99>0.1s" in done.stderr and "Traceback" not in done.stderr


def test_a_healthy_target_runs_to_the_end(recording_server):  # noqa: F811
    server = recording_server()
    done = load_tester(
        server.base_url + "/fine",
        "-d",
        "1.5",
        "-c",
        "2",
        "-w",
        "1",
        "--abort-on",
        "p99>2s",
        "--abort-on",
        "error_rate>1%",
        "--max-error-rate",
        "0.01",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    document = json_document(done.stdout)
    assert summary(document)["elapsed_s"] >= 1.49 and document["runs"][0]["results"]["stopped_early"] is None
    assert not [c for c in document["checks"] if c["rule"] == "early-stop"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--abort-on", "p99<2s"], "invalid --abort-on"),
        (["--max-error-rate", "1.5"], "--max-error-rate must be a fraction"),
        (["--stages", "10s"], "invalid --stages"),
    ],
)
def test_bad_early_stop_options_are_one_line_and_exit_2(args, message):
    done = load_tester("http://127.0.0.1:1/", *args)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_ramp_stops_once_the_rising_load_breaks_the_latency_limit(recording_server):  # noqa: F811
    server = recording_server("--capacity", "4", "--delay-ms", "20")  # latency ~ connections / 4 * 20 ms
    done = load_tester(
        server.base_url + "/ramp", "--stages", "6s:60", "-w", "2", "--abort-on", "p99>100ms", "--json"
    )
    assert done.returncode == 1, done.stderr
    document = json_document(done.stdout)
    s = summary(document)
    stopped = document["runs"][0]["results"]["stopped_early"]
    # the mean passes 100 ms at 20 connections (2 s); the p99 of the unfair queue, judged every 50 ms, sooner
    assert stopped["rule"] == "abort-on" and 1 <= stopped["at_s"] <= 5 and s["elapsed_s"] < 5.5
    assert document["runs"][0]["stages"][0]["to"] == 60 and not document["interrupted"]
    assert server.count() == s["requests"] + s["errors"] + s["unfinished"]
