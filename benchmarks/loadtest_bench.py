#!/usr/bin/env python3
"""Benchmark: this load tester beside wrk against the same nginx `return 200`, in one run.

Starts its own nginx (Debian package) on a free 127.0.0.1 port with a
temporary config (one worker process, access log off, keep-alive requests
practically unlimited so nobody reconnects), then runs wrk and
`scripts/api_load_tester.py` at the same concurrency for the same duration,
alternating for `--rounds` rounds (so that a busy neighbour on a shared
machine hits both alike), and prints for each round and as medians: requests
per second, and requests per CPU-second of the load generator itself (user +
system time of the generator's processes, from `getrusage(RUSAGE_CHILDREN)`
around each run; for this tool that includes interpreter start-up), then the
ratios of the medians.

    python benchmarks/loadtest_bench.py [--concurrency 50] [--duration 10] [--rounds 3] [--workers 1] [--wrk-threads 1]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok"; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nginx(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    process = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")])
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"error: nginx did not start: {(tmp / 'error.log').read_text(errors='replace')}")


def measured(argv: list[str]) -> tuple[str, float]:
    """Run a generator to completion; its stdout and the CPU seconds it (and its children) used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, cpu


def run_wrk(url: str, concurrency: int, duration: float, threads: int) -> dict[str, float]:
    wrk = shutil.which("wrk") or sys.exit("error: wrk is not installed (apt-get install wrk)")
    out, cpu = measured([wrk, f"-t{threads}", f"-c{concurrency}", f"-d{duration:g}s", url])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "requests": total, "cpu_s": cpu}


def run_tool(url: str, concurrency: int, duration: float, workers: int) -> dict[str, float]:
    argv = [
        sys.executable, str(REPO / "scripts" / "api_load_tester.py"), url,
        "--concurrency", str(concurrency), "--duration", f"{duration:g}",
        "--workers", str(workers), "--json",
    ]  # fmt: skip
    out, cpu = measured(argv)
    document = json.loads(out)
    summary = document["runs"][0]["summary"]
    total = summary["requests"] + summary["warmup_requests"] + summary["unfinished"]
    return {"rps": summary["rps"], "requests": total, "cpu_s": cpu, "p50_ms": summary["latency_ms"]["p50"]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="processes of this tool")
    parser.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loadtest-bench-") as tmp_dir:
        port = free_port()
        nginx = start_nginx(Path(tmp_dir), port)
        url = f"http://127.0.0.1:{port}/"
        rounds: list[tuple[dict[str, float], dict[str, float]]] = []
        try:
            for _ in range(args.rounds):
                rounds.append(
                    (
                        run_wrk(url, args.concurrency, args.duration, args.wrk_threads),
                        run_tool(url, args.concurrency, args.duration, args.workers),
                    )
                )
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    print(f"nginx return 200 on {url}, concurrency {args.concurrency}, {args.duration:g} s per run")
    print(f"{'round':<7}{'generator':<24}{'req/s':>12}{'requests':>12}{'CPU s':>8}{'req/CPU-s':>12}")
    names = (f"wrk -t{args.wrk_threads}", f"api_load_tester -w{args.workers}")
    for number, pair in enumerate(rounds, 1):
        for name, figures in zip(names, pair, strict=True):
            figures["per_cpu"] = figures["requests"] / figures["cpu_s"] if figures["cpu_s"] else float("nan")
            print(
                f"{number:<7}{name:<24}{figures['rps']:>12,.0f}{figures['requests']:>12,}"
                f"{figures['cpu_s']:>8.2f}{figures['per_cpu']:>12,.0f}"
            )
    medians = [
        {key: statistics.median(pair[side][key] for pair in rounds) for key in ("rps", "per_cpu")}
        for side in (0, 1)
    ]
    for name, figures in zip(names, medians, strict=True):
        print(f"median {name:<24}{figures['rps']:>12,.0f} req/s {figures['per_cpu']:>12,.0f} req/CPU-s")
    print(f"ratio req/s (tool / wrk):          {medians[1]['rps'] / medians[0]['rps']:.2f}x")
    print(f"ratio req per CPU-s (tool / wrk):  {medians[1]['per_cpu'] / medians[0]['per_cpu']:.2f}x")


if __name__ == "__main__":
    main()
