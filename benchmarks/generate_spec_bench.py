#!/usr/bin/env python3
"""`--generate-spec` benchmark: recovering OpenAPI from a few hundred Express route files.

Writes a deterministic Express project (CommonJS: `app.js` mounting N router files under
prefixes, 4 routes each, half of them validated by zod middleware), then times, in the same run:
  - api-scaffolder `--generate-spec` in-process (parse + recover + render, no interpreter start)
  - api-scaffolder `--generate-spec` as a subprocess (what a user waits for)
  - swagger-autogen (npm, the common tool that builds a spec from Express route files), when
    npm can install it (cached in ~/.cache/senior-backend-bench/); skipped otherwise.
It prints each time, the operations each tool found, and the ratio.

    python benchmarks/generate_spec_bench.py                 # 250 files, 1,000 routes
    python benchmarks/generate_spec_bench.py --files 500 --repeat 5 --json
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
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from senior_backend.scaffold.tospec.openapi_out import to_openapi  # noqa: E402
from senior_backend.scaffold.tospec.run import build_from_routes  # noqa: E402

AUTOGEN = "swagger-autogen@2.23.7"
CACHE = Path.home() / ".cache" / "senior-backend-bench" / "swagger-autogen"


def write_project(root: Path, files: int) -> int:
    """N router files with 4 routes each, mounted by app.js; returns the number of routes."""
    (root / "routes").mkdir(parents=True)
    mounts = []
    for index in range(files):
        name = f"resource{index:03d}"
        validated = index % 2 == 0
        schema = (
            "const Body = z.object({ name: z.string().min(1).max(80), "
            "count: z.number().int().gte(0).optional(), tags: z.array(z.string()).optional() });\n"
            if validated
            else ""
        )
        middleware = "validate(Body), " if validated else ""
        (root / "routes" / f"{name}.js").write_text(
            'const express = require("express");\n'
            'const { z } = require("zod");\n'
            'const { validate } = require("../validate");\n'
            f"{schema}"
            "const router = express.Router();\n\n"
            'router.get("/", async (req, res) => { res.json([]); });\n'
            f'router.post("/", {middleware}async (req, res) => {{ res.status(201).json(req.body); }});\n'
            'router.get("/:id", async (req, res) => { res.json({ id: req.params.id }); });\n'
            'router.delete("/:id", async (req, res) => { res.status(204).end(); });\n\n'
            "module.exports = router;\n"
        )
        mounts.append(f'app.use("/api/{name}", require("./routes/{name}"));')
    (root / "validate.js").write_text("module.exports.validate = (schema) => (req, res, next) => next();\n")
    (root / "app.js").write_text(
        'const express = require("express");\nconst app = express();\napp.use(express.json());\n'
        + "\n".join(mounts)
        + "\nmodule.exports = app;\n"
    )
    return files * 4


def best(times: list[float]) -> dict[str, float]:
    return {"best": min(times), "median": statistics.median(times)}


def ours_in_process(root: Path, repeat: int) -> tuple[list[float], int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        model = build_from_routes(root)
        yaml.dump(to_openapi(model), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
        times.append(time.perf_counter() - start)
        count = len(model.operations)
    return times, count


def ours_subprocess(root: Path, out: Path, repeat: int) -> tuple[list[float], int]:
    times = []
    command = [sys.executable, str(REPO / "scripts" / "api_scaffolder.py"), str(root), "--generate-spec"]
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run([*command, "--output", str(out)], capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"error: api_scaffolder failed: {result.stderr.strip()}")
    document = yaml.safe_load(out.read_text())
    return times, sum(len(item) for item in document["paths"].values())


def install_autogen() -> Path | None:
    if (CACHE / "node_modules" / "swagger-autogen").is_dir():
        return CACHE
    npm = shutil.which("npm")
    if npm is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), AUTOGEN],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return CACHE if result.returncode == 0 else None


def autogen(root: Path, out: Path, repeat: int) -> tuple[list[float], int] | None:
    cache = install_autogen()
    node = shutil.which("node")
    if cache is None or node is None:
        return None
    script = root / "autogen.js"
    script.write_text(
        f"const autogen = require({json.dumps(str(cache / 'node_modules' / 'swagger-autogen'))})"
        "({ openapi: '3.0.0', disableLogs: true });\n"
        f"autogen({json.dumps(str(out))}, ['./app.js'], {{ info: {{ title: 'bench' }} }})"
        ".then((r) => process.exit(r && r.success ? 0 : 1));\n"
    )
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run([node, str(script)], cwd=root, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            return None
    document = json.loads(out.read_text())
    methods = ("get", "post", "put", "patch", "delete", "head", "options")
    return times, sum(1 for item in document.get("paths", {}).values() for m in item if m in methods)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        routes = write_project(root, args.files)
        inproc, found = ours_in_process(root, args.repeat)
        sub, found_sub = ours_subprocess(root, Path(folder) / "ours.yaml", args.repeat)
        peer = autogen(root, Path(folder) / "autogen.json", args.repeat)
    report = {
        "files": args.files + 2,
        "routes": routes,
        "ours_in_process": {**best(inproc), "operations": found},
        "ours_subprocess": {**best(sub), "operations": found_sub},
        "swagger_autogen": None if peer is None else {**best(peer[0]), "operations": peer[1]},
    }
    if peer is not None:
        report["ratio"] = min(peer[0]) / min(sub)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['files']} files, {routes} routes (best of {args.repeat})")
    print(f"api-scaffolder --generate-spec, in-process: {min(inproc):.3f} s ({found} operations)")
    print(f"api-scaffolder --generate-spec, subprocess: {min(sub):.3f} s ({found_sub} operations)")
    if peer is None:
        print("swagger-autogen: not run (npm or node unavailable, or it failed)")
    else:
        print(f"swagger-autogen {AUTOGEN.split('@')[1]}: {min(peer[0]):.3f} s ({peer[1]} operations)")
        print(f"ratio (swagger-autogen / ours, subprocess): {report['ratio']:.1f}x")


if __name__ == "__main__":
    main()
