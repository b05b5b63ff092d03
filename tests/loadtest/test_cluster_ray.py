"""`--cluster`: the workers as Ray actors on a real two-node Ray cluster on this machine, one merged result.

The cluster (a head and a second node, one CPU each, so two workers land on
two nodes) is started once per session with `ray start` in a temporary
directory, and ended at the end by killing its processes (by process group
and parentage): `ray stop` would end every Ray process on the machine, not
only this cluster's. One test adds a third node and kills it mid-run; the
last ones stop a run early on the cluster and run a `--spec` scenario there.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.cluster import check_nodes, cluster_address, connect_hint, run_on_cluster
from senior_backend.loadtest.plan import LoadPlan, parse_target
from senior_backend.loadtest.results import Results
from senior_backend.loadtest.runner import Progress
from senior_backend.loadtest.stats import measure
from tests.conftest import REPO
from tests.loadtest import ray_workers
from tests.loadtest.conftest import json_document, load_tester, saved_document
from tests.loadtest.crud import WITH_EXAMPLES, Crud, assert_clean, spec_operations, start_crud

pytestmark = pytest.mark.slow

RAY = Path(sys.executable).with_name("ray")
RAY_ENV = {
    # on a loaded machine the Ray Client server may need more than 30 s to start a client's server process
    "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "120",
    # the Ray Client proxy forks a server per client while its gRPC threads run; with gRPC's fork
    # handlers on, the child died of SIGSEGV in about one connection of three on a loaded machine
    "GRPC_ENABLE_FORK_SUPPORT": "0",
    # a node that stops answering is declared dead after about 5 s, not 15
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_failure_threshold": "5",
}


@dataclass(frozen=True)
class RayCluster:
    gcs: str  # HOST:PORT, for a driver on this machine
    client: str  # ray://HOST:PORT, the Ray Client address a remote driver uses
    gcs_port: int
    node_args: tuple[str, ...]  # `ray start` options of one more node
    temp: Path

    def logs(self) -> str:
        """The end of the Ray Client server's and the raylets' logs (why a run on the cluster failed)."""
        folder = self.temp / "session_latest" / "logs"
        clients = sorted(folder.glob("ray_client_server*.err")) + sorted(folder.glob("ray_client_server*.out"))
        raylets = sorted(folder.glob("raylet*.err"))
        return "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-4000:] for log in clients + raylets
        )

    def add_node(self) -> int:
        """Start one more node; returns its process group."""
        return _ray_start(
            f"--address={self.gcs}", f"--dashboard-agent-listen-port={_free_port()}", *self.node_args
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_start(*args: str) -> int:
    """`ray start ...` in a session of its own: its daemons share the process group it returns."""
    process = subprocess.Popen(
        [str(RAY), "start", "--disable-usage-stats", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, **RAY_ENV},
    )
    output, _ = process.communicate(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"ray start failed:\n{output}")
    return process.pid


def _descendants(roots: set[int]) -> set[int]:
    """Every live process in the process groups `roots`, and their children (Ray workers start sessions)."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = (int(fields[1]), int(fields[2]))  # ppid, pgid
    found = {pid for pid, (_, pgid) in parents.items() if pgid in roots}
    while True:
        more = {pid for pid, (ppid, _) in parents.items() if ppid in found} - found
        if not more:
            return found
        found |= more


def _end(groups: set[int]) -> None:
    pids = _descendants(groups)
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            pids = {pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)}
            time.sleep(0.1)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_for_nodes(gcs_port: int, count: int) -> None:
    """Until `ray status` lists `count` live nodes (a node registers a moment after `ray start` returns)."""
    deadline = time.monotonic() + 60
    while True:
        status = subprocess.run(
            [str(RAY), "status", f"--address=127.0.0.1:{gcs_port}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        active = status.stdout.split("Pending:", 1)[0]
        if active.count(" node_") == count:
            return
        assert time.monotonic() < deadline, status.stdout + status.stderr
        time.sleep(0.5)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    temp = Path(f"/tmp/rlt-{secrets.token_hex(3)}")  # short: Ray's socket paths live under it
    gcs_port, client_port = _free_port(), _free_port()
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", f"--temp-dir={temp}"]
    groups: set[int] = set()
    try:
        groups.add(
            _ray_start(
                "--head",
                f"--port={gcs_port}",
                f"--ray-client-server-port={client_port}",
                "--include-dashboard=false",
                f"--dashboard-agent-listen-port={_free_port()}",
                *common,
            )
        )
        groups.add(
            _ray_start(
                f"--address=127.0.0.1:{gcs_port}", f"--dashboard-agent-listen-port={_free_port()}", *common
            )
        )
        _wait_for_nodes(gcs_port, 2)
        yield RayCluster(
            f"127.0.0.1:{gcs_port}", f"ray://127.0.0.1:{client_port}", gcs_port, tuple(common), temp
        )
    finally:
        _end(groups)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(autouse=True)
def _ship_test_workers() -> None:
    """The actors cannot import `tests`: send the test engine wrappers by value."""
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(ray_workers)


def _plan(url: str, **options: object) -> LoadPlan:
    return LoadPlan(parse_target(url), **options)  # type: ignore[arg-type]


def test_cli_merges_two_nodes_into_the_count_the_server_received(ray_cluster, fault_server, tmp_path):
    path = f"/cluster-{time.monotonic_ns()}"
    saved = tmp_path / "cluster.json"
    args = ["-n", "2001", "-c", "4", "--cluster", ray_cluster.client, "--save", str(saved), "--json"]
    try:
        # a loaded machine can take a while to start the Ray Client's server process for a new client
        done = load_tester(fault_server.base_url + path, *args, timeout=180)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"no result in 180 s: {exc.stderr!s}\n{ray_cluster.logs()}")
    assert done.returncode == 0, done.stderr + done.stdout + ray_cluster.logs()
    document = json_document(done.stdout)
    run = document["runs"][0]
    assert fault_server.stats()["by_path"][path] == run["summary"]["requests"] == 2001
    nodes = run["nodes"]
    assert len({node["node_id"] for node in nodes}) == 2, nodes
    assert all(node["workers"] == 1 and node["requests"] > 0 and node["lost"] == [] for node in nodes)
    assert sum(node["requests"] for node in nodes) == 2001
    assert run["results"]["plan"]["workers"] == 2
    assert [(c["rule"], c["passed"]) for c in document["checks"]] == [("cluster-nodes", True)]

    assert len(saved_document(saved)["nodes"]) == 2
    report = load_tester(str(saved))
    assert report.returncode == 0, report.stderr
    table = report.stdout.split("\nnodes\n", 1)[1].splitlines()
    assert table[0].split("\t")[:5] == ["node", "address", "workers", "requests", "req/s"]
    assert sorted(row.split("\t")[0] for row in table[1:3]) == sorted(n["node_id"][:12] for n in nodes)


def test_merged_percentiles_equal_those_of_all_raw_latencies(ray_cluster, fault_server, tmp_path):
    path = f"/raw-{time.monotonic_ns()}"
    plan = _plan(fault_server.base_url + path + "?delay_ms=1", concurrency=6, duration=None, requests=3000)
    parts: list[Results] = []
    worker = functools.partial(ray_workers.recording_worker, str(tmp_path))
    merged = run_on_cluster(ray_cluster.gcs, plan, parts=parts, worker=worker)

    raw = sorted(int(line) for file in tmp_path.glob("*.txt") for line in file.read_text().split())
    assert len(list(tmp_path.glob("*.txt"))) == 2 == len(parts) == len(merged.nodes)
    assert fault_server.stats()["by_path"][path] == merged.requests == len(raw) == 3000
    latency = merged.latency
    assert (latency.total, latency.min, latency.max, latency.total_sum) == (
        len(raw),
        raw[0],
        raw[-1],
        sum(raw),
    )
    for p in (50, 90, 99, 99.9):
        exact = raw[max(1, -(-int(p * len(raw)) // 100)) - 1]
        assert abs(latency.percentile(p) - exact) <= exact / 1024 + 1, (p, latency.percentile(p), exact)
    node_totals = sorted(node.latency.total for node in merged.nodes)
    assert node_totals == sorted(part.latency.total for part in parts) and sum(node_totals) == 3000


def test_without_ray_the_flag_is_one_line_naming_the_extra(fault_server):
    shim = (
        "import sys; sys.modules['ray'] = None; "
        "sys.argv = ['api_load_tester.py', *sys.argv[1:]]; "
        "from senior_backend.loadtest.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", shim, fault_server.base_url + "/", "-n", "5", "--cluster", "ray"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: --cluster needs Ray, which is not installed (hint: pip install 'senior-backend[distributed]')"
    ]
    assert done.stdout == ""


def test_an_address_nobody_listens_at_is_unreachable_in_one_line(fault_server):
    port = _free_port()  # bound, then released: nobody listens there
    for address in (f"ray://127.0.0.1:{port}", f"127.0.0.1:{port}"):
        done = load_tester(fault_server.base_url + "/", "-n", "5", "--cluster", address, timeout=60)
        assert done.returncode == 4, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert errors == [line for line in done.stderr.splitlines()[1:]], done.stderr
        assert errors[0].startswith(f"error: cannot connect to the Ray cluster at {address}: ")


@pytest.mark.quick
def test_ray_and_auto_mean_ray_address(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "ray://head.example:10001")
    assert cluster_address("ray") == cluster_address(" auto ") == "ray://head.example:10001"
    assert cluster_address("10.0.0.5:6379") == "10.0.0.5:6379"
    monkeypatch.delenv("RAY_ADDRESS")
    assert cluster_address("auto") == "auto"
    with pytest.raises(BadInput):
        cluster_address(" ")


@pytest.mark.quick
def test_a_proxy_that_could_not_start_a_client_server_gets_its_own_hint():
    crashed = "Initialization failure from server: ... RuntimeError: Starting Ray client server failed. See"
    assert "GRPC_ENABLE_FORK_SUPPORT=0" in connect_hint(crashed)
    assert "ray start --head" in connect_hint("ray client connection timeout")


def test_a_node_that_dies_mid_run_is_reported_and_its_seconds_kept(ray_cluster, fault_server):
    """A third node joins, takes one of three workers, and all its processes are killed once the driver
    has received the first seconds of the run; the run goes on and reports it."""
    group = ray_cluster.add_node()
    try:
        _wait_for_nodes(ray_cluster.gcs_port, 3)
        ticks = 0

        def progress(_: Progress) -> None:
            nonlocal ticks
            ticks += 1
            if ticks == 6:  # two seconds of three workers
                for pid in _descendants({group}):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)

        plan = _plan(fault_server.base_url + "/node-dies?delay_ms=2", concurrency=6, duration=5.0)
        merged = run_on_cluster(ray_cluster.gcs, plan, on_progress=progress)  # a driver on the head node
    finally:
        _end({group})
        _wait_for_nodes(ray_cluster.gcs_port, 2)  # the tests after this one place a worker per CPU
    assert ticks >= 6
    lost = [node for node in merged.nodes if node.lost]
    kept = [node for node in merged.nodes if not node.lost]
    assert len(lost) == 1 and len(kept) == 2, merged.nodes
    assert lost[0].requests > 0 and lost[0].latency.total == lost[0].requests
    assert merged.requests == sum(node.requests for node in merged.nodes) == merged.latency.total
    check = check_nodes(measure(merged))
    assert check is not None and not check.passed and lost[0].node_id[:12] in check.reason


def _cli_on_cluster(ray_cluster: RayCluster, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with `--cluster` (a driver on the head node), its Ray logs in the message when it hangs."""
    try:
        return load_tester(*args, "--cluster", ray_cluster.gcs, "--workers", "2", "--json", timeout=180)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"no result in 180 s: {exc.stderr!s}\n{ray_cluster.logs()}")


def test_max_error_rate_stops_every_node_early_against_a_failing_server(ray_cluster, fault_server):
    path = f"/down-{time.monotonic_ns()}"
    done = _cli_on_cluster(
        ray_cluster, fault_server.base_url + path + "?status=503", "-d", "30", "-c", "4",
        "--max-error-rate", "0.2",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr + done.stdout + ray_cluster.logs()
    document = json_document(done.stdout)
    run = document["runs"][0]
    s = run["summary"]
    assert s["elapsed_s"] < 10 and not document["interrupted"], s  # 30 s asked for
    stopped = run["results"]["stopped_early"]
    assert stopped["rule"] == "max-error-rate" and stopped["condition"] == "0.2", stopped
    assert "error_rate 100.0% > 20.0%" in stopped["reason"]
    check = next(c for c in document["checks"] if c["rule"] == "early-stop")
    assert not check["passed"] and check["level"] == "error"
    assert "error: check failed: stopped early at" in done.stderr and "--max-error-rate 0.2" in done.stderr
    nodes = run["nodes"]  # both nodes were stopped, neither lost
    assert len(nodes) == 2 and all(node["requests"] > 0 and node["lost"] == [] for node in nodes), nodes
    assert fault_server.stats()["by_path"][path] == s["requests"] + s["errors"] + s["unfinished"]


def test_max_error_rate_lets_a_healthy_server_run_to_the_end_on_the_cluster(ray_cluster, fault_server):
    done = _cli_on_cluster(
        ray_cluster, fault_server.base_url + "/healthy?delay_ms=1", "-d", "3", "-c", "4",
        "--max-error-rate", "0.2", "--abort-on", "p99>2s",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout + ray_cluster.logs()
    document = json_document(done.stdout)
    run = document["runs"][0]
    assert run["results"]["stopped_early"] is None and run["summary"]["elapsed_s"] >= 2.9, run["summary"]
    assert [(c["rule"], c["passed"]) for c in document["checks"]] == [("cluster-nodes", True)]
    assert len(run["nodes"]) == 2 and all(node["requests"] > 0 for node in run["nodes"])


@pytest.fixture(scope="module")
def crud() -> Iterator[Crud]:
    """The CRUD server of the --spec tests (crud.py), checking requests against things.yaml."""
    yield from start_crud(WITH_EXAMPLES)


def test_spec_on_the_cluster_counts_match_the_server_per_operation(ray_cluster, crud):
    crud.reset()
    done = _cli_on_cluster(
        ray_cluster, "--spec", str(WITH_EXAMPLES), "--base-url", crud.base_url, "-c", "6", "-n", "600"
    )
    assert done.returncode == 0, done.stderr + done.stdout + ray_cluster.logs()
    document = json_document(done.stdout)
    stats = crud.stats()
    assert_clean(stats)  # no 400 and no 404: each worker creates the ids it uses, in its own pools
    operations = spec_operations(document)
    assert {name: row["requests"] + row["errors"] for name, row in operations.items()} == stats["calls"]
    assert sum(stats["calls"].values()) == 600 == document["runs"][0]["summary"]["requests"]
    assert {"createThing", "getThing", "updateThing", "deleteThing"} <= set(operations)
    assert all(row["non_2xx"] == 0 for row in operations.values()), operations
    nodes = document["runs"][0]["nodes"]
    assert len({node["node_id"] for node in nodes}) == 2, nodes
    assert all(node["requests"] > 0 and node["lost"] == [] for node in nodes), nodes
    assert sum(node["requests"] for node in nodes) == 600
