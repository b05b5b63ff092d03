"""The skill as an agent sees it: SKILL.md is valid, the installed folder works, every documented command runs.

Every ```bash command of SKILL.md and README.md is run, in order, the way a reader would: from a
working folder holding the bundled examples, with `DATABASE_URL` pointing at a fresh database loaded
with examples/schema.sql, `STAGING_DATABASE_URL` at one loaded with examples/schema_v2.sql, and the
server the scaffolder generates from examples/openapi.yaml answering where the docs say
127.0.0.1:3000. Three rewrites keep the run short and local, and nothing else is changed:
`--duration`/`-d` become 1 second, the port 3000 becomes the booted server's port, and `python`
is this interpreter. Commands that install software, run the test suite or the benchmarks, or start
a server that never exits are not run (`SKIPPED` says which and why); the test suite covers them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.docs.markdown_blocks import code_blocks

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = ("api_scaffolder", "database_migration_tool", "api_load_tester")

SKIPPED = {
    "pip install": "installs packages; .ci/run does the same install",
    "python -m pytest": "runs this test suite",
    "python benchmarks/": "benchmarks take minutes; their figures are in the README",
    "cd out/express && npm install": "installs from the npm registry and starts a server that never exits; "
    "tests/scaffold compiles and boots the same output",
    "ray start": "starts a Ray cluster that outlives the command; tests/loadtest/test_cluster_ray.py starts one",
    "kubectl": "needs a Kubernetes cluster",
}
SKIPPED_FLAGS = {"--cluster": "needs a Ray cluster; tests/loadtest/test_cluster_ray.py runs --cluster on one"}
CHECK_FLAGS = ("--expect-rate-limit", "--expect-status", "--threshold", "--fail-on", "--compare base")


def frontmatter(text: str) -> tuple[dict, str]:
    _, head, body = text.split("---", 2)
    return yaml.safe_load(head), body


@pytest.mark.quick
def test_skill_md_follows_the_agent_skills_format(tmp_path):
    from skills_ref.validator import validate

    folder = tmp_path / "senior-backend"
    folder.mkdir()
    shutil.copy(REPO / "SKILL.md", folder / "SKILL.md")
    assert validate(folder) == []
    meta, body = frontmatter((REPO / "SKILL.md").read_text())
    assert set(meta) <= {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
    assert meta["name"] == "senior-backend"
    assert (
        len(meta["description"]) < 1024 and "<" not in meta["description"] and ">" not in meta["description"]
    )
    assert len(body.splitlines()) < 500
    for reference in re.findall(r"`(references/[\w.]+\.md)`", body):
        assert (REPO / reference).is_file(), reference


@pytest.mark.quick
def test_skill_md_json_samples_parse():
    for block in code_blocks(REPO / "SKILL.md"):
        if block.language == "json":
            json.loads(block.text)


def documented_commands(path: Path) -> list[str]:
    """The shell commands of a Markdown file's ```bash blocks, continuation lines joined."""
    commands: list[str] = []
    for block in code_blocks(path):
        if block.language != "bash":
            continue
        pending = ""
        for line in block.text.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            line = (pending + line).strip()
            pending = ""
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def runnable_parts(command: str) -> list[str]:
    """The `&&`-joined parts of a command that the test runs (install and test-suite parts left out)."""
    parts = [part.strip() for part in command.split(" && ")]
    if command.startswith("cd "):
        return []
    return [
        part
        for part in parts
        if not any(_without_assignments(part).startswith(prefix) for prefix in SKIPPED)
        and not any(f" {flag} " in f" {part} " for flag in SKIPPED_FLAGS)
    ]


def _without_assignments(part: str) -> str:
    """The command itself, without the `NAME=value` environment assignments in front of it."""
    return re.sub(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+", "", part)


def localise(command: str, port: int) -> str:
    command = re.sub(r"(--duration|-d) \d+", r"\1 1", command)
    command = command.replace("127.0.0.1:3000", f"127.0.0.1:{port}")
    return re.sub(r"(^|&& )python ", rf"\1{shlex.quote(sys.executable)} ", command)


@pytest.fixture(scope="module")
def example_server(node_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("example") / "express"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "api_scaffolder.py"),
            str(REPO / "examples" / "openapi.yaml"),
            "--framework",
            "express",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with node_project.boot(out / "server.ts", ready_path="/users") as server:
        yield server


def load_database(url: str, schema: Path) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(schema.read_text())
        for extension in ("pg_stat_statements", "hypopg"):
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")


def workdir_for(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "scripts").symlink_to(REPO / "scripts", target_is_directory=True)
    shutil.copytree(REPO / "examples", work / "examples")
    return work


@pytest.mark.pg
@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("document", ["SKILL.md", "README.md"])
def test_every_documented_command_runs(document, example_server, make_database, tmp_path):
    commands = documented_commands(REPO / document)
    assert len(commands) >= 10, f"{document} shows too few commands to be a guide"
    work = workdir_for(tmp_path)
    database, staging = make_database(), make_database()
    load_database(database, REPO / "examples" / "schema.sql")
    load_database(staging, REPO / "examples" / "schema_v2.sql")
    env = {**os.environ, "DATABASE_URL": database, "STAGING_DATABASE_URL": staging, "NO_COLOR": "1"}
    ran = 0
    for command in commands:
        for part in runnable_parts(command):
            if part.startswith("uv run") and not shutil.which("uv"):
                continue
            line = localise(part, example_server.port)
            result = subprocess.run(
                ["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=300
            )
            ran += 1
            allowed = {0, 1} if any(flag in part for flag in CHECK_FLAGS) else {0}
            assert result.returncode in allowed, (
                f"{document}: {part}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
            assert "Traceback" not in result.stderr, f"{document}: {part}\n{result.stderr[-2000:]}"
            if re.search(r"--json\b|--format json", part):
                json.loads(result.stdout)
    assert ran >= 10


@pytest.mark.pg
@pytest.mark.slow
def test_the_validation_commands_in_skill_md_behave_as_documented(example_server, tmp_path):
    """Spot-check outcomes the docs promise, beyond exiting cleanly."""
    base = example_server.base_url
    invalid = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "api_load_tester.py"),
            f"{base}/users",
            "--method",
            "POST",
            "--header",
            "Content-Type: application/json",
            "--body",
            '{"email": "not-an-email"}',
            "--expect-status",
            "400",
            "--duration",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert invalid.returncode == 0, invalid.stderr
    assert json.loads(invalid.stdout)["passed"] is True
    no_limit = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "api_load_tester.py"),
            f"{base}/users",
            "--concurrency",
            "5",
            "--duration",
            "1",
            "--expect-rate-limit",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert no_limit.returncode == 1 and "429" in no_limit.stderr + no_limit.stdout


def installed_skill(home: Path) -> Path:
    """Copy what an installer copies (the tracked files) to ~/.claude/skills/senior-backend."""
    skill = home / ".claude" / "skills" / "senior-backend"
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        source = REPO / name
        if name.startswith("tests/") or not source.is_file():
            continue
        target = skill / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return skill


@pytest.mark.slow
def test_the_skill_works_from_an_agent_skills_folder(tmp_path, fault_server):
    from skills_ref.validator import validate

    home = tmp_path / "home"
    skill = installed_skill(home)
    assert validate(skill) == []
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": ""}

    def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", str(skill / "scripts" / f"{script}.py"), *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    for script in SCRIPTS:
        helped = run(script, "--help")
        assert helped.returncode == 0 and "Examples:" in helped.stdout, helped.stderr
    scaffold = run("api_scaffolder", str(skill / "examples" / "openapi.yaml"), "--output", "api", "--json")
    assert scaffold.returncode == 0, scaffold.stderr
    assert {"app.ts", "types.ts", "handlers/users.ts"} <= set(json.loads(scaffold.stdout)["files"]["created"])
    assert (elsewhere / "api" / "routes" / "users.ts").is_file()
    analysis = run("database_migration_tool", "--analyze", str(skill / "examples" / "schema.sql"), "--json")
    assert analysis.returncode == 0, analysis.stderr
    rules = {finding["rule"] for finding in json.loads(analysis.stdout)["findings"]}
    assert {"unindexed-foreign-key", "duplicate-index", "missing-primary-key"} <= rules
    load = run(
        "api_load_tester",
        f"{fault_server.base_url}/skill",
        "--requests",
        "40",
        "--concurrency",
        "4",
        "--workers",
        "1",
        "--json",
    )
    assert load.returncode == 0, load.stderr
    assert json.loads(load.stdout)["runs"][0]["summary"]["requests"] == 40
