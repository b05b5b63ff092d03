"""Bad input and faults: each counted and reported with the right exit code, never a crash or a hang."""

from __future__ import annotations

import socket
import time

import pytest

from tests.loadtest.conftest import advice_rules, json_document, load_tester, load_tester_json, summary


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not a url"], "invalid URL"),
        (["ftp://127.0.0.1/x"], "invalid URL"),
        (["http://127.0.0.1:99999/"], "invalid URL"),
        (["http://127.0.0.1:1/", "-c", "0"], "--concurrency"),
        (["http://127.0.0.1:1/", "-c", "10,x"], "--concurrency"),
        (["http://127.0.0.1:1/", "--duration", "0"], "--duration"),
        (["http://127.0.0.1:1/", "--threshold", "p99<<3"], "invalid threshold"),
        (["http://127.0.0.1:1/", "--expect-status", "99"], "--expect-status"),
        (["http://127.0.0.1:1/", "--header", "no colon"], "--header"),
        (["http://127.0.0.1:1/", "--method", "GE T"], "--method"),
        (["http://127.0.0.1:1/", "http://127.0.0.1:2/"], "two URLs with --compare"),
        (["http://127.0.0.1:1/", "--compare"], "exactly two URLs"),
        (["http://127.0.0.1:1/", "--compare", "/nonexistent/base.json"], "no such file"),
        (["http://127.0.0.1:1/", "--body", "@/nonexistent/body.json"], "cannot read --body"),
        (["http://127.0.0.1:1/", "-d", "nan"], "--duration"),
        (["http://127.0.0.1:1/", "--timeout", "inf"], "--timeout"),
        (["http://127.0.0.1:1/", "--warmup", "nan"], "--warmup"),
        (["http://127.0.0.1:1/", "--rate", "inf"], "--rate"),
        (["http://127.0.0.1:1/", "--tolerance", "nan"], "--tolerance"),
        (["http://127.0.0.1:1/", "--save", "/nonexistent/d/x.json"], "--save"),
        (["http://127.0.0.1:1/", "--report", "/nonexistent/r.html"], "--report"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    done = load_tester("-d", "1", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")


def test_unresolvable_host_prints_the_report_then_exits_4():
    done = load_tester("http://no-such-host.invalid/", "-d", "1", "--json")
    assert done.returncode == 4 and "cannot resolve host" in done.stderr and "Traceback" not in done.stderr
    s = summary(json_document(done.stdout))
    assert s["requests"] == 0 and s["errors_by_kind"] == {"dns": 1}
    table = load_tester("http://no-such-host.invalid/", "-d", "1")
    assert table.returncode == 4 and "error: dns" in table.stdout and "cannot resolve host" in table.stderr


def test_unwritable_save_or_report_fails_before_any_request(fault_server):
    path = f"/unwritable-{time.monotonic_ns()}"
    for option, target in (("--save", "/nonexistent/d/x.json"), ("--report", "/nonexistent/r.html")):
        started = time.monotonic()
        done = load_tester(fault_server.base_url + path, "-d", "2", option, target)
        assert done.returncode == 2 and done.stderr.startswith(f"error: {option}"), done.stderr
        assert time.monotonic() - started < 2
    assert path not in fault_server.stats()["by_path"]


def test_refused_connections_are_counted_then_exit_4():
    document = load_tester_json(
        f"http://127.0.0.1:{closed_port()}/", "-d", "1", "-c", "2", "-w", "1", expect_code=4
    )
    s = summary(document)
    assert s["requests"] == 0 and s["errors_by_kind"].get("refused", 0) >= 10


@pytest.mark.parametrize(
    ("query", "kind"), [("reset=1", "reset"), ("reset_mid=1", "reset"), ("malformed=1", "protocol")]
)
def test_broken_responses_are_counted_by_kind(fault_server, query, kind):
    done = load_tester(f"{fault_server.base_url}/fault?{query}", "-d", "1", "-c", "4", "-w", "1", "--json")
    assert done.returncode == 1 and done.stderr.splitlines()[-1].startswith(
        "error: check failed: no request succeeded"
    ), done.stderr
    document = json_document(done.stdout)
    s = summary(document)
    assert s["requests"] == 0 and s["errors_by_kind"] == {kind: s["errors"]} and s["errors"] >= 10
    assert "connection-errors" in advice_rules(document)


def test_a_server_that_stops_answering_times_out_and_the_run_ends(fault_server):
    started = time.monotonic()
    document = load_tester_json(
        f"{fault_server.base_url}/stall?stall=1",
        *("-d", "1.2", "-c", "3", "--timeout", "0.5", "-w", "1"),
        expect_code=1,
    )
    assert time.monotonic() - started < 8
    s = summary(document)
    assert s["errors_by_kind"].get("timeout", 0) >= 3 and s["requests"] == 0


def test_connection_close_and_chunked_responses_are_served(fault_server):
    document = load_tester_json(
        f"{fault_server.base_url}/c?close=1&chunked=1&body_bytes=300", "-n", "200", "-c", "4"
    )
    s = summary(document)
    assert s["requests"] == 200 and s["errors"] == 0 and s["bytes_in"] > 200 * 300


def test_responses_delimited_by_closing_the_connection(precise_server_factory):
    server = precise_server_factory("--close-delimited")
    document = load_tester_json(server.base_url + "/old", "-n", "60", "-c", "3")
    s = summary(document)
    assert s["statuses"] == {"200": 60} and s["errors"] == 0 and s["bytes_in"] >= 60 * 2


def test_warmup_is_run_but_not_measured(fault_server):
    path = f"/warm-{time.monotonic_ns()}"
    document = load_tester_json(
        fault_server.base_url + path + "?delay_ms=2", "-d", "1", "--warmup", "1", "-c", "4"
    )
    s = summary(document)
    assert s["warmup_requests"] > 100 and s["requests"] > 100 and 0.9 <= s["elapsed_s"] <= 1.6
    served = fault_server.stats()["by_path"][path]
    assert served == s["warmup_requests"] + s["requests"] + s["errors"] + s["unfinished"]


@pytest.mark.quick
def test_error_kinds():
    import ssl

    from senior_backend.loadtest.connection import error_kind

    assert error_kind(ConnectionRefusedError()) == "refused"
    assert error_kind(ConnectionResetError()) == "reset" and error_kind(None) == "reset"
    assert error_kind(TimeoutError()) == "timeout"
    assert error_kind(socket.gaierror()) == "dns"
    assert error_kind(ssl.SSLCertVerificationError()) == "tls"
    assert error_kind(OSError(113, "No route to host")) == "connect"


def test_the_run_ends_at_the_deadline_and_abandons_requests_in_flight(fault_server):
    started = time.monotonic()
    done = load_tester(f"{fault_server.base_url}/stall?stall=1", "-d", "0.5", "-c", "3", "-w", "1", "--json")
    wall = time.monotonic() - started
    assert done.returncode == 1 and "no request succeeded" in done.stderr and "3 unfinished" in done.stderr
    assert wall < 5, f"the run took {wall:.1f} s for --duration 0.5 (it waited for --timeout)"
    s = summary(json_document(done.stdout))
    assert s["unfinished"] == 3 and s["errors"] == 0 and s["requests"] == 0
    assert 0.45 <= s["elapsed_s"] <= wall


def test_slow_responses_after_the_deadline_are_unfinished_not_latencies(fault_server):
    started = time.monotonic()
    document = load_tester_json(
        f"{fault_server.base_url}/slow?delay_ms=3000", "-d", "0.5", "-c", "2", "-w", "1", expect_code=None
    )
    assert time.monotonic() - started < 3
    s = summary(document)
    assert s["unfinished"] == 2 and s["requests"] == 0 and s["errors"] == 0


def test_a_run_where_no_request_succeeded_fails_unless_a_check_is_given(fault_server):
    url = f"{fault_server.base_url}/down?status=500"
    done = load_tester(url, "-d", "0.5", "-c", "2", "-w", "1")
    assert done.returncode == 1, done.stderr
    assert (
        done.stderr.strip().splitlines()[-1].startswith("error: check failed: no request succeeded")
        and "500:" in done.stderr
    )
    assert "FAIL" in done.stdout and "500" in done.stdout
    expected = load_tester_json(url, "-d", "0.5", "-c", "2", "-w", "1", "--expect-status", "500")
    assert expected["passed"] and summary(expected)["statuses"].keys() == {"500"}


def test_partial_failures_exit_0_but_are_reported_and_checkable(fault_server):
    url = f"{fault_server.base_url}/partial?rate_limit=20&delay_ms=2"
    document = load_tester_json(url, "-d", "1", "-c", "2", "-w", "1")
    statuses = summary(document)["statuses"]
    assert statuses.get("200", 0) >= 1 and statuses.get("429", 0) >= 1 and document["passed"]
    strict = load_tester(url, "-d", "1", "-c", "2", "-w", "1", "--threshold", "non2xx<1%")
    assert strict.returncode == 1 and "non2xx" in strict.stderr
