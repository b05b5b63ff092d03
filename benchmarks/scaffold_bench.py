#!/usr/bin/env python3
"""Scaffolder benchmark: our three frameworks beside openapi-generator on one large spec.

Generates a spec with several hundred operations (benchmarks/large_spec.py), times
`scripts/api_scaffolder.py` for express, fastify and koa and `openapi-generator-cli generate
-g nodejs-express-server` (the pip package, running its bundled jar on the local Java) on it,
in the same run, and prints each time and the ratio. Then runs `tsc --noEmit --strict` over
our output for each framework (with tests/node's pinned packages) and reports errors, in
particular "excessively deep" type instantiation.

    python benchmarks/scaffold_bench.py                  # 60 resources = 420 operations
    python benchmarks/scaffold_bench.py --resources 100 --repeat 3 --json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from large_spec import build  # noqa: E402

NODE_MODULES = REPO / "tests" / "node" / "node_modules"
FRAMEWORKS = ("express", "fastify", "koa")


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    return time.perf_counter() - start, result


def run_ours(spec: Path, work: Path, framework: str, repeat: int) -> float:
    times = []
    for attempt in range(repeat):
        out = work / f"ours-{framework}-{attempt}"
        seconds, result = timed(
            [
                sys.executable,
                str(REPO / "scripts" / "api_scaffolder.py"),
                str(spec),
                "--framework",
                framework,
                "--output",
                str(out),
            ],
            REPO,
        )
        if result.returncode != 0:
            raise SystemExit(f"error: api_scaffolder failed for {framework}: {result.stderr.strip()}")
        times.append(seconds)
    return statistics.median(times)


def run_openapi_generator(spec: Path, work: Path, repeat: int) -> float | None:
    cli = shutil.which("openapi-generator-cli")
    if cli is None:
        print(
            "openapi-generator-cli not found (pip install openapi-generator-cli); peer skipped",
            file=sys.stderr,
        )
        return None
    times = []
    for attempt in range(repeat):
        out = work / f"oag-{attempt}"
        seconds, result = timed(
            [cli, "generate", "-g", "nodejs-express-server", "-i", str(spec), "-o", str(out)], work
        )
        if result.returncode != 0:
            print(f"openapi-generator failed: {result.stdout[-800:]}{result.stderr[-800:]}", file=sys.stderr)
            return None
        times.append(seconds)
    return statistics.median(times)


def typecheck(folder: Path) -> dict[str, object]:
    if not (NODE_MODULES / ".bin" / "tsc").exists():
        return {"skipped": "run `npm ci` in tests/node first"}
    link = folder / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    seconds, result = timed([str(NODE_MODULES / ".bin" / "tsc"), "-p", str(folder / "tsconfig.json")], folder)
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    return {
        "seconds": round(seconds, 2),
        "errors": len(errors),
        "excessively_deep": any("excessively deep" in line for line in errors),
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Scaffolder vs openapi-generator on a large generated spec.")
    parser.add_argument("--resources", type=int, default=60, help="7 operations each (default 60 = 420)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is reported")
    parser.add_argument("--no-tsc", action="store_true", help="skip type-checking our output")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as tmp:
        work = Path(tmp)
        spec = work / "large.yaml"
        document = build(args.resources)
        spec.write_text(yaml.safe_dump(document, sort_keys=False))
        operations = sum(1 for item in document["paths"].values() for key in item if key != "parameters")
        ours = {framework: run_ours(spec, work, framework, args.repeat) for framework in FRAMEWORKS}
        peer = run_openapi_generator(spec, work, args.repeat)
        checks = {} if args.no_tsc else {fw: typecheck(work / f"ours-{fw}-0") for fw in FRAMEWORKS}

    report = {
        "operations": operations,
        "ours_seconds": {fw: round(s, 3) for fw, s in ours.items()},
        "openapi_generator_seconds": round(peer, 3) if peer is not None else None,
        "ratio": {fw: round(peer / s, 1) for fw, s in ours.items()} if peer is not None else None,
        "tsc": checks,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"spec: {operations} operations, {len(document['components']['schemas'])} schemas")
    print(f"{'tool':<44}{'seconds':>10}{'ratio':>10}")
    peer_text = f"{peer:.2f}" if peer is not None else "n/a"
    print(f"{'openapi-generator nodejs-express-server':<44}{peer_text:>10}{'1.0x':>10}")
    for fw, seconds in ours.items():
        ratio = f"{peer / seconds:.1f}x" if peer is not None else "n/a"
        print(f"{'api-scaffolder --framework ' + fw:<44}{seconds:>10.2f}{ratio:>10}")
    for fw, check in checks.items():
        if "skipped" in check:
            print(f"tsc --strict {fw}: skipped ({check['skipped']})")
        else:
            deep = "yes" if check["excessively_deep"] else "no"
            print(
                f"tsc --strict {fw}: {check['errors']} errors, excessively deep: {deep}, {check['seconds']}s"
            )


if __name__ == "__main__":
    main()
