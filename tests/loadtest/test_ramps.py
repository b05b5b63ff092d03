"""`--stages`: ramps of connections (closed model) and of the arrival rate (open model) against a server with
a fixed capacity (4 requests at once, 20 ms each: 200 req/s at most, latency rising with load beyond that),
reported per stage, with the sweep's knee found on the ramp."""

from __future__ import annotations

import pytest

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.plan import LoadPlan, parse_target
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.run import LoadTestOptions
from senior_backend.loadtest.stages import Ramp, parse_stages
from senior_backend.loadtest.stats import measure, stage_rows
from tests.loadtest.conftest import load_tester, load_tester_json, saved_document, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

CAPACITY = ("--capacity", "4", "--delay-ms", "20")


@pytest.mark.quick
def test_stages_parse_and_the_ramp_is_linear_between_targets():
    stages = parse_stages("30s:50, 2m:200,500ms:0,1h:1.5")
    assert stages == ((30.0, 50.0), (120.0, 200.0), (0.5, 0.0), (3600.0, 1.5))
    ramp = Ramp(0.0, ((30.0, 50.0), (120.0, 200.0), (30.0, 0.0)))
    assert (ramp.duration, ramp.peak) == (180.0, 200.0)
    assert [ramp.level(t) for t in (0, 15, 30, 90, 150, 165, 999)] == [0, 25, 50, 125, 200, 100, 0]


@pytest.mark.quick
def test_open_ramp_arrivals_follow_the_integral_of_the_rate():
    ramp = Ramp(20.0, ((1.0, 100.0), (1.0, 300.0)))  # 60 requests in the first second, 200 in the next
    times = [ramp.arrival(k) for k in range(300)]
    sent = [t for t in times if t is not None]
    assert len(sent) == 260 and sent == sorted(sent) and sent[0] == 0.0
    assert sum(1 for t in sent if t < 1.0) == 60
    assert abs(ramp.arrival(60) - 1.0) < 1e-9
    down = Ramp(10.0, ((2.0, 0.0),))  # 10 requests in all, the last ones ever further apart
    assert len([k for k in range(20) if down.arrival(k) is not None]) == 10
    assert [ramp.offered(t) for t in (0.0, 0.5, 1.0, 2.0, 9.0)] == [0.0, 20.0, 60.0, 260.0, 260.0]


@pytest.mark.quick
def test_a_response_landing_just_past_the_ramp_counts_in_its_last_stage():
    plan = LoadPlan(parse_target("http://127.0.0.1:9/ramp"), stages=((1.0, 4.0), (1.0, 8.0))).describe()
    results = Results(plan, started_at="2026-01-01T00:00:00+00:00", elapsed=2.0004)
    for second, requests in enumerate((40, 70, 1)):  # the third "second" is the 0.4 ms past the deadline
        entry = Second(second, requests=requests, statuses={"200": requests})
        entry.latency.record(5000, requests)
        results.series.append(entry)
    rows = stage_rows(results)
    assert [row["requests"] for row in rows] == [40, 71]
    assert sum(row["requests"] for row in rows) == sum(entry.requests for entry in results.series)


@pytest.mark.quick
def test_a_sliver_of_a_second_past_the_deadline_is_no_spike_in_the_series():
    plan = LoadPlan(parse_target("http://127.0.0.1:9/run"), duration=2.0).describe()
    results = Results(plan, started_at="2026-01-01T00:00:00+00:00", elapsed=2.002)
    for second, requests in enumerate((16000, 6000, 5)):  # 5 responses in the last 2 ms
        entry = Second(second, requests=requests, statuses={"200": requests})
        entry.latency.record(3000, requests)
        results.series.append(entry)
    rows = measure(results).series
    assert [row["second"] for row in rows] == [0, 1]
    assert rows[1]["rps"] == round(6005 / 1.002, 2) and rows[1]["statuses"] == {"200": 6005}
    assert sum(row["statuses"]["200"] for row in rows) == 22005


@pytest.mark.quick
@pytest.mark.parametrize(
    ("text", "message"),
    [("30s", "is not DURATION:TARGET"), ("0s:5", "more than 0 s"), ("1x:5", "is not DURATION:TARGET")],
)
def test_bad_stages_are_bad_input(text, message):
    with pytest.raises(BadInput, match=message):
        parse_stages(text)


@pytest.mark.quick
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duration": 5.0}, "drop --duration"),
        ({"concurrency": (1, 2)}, "concurrency sweep"),
        ({"warmup": 1.0}, "drop --warmup"),
        ({"stages": ((1.0, 2.5),)}, "whole numbers"),
        ({"stages": ((1.0, 0.0),)}, "never reaches one connection"),
        ({"rate": 0.0, "stages": ((1.0, 0.0),)}, "sends nothing"),
        ({"rate": 0.0, "stages": ()}, "0 starts an open-model ramp: add --stages"),
        ({"rate": -5.0}, "greater than 0"),
    ],
)
def test_stages_that_do_not_combine_are_refused_before_any_request(options, message):
    with pytest.raises(BadInput, match=message):
        LoadTestOptions(urls=("http://127.0.0.1:1/",), **{"stages": ((1.0, 5.0),), **options})


def test_closed_ramp_reports_per_stage_and_finds_the_knee(recording_server, tmp_path):  # noqa: F811
    server = recording_server(*CAPACITY)
    saved = tmp_path / "ramp.json"
    document = load_tester_json(
        server.base_url + "/ramp", "--stages", "1s:4,2s:16,1s:16", "-w", "2", "--save", str(saved)
    )

    run = document["runs"][0]
    s = summary(document)
    assert run["label"] == "ramp 0->4->16->16 connections"
    assert server.count() == s["requests"] + s["errors"] + s["unfinished"]
    stages = run["stages"]
    assert [(r["stage"], r["from"], r["to"], r["unit"]) for r in stages] == [
        (1, 0, 4, "connections"),
        (2, 4, 16, "connections"),
        (3, 16, 16, "connections"),
    ]
    assert sum(r["requests"] for r in stages) == s["requests"]
    # below the capacity throughput follows the connections; above it, latency does
    assert stages[0]["rps"] < 160 and 150 < stages[2]["rps"] <= 215
    assert stages[2]["p50_ms"] > 2.5 * stages[0]["p50_ms"]
    knee = document["sweep"]
    assert knee["rule"] == "stops-scaling" and knee["evidence"]["unit"] == "connections"
    assert 2 < knee["evidence"]["knee"] <= 8
    assert saved_document(saved)["plan"]["stages"] == [
        {"duration": 1.0, "target": 4.0},
        {"duration": 2.0, "target": 16.0},
        {"duration": 1.0, "target": 16.0},
    ]

    page = tmp_path / "ramp.html"
    human = load_tester(str(saved), "--report", str(page))
    assert human.returncode == 0, human.stderr
    assert "stages" in human.stdout and "4 -> 16 connections" in human.stdout
    assert "throughput stops scaling at about" in human.stdout and "connections on the ramp" in human.stdout
    html = page.read_text()
    assert "closed model, ramp 0-&gt;4-&gt;16-&gt;16 connections" in html and "<h3>Stages</h3>" in html
    assert "<h2>Knee of the ramp</h2>" in html and "4 -&gt; 16 connections" in html


def test_open_ramp_sends_what_the_rate_integrates_to_and_finds_the_knee(recording_server):  # noqa: F811
    server = recording_server(*CAPACITY)
    document = load_tester_json(
        server.base_url + "/open", "--rate", "50", "--stages", "1s:150,2s:400", "-c", "64", "-w", "2"
    )

    run = document["runs"][0]
    s = summary(document)
    assert run["label"] == "ramp 50->150->400 req/s" and s["mode"] == "open"
    sent = server.count()
    assert sent == s["requests"] + s["errors"] + s["unfinished"]
    # offered: 100 in the first second, 550 in the next two; served: 200/s at most, plus the 64 in flight
    assert 450 <= sent <= 650
    first, second = run["stages"]
    assert (first["from"], first["to"], second["from"], second["to"]) == (50, 150, 150, 400)
    assert abs(first["requests"] - 100) <= 12  # under the capacity: served as offered
    assert second["rps"] <= 215 and second["p99_ms"] > 5 * first["p50_ms"]  # over it: queued
    knee = document["sweep"]
    assert knee["rule"] == "stops-scaling" and knee["evidence"]["unit"] == "req/s offered"
    assert 150 <= knee["evidence"]["knee"] <= 300


def test_an_open_ramp_down_to_zero_runs_to_its_end(recording_server):  # noqa: F811
    server = recording_server()
    document = load_tester_json(
        server.base_url + "/down", "--rate", "100", "--stages", "1s:100,1s:0", "-w", "2"
    )
    s = summary(document)
    assert 148 <= server.count() <= 150 and s["requests"] + s["unfinished"] == server.count()
    assert s["elapsed_s"] >= 1.99, "the run lasts its stages, though the last requests were sent earlier"
    assert [(r["from"], r["to"]) for r in document["runs"][0]["stages"]] == [(100, 100), (100, 0)]
    assert "rate-not-reached" not in {a["rule"] for a in document["runs"][0]["recommendations"]}


def test_an_open_ramp_from_zero_sends_what_the_rate_integrates_to(recording_server):  # noqa: F811
    """k6's ramping-arrival-rate from startRate 0: 0 -> 100 req/s in 1 s (50 requests), then 100 for 1 s."""
    server = recording_server()
    document = load_tester_json(
        server.base_url + "/zero", "--rate", "0", "--stages", "1s:100,1s:100", "-w", "2"
    )
    run, s = document["runs"][0], summary(document)
    assert run["label"] == "ramp 0->100->100 req/s" and s["mode"] == "open"
    assert 145 <= server.count() <= 150 and s["requests"] + s["unfinished"] == server.count()
    first, second = run["stages"]
    assert (first["from"], first["to"], first["unit"]) == (0, 100, "req/s")
    assert abs(first["requests"] - 50) <= 6 and abs(second["requests"] - 100) <= 6
