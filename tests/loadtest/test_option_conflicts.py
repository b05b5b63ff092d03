"""Options that would be silently ignored or silently misread are bad input (exit 2, one line on stderr):
`-c` with a closed-model ramp, a `--weight` for an operation the filters leave out, a latency without a unit.
Sub-millisecond limits are shown with the digits they need."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from senior_backend.loadtest.abort import AbortWatch, parse_abort_on
from senior_backend.loadtest.results import Second
from tests.conftest import REPO
from tests.loadtest.conftest import load_tester

SPEC = str(Path(__file__).parent / "specs" / "things.yaml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://127.0.0.1:1/", "--stages", "1s:3", "-c", "50"], "--stages sets the connections"),
        (["http://127.0.0.1:1/", "--stages", "1s:3", "--concurrency", "10"], "drop --concurrency"),
        (["http://127.0.0.1:1/", "--abort-on", "p99>5"], "a latency takes a unit"),
        (["http://127.0.0.1:1/", "--threshold", "p99<200"], "a latency takes a unit"),
        (["http://127.0.0.1:1/", "-m", "POST", "-b", "abcdef", "-H", "Content-Length: 3"], "set by the tool"),
        (["http://127.0.0.1:1/", "-H", "transfer-encoding: chunked"], "--header transfer-encoding is set by"),
        (
            [
                "--spec",
                SPEC,
                "--base-url",
                "http://127.0.0.1:1",
                "--weight",
                "listThings=2",
                "--operation",
                "getHealth",
            ],
            "'listThings' is not run",
        ),
    ],
)
def test_ignored_or_misread_options_are_one_line_and_exit_2(args, message):
    done = load_tester(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2 and "Traceback" not in done.stderr


@pytest.mark.quick
def test_a_sub_millisecond_abort_limit_is_shown_as_written():
    rule = parse_abort_on("p99>0.01ms")
    watch = AbortWatch((rule,), workers=1)
    entry = Second(0, requests=30, statuses={"200": 30})
    entry.latency.record(50, 30)  # 50 us
    stopped = watch.add_slice(0.05, entry)
    assert (
        stopped is not None
        and "> 0.010 ms" in stopped["reason"]
        and "(--abort-on p99>0.01ms)" in stopped["reason"]
    )
    assert "p99 0.050 ms" in stopped["reason"]


def test_a_weight_for_an_operation_that_runs_is_accepted():
    done = load_tester(
        "--spec",
        SPEC,
        "--base-url",
        "http://127.0.0.1:1",
        "--weight",
        "getHealth=2",
        "--operation",
        "getHealth",
        "-d",
        "0.3",
        "-w",
        "1",
    )
    assert done.returncode == 4 and "could not reach" in done.stderr  # it ran: nothing listens there



def _with_file_limit(soft: int, hard: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The load tester run under `prlimit --nofile=soft:hard`, as a user with that `ulimit -n` would."""
    script = str(REPO / "scripts" / "api_load_tester.py")
    return subprocess.run(
        ["prlimit", f"--nofile={soft}:{hard}", sys.executable, script, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
def test_more_connections_than_open_files_allowed_are_refused_with_what_to_do(fault_server):
    """400 connections in one worker under a hard limit of 256 open files cannot all open: refused before
    any request, instead of 'connect' errors that look like the server's."""
    done = _with_file_limit(256, 256, fault_server.base_url + "/files", "-c", "400", "-w", "1", "-d", "1")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "need 464 open files" in done.stderr and "ulimit -n 464" in done.stderr
    assert fault_server.stats()["by_path"].get("/files", 0) == 0


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
def test_the_soft_open_files_limit_is_raised_toward_the_hard_one(fault_server):
    done = _with_file_limit(256, 4096, fault_server.base_url + "/soft", "-c", "400", "-w", "1", "-n", "800")
    assert done.returncode == 0, done.stderr
    assert "errors 0 " in done.stdout, done.stdout
