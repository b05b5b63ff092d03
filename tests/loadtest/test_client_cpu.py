"""The load generator measures its own CPU and warns when it was the bottleneck: then the numbers measure the
client, not the server."""

from __future__ import annotations

import pytest

from senior_backend.loadtest import cpu
from senior_backend.loadtest.advice import recommend
from senior_backend.loadtest.plan import LoadPlan, parse_target
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.stats import measure
from tests.loadtest.conftest import advice_rules, json_document, load_tester, load_tester_json
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)


def _run_with_client(client: dict) -> Results:
    results = Results(LoadPlan(parse_target("http://127.0.0.1:9/")).describe(), elapsed=2.0, client=client)
    for second in range(2):
        entry = Second(second, requests=10, statuses={"200": 10})
        entry.latency.record(1000, 10)
        results.latency.record(1000, 10)
        results.series.append(entry)
    return results


@pytest.mark.quick
def test_a_cpu_bound_client_is_a_warning_and_an_idle_one_is_not():
    busy = {"workers": 2, "cpu_seconds": 3.1, "busiest_cpu": 0.78, "busiest_demand": 0.97}
    advice = [a for a in recommend(measure(_run_with_client(busy))) if a.problem.rule == "client-saturated"]
    assert len(advice) == 1 and advice[0].problem.level.value == "warning"
    assert "ran 78% of the run and waited for a CPU 19%" in advice[0].text()
    assert "the numbers measure the client, not the server" in advice[0].text()
    idle = {"workers": 2, "cpu_seconds": 0.2, "busiest_cpu": 0.05, "busiest_demand": 0.3}
    assert "client-saturated" not in {a.problem.rule for a in recommend(measure(_run_with_client(idle)))}
    assert "client-saturated" not in {a.problem.rule for a in recommend(measure(_run_with_client({})))}


@pytest.mark.quick
def test_usage_of_one_worker_and_merged_workers():
    start = cpu.CpuSample(cpu_ns=1_000_000_000, wait_ns=0, wall_ns=0)
    end = cpu.CpuSample(cpu_ns=1_600_000_000, wait_ns=300_000_000, wall_ns=1_000_000_000)
    one = cpu.usage(start, end)
    assert one == {"workers": 1, "cpu_seconds": 0.6, "busiest_cpu": 0.6, "busiest_demand": 0.9}
    other = {"workers": 1, "cpu_seconds": 0.1, "busiest_cpu": 0.1, "busiest_demand": 0.95}
    assert cpu.merge_usage(one, other) == {
        "workers": 2,
        "cpu_seconds": 0.7,
        "busiest_cpu": 0.6,
        "busiest_demand": 0.95,
    }
    assert cpu.merge_usage({}, other) == other


@pytest.mark.slow
def test_a_saturated_load_generator_says_so(recording_server):  # noqa: F811
    server = recording_server()
    # each request makes the client draw 4000 random numbers: it, not the server, is the bottleneck
    heavy = " ".join(["{{randint 1 9}}"] * 4000)
    done = load_tester(
        server.base_url + "/cheap", "-m", "POST", "--body", heavy, "-c", "8", "-w", "1", "-d", "1.5"
    )
    assert done.returncode == 0, done.stderr
    assert "the load generator was CPU-bound" in done.stdout
    assert "the numbers measure the client, not the server" in done.stdout
    document = json_document(
        load_tester(
            server.base_url + "/cheap",
            "-m",
            "POST",
            "--body",
            heavy,
            "-c",
            "8",
            "-w",
            "1",
            "-d",
            "1.5",
            "--json",
        ).stdout
    )
    client = document["runs"][0]["results"]["client"]
    assert client["workers"] == 1 and client["busiest_demand"] >= 0.9 and client["cpu_seconds"] > 0
    assert "client-saturated" in advice_rules(document)


@pytest.mark.slow
def test_a_light_load_leaves_the_client_idle_and_unwarned(recording_server):  # noqa: F811
    server = recording_server()
    document = load_tester_json(server.base_url + "/light", "--rate", "20", "-d", "1.5", "-w", "2")
    client = document["runs"][0]["results"]["client"]
    assert client["workers"] == 2 and client["busiest_cpu"] < 0.5
    assert "client-saturated" not in advice_rules(document)
