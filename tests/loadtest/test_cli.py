"""The CLI end to end against local servers: checks, comparisons, sweeps, saved runs, reports, interrupts, TLS."""

from __future__ import annotations

import base64
import io
import os
import signal
import subprocess
import sys
import time

import pytest

from senior_backend.loadtest.report import ProgressLine
from senior_backend.loadtest.results import Second
from senior_backend.loadtest.runner import Progress, ProgressMerger
from tests.conftest import REPO
from tests.loadtest.conftest import (
    advice_rules,
    json_document,
    load_tester,
    load_tester_json,
    saved_document,
    summary,
)
from tests.loadtest.recording import self_signed_certificate

pytestmark = pytest.mark.slow


def test_thresholds_pass_and_fail_with_reasons(fault_server):
    url = fault_server.base_url + "/th?delay_ms=10"
    ok = load_tester(
        url,
        "-d",
        "1",
        "-c",
        "4",
        "--threshold",
        "p99<200ms",
        "--threshold",
        "errors<1%",
        "--threshold",
        "rps>50",
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("PASS") == 3
    bad = load_tester(url, "-d", "1", "-c", "4", "--threshold", "p50<5ms", "--threshold", "rps>100000")
    assert bad.returncode == 1
    assert "check failed: p50<5ms FAILED: p50 was" in bad.stderr and "rps>100000 FAILED" in bad.stderr


def test_expect_status(fault_server):
    url = fault_server.base_url + "/users?status=400"
    document = load_tester_json(
        url, "-m", "POST", "--body", '{"email": "not-an-email"}', "-n", "50", "--expect-status", "400"
    )
    assert document["passed"] and summary(document)["statuses"] == {"400": 50}
    wrong = load_tester(fault_server.base_url + "/users", "-n", "20", "--expect-status", "400")
    assert wrong.returncode == 1 and "expected status 400 for 100% of requests: got 0.00%" in wrong.stderr
    mixed = load_tester_json(
        fault_server.base_url + "/mix?rate_limit=10", "-n", "200", "-c", "4", "--expect-status", "429:50%"
    )
    assert mixed["passed"], mixed["checks"]


def test_expect_rate_limit(fault_server):
    limited = load_tester_json(
        fault_server.base_url + "/login?rate_limit=50", "-c", "8", "-d", "1.5", "--expect-rate-limit"
    )
    check = limited["checks"][0]
    assert check["passed"] and check["evidence"]["began_at_s"] < 1.0
    assert (
        check["evidence"]["headers"]["Retry-After"] == ["1"]
        and "RateLimit-Limit" in check["evidence"]["headers"]
    )
    assert check["evidence"]["rps_then"] > 50
    assert "rate-limited" in advice_rules(limited)
    free = load_tester(fault_server.base_url + "/free", "-c", "4", "-d", "1", "--expect-rate-limit")
    assert free.returncode == 1 and "no rate limiting seen" in free.stderr


def test_two_urls_compared_with_confidence_intervals(fault_server):
    fast, slow = fault_server.base_url + "/v1?delay_ms=5", fault_server.base_url + "/v2?delay_ms=25"
    document = load_tester_json(fast, slow, "--compare", "-c", "10", "-d", "2", "-w", "1")
    metrics = {m["metric"]: m for m in document["comparison"]["metrics"]}
    p50 = metrics["p50"]
    assert p50["significant"] and p50["ci95"][0] > 10 and 15 < p50["diff"] < 25
    assert metrics["rps"]["diff"] < 0
    assert [r["label"] for r in document["runs"]] == ["A", "B"]


def test_baseline_regression(fault_server, tmp_json):
    url = fault_server.base_url + "/base?delay_ms=10"
    saved = load_tester(url, "-c", "5", "-d", "1.5", "-w", "1", "--save", str(tmp_json))
    assert saved.returncode == 0 and saved_document(tmp_json)["schema"] == "senior-backend/loadtest-result"
    same = load_tester(
        url, "-c", "5", "-d", "1.5", "-w", "1", "--compare", str(tmp_json), "--tolerance", "60"
    )
    assert same.returncode == 0, same.stdout + same.stderr
    slower = load_tester(
        fault_server.base_url + "/base?delay_ms=40",
        "-c",
        "5",
        "-d",
        "1.5",
        "-w",
        "1",
        "--compare",
        str(tmp_json),
    )
    assert slower.returncode == 1 and "baseline" in slower.stdout
    assert "p50" in slower.stderr and "regression beyond 10%" in slower.stderr


def test_saved_run_is_re_reported_identically(fault_server, tmp_json, tmp_path):
    first = load_tester_json(
        fault_server.base_url + "/re?delay_ms=3", "-n", "300", "-c", "3", "--save", str(tmp_json)
    )
    again = load_tester_json(str(tmp_json), "--threshold", "p50<1s")
    assert summary(again)["latency_ms"] == summary(first)["latency_ms"]
    assert summary(again)["requests"] == 300 and again["passed"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "something else"}')
    done = load_tester(str(broken))
    assert done.returncode == 2 and "not a saved load-test result" in done.stderr


def test_concurrency_sweep_finds_where_throughput_stops(precise_server_factory):
    server = precise_server_factory("--delay-ms", "10", "--serial")
    document = load_tester_json(server.base_url + "/", "-c", "1,4,8", "-d", "1.5", "-w", "1")
    assert [summary(document, i)["concurrency"] for i in range(3)] == [1, 4, 8]
    assert document["sweep"]["rule"] == "stops-scaling" and document["sweep"]["evidence"]["knee"] == 1


def test_html_report_is_self_contained(fault_server, tmp_path):
    page = tmp_path / "report.html"
    done = load_tester(
        fault_server.base_url + "/h?delay_ms=2",
        "-d",
        "1.5",
        "-c",
        "4",
        "--report",
        str(page),
        "--threshold",
        "p99<1s",
    )
    assert done.returncode == 0
    html = page.read_text()
    assert html.count("<svg") == 3 and "<polyline" in html and "latency over time" in html
    assert "<script" not in html and 'src="' not in html and "<link" not in html
    assert "PASS" in html


def test_json_output_is_one_document_and_progress_stays_off_stdout(fault_server):
    done = load_tester(fault_server.base_url + "/j", "-n", "100", "--json")
    document = json_document(done.stdout)
    assert done.returncode == 0 and summary(document)["requests"] == 100
    assert document["runs"][0]["results"]["latency"]["total"] == 100


def test_method_headers_and_body_are_sent(precise_server_factory):
    server = precise_server_factory()
    body = '{"product_id": 1}'
    done = load_tester(
        server.base_url + "/orders?x=1",
        "-m",
        "POST",
        "-H",
        "Authorization: Bearer t",
        "-H",
        "X-Trace: abc",
        "--body",
        body,
        "-n",
        "5",
        "-c",
        "1",
    )
    assert done.returncode == 0
    last = server.get("/__last")
    assert last["method"] == "POST" and last["path"] == "/orders?x=1" and last["body"] == body
    assert last["headers"]["authorization"] == "Bearer t" and last["headers"]["x-trace"] == "abc"
    assert last["headers"]["content-type"] == "application/json"


def test_https_needs_insecure_for_a_self_signed_certificate(precise_server_factory, tmp_path_factory):
    cert, key = self_signed_certificate(tmp_path_factory)
    server = precise_server_factory("--cert", str(cert), "--key", str(key), scheme="https")
    refused = load_tester(server.base_url + "/", "-n", "5", "-c", "1")
    assert refused.returncode == 4 and "tls" in refused.stderr and "--insecure" in refused.stderr
    document = load_tester_json(server.base_url + "/", "-n", "20", "-c", "2", "--insecure")
    assert summary(document)["statuses"] == {"200": 20}


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm-to-the-group"])
def test_ctrl_c_or_sigterm_prints_the_partial_report(fault_server, stop):
    """Ctrl-C to the tool, or SIGTERM to its whole process group (what a CI runner or supervisor
    sends): the workers keep their results, the parent stops them and reports what was measured."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "scripts" / "api_load_tester.py"),
            fault_server.base_url + "/int?delay_ms=5",
            "-d",
            "60",
            "-c",
            "4",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.0)
    if stop == "ctrl-c":
        process.send_signal(signal.SIGINT)
    else:
        os.killpg(process.pid, signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert "Traceback" not in err
    assert process.returncode == 130, err
    document = json_document(out)
    assert document["interrupted"] and summary(document)["requests"] > 50
    assert summary(document)["elapsed_s"] < 10 and "partial" in err


@pytest.mark.quick
def test_progress_line_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        line = ProgressLine(stream)
        line(Progress(elapsed=2.0, requests=1234, rps=617.0, p99_us=4100, errors=3))
        line.clear()
    assert (
        "617 req/s" in tty.getvalue() and "p99     4.10 ms" in tty.getvalue() and "errors 3" in tty.getvalue()
    )
    assert pipe.getvalue() == ""


@pytest.mark.quick
def test_the_live_rate_waits_for_a_second_every_worker_reported():
    """One worker's first tick is half the first second: shown as a rate it read '0 req/s' (or half the truth)."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    merger, tty = ProgressMerger(workers=2), Terminal()
    merger.add(Second(0, requests=300))
    early = merger.progress(1.0)
    assert early.rps is None and early.requests == 300
    ProgressLine(tty)(early)
    assert "- req/s" in tty.getvalue() and " 0 req/s" not in tty.getvalue()
    merger.add(Second(0, requests=280))
    assert merger.progress(1.01).rps == 580.0


def test_url_credentials_are_sent_as_basic_auth_and_never_printed(precise_server_factory, tmp_path):
    server = precise_server_factory()
    saved, html = tmp_path / "run.json", tmp_path / "run.html"
    url = f"http://u:s3cret@127.0.0.1:{server.running.port}/private"
    done = load_tester(url, "-n", "3", "-c", "1", "--json", "--save", str(saved), "--report", str(html))
    assert done.returncode == 0, done.stderr
    assert (
        server.get("/__last")["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:s3cret").decode()
    )
    for text in (done.stdout, done.stderr, saved.read_text(), html.read_text()):
        assert "s3cret" not in text
    masked = f"http://u:***@127.0.0.1:{server.running.port}/private"
    assert (
        summary(json_document(done.stdout))["url"] == masked
        and saved_document(saved)["plan"]["url"] == masked
    )
    bad = load_tester("http://u:s3cret@127.0.0.1:99999/", "-d", "1")
    assert bad.returncode == 2 and "s3cret" not in bad.stderr and "u:***@" in bad.stderr
    bad = load_tester(url, "-d", "1", "-H", "Authorization Bearer tok-123")
    assert bad.returncode == 2 and "--header 'Authorization'" in bad.stderr and "tok-123" not in bad.stderr


def test_an_explicit_authorization_header_wins_and_secret_headers_are_masked(
    precise_server_factory, tmp_path
):
    server = precise_server_factory()
    saved, html = tmp_path / "run.json", tmp_path / "run.html"
    url = f"http://u:s3cret@127.0.0.1:{server.running.port}/private"
    done = load_tester(
        url,
        *("-H", "Authorization: Bearer tok-123", "-H", "Cookie: sid=cookie-456", "-H", "X-Trace: visible"),
        *("-n", "3", "-c", "1", "--json", "--save", str(saved), "--report", str(html)),
    )
    assert done.returncode == 0, done.stderr
    headers = server.get("/__last")["headers"]
    assert headers["authorization"] == "Bearer tok-123" and headers["cookie"] == "sid=cookie-456"
    for text in (done.stdout, done.stderr, saved.read_text(), html.read_text()):
        assert "tok-123" not in text and "cookie-456" not in text and "s3cret" not in text
    plan_headers = json_document(done.stdout)["runs"][0]["results"]["plan"]["headers"]
    assert ["X-Trace", "visible"] in plan_headers and ["Authorization", "***"] in plan_headers


def test_saved_sweep_and_ab_runs_are_re_reported_in_full(fault_server, tmp_path):
    url = fault_server.base_url + "/set?delay_ms=2"
    sweep_file, ab_file = tmp_path / "sweep.json", tmp_path / "ab.json"
    sweep = load_tester_json(url, "-c", "1,2", "-d", "1", "-w", "1", "--save", str(sweep_file))
    assert saved_document(sweep_file)["kind"] == "sweep"
    again = load_tester_json(str(sweep_file))
    assert [r["label"] for r in again["runs"]] == [r["label"] for r in sweep["runs"]] == ["c=1", "c=2"]
    assert [summary(again, i) for i in range(2)] == [summary(sweep, i) for i in range(2)]
    assert again["sweep"] is not None and again["sweep"] == sweep["sweep"]
    ab = load_tester_json(
        url, url + "&x=b", "--compare", "-c", "2", "-d", "1", "-w", "1", "--save", str(ab_file)
    )
    assert saved_document(ab_file)["kind"] == "compare"
    again = load_tester_json(str(ab_file))
    assert [r["label"] for r in again["runs"]] == ["A", "B"]
    assert again["comparison"] is not None and again["comparison"] == ab["comparison"]
