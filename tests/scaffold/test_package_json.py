"""The generated package.json is the single source of the runtime dependencies: every bare import of
every generated .ts file is listed in it (or is a `node:` builtin), and a project whose node_modules
holds exactly what it lists (`npm install` from it, no other packages) compiles with its own tsconfig."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from senior_backend.scaffold.cli import command
from senior_backend.scaffold.tospec.jsast import parse_file, string_value
from tests.scaffold.conftest import FRAMEWORKS, SPEC_DIR, SPECS, generate
from tests.support.node import node_available

# Every spec of the suite, plus the one that turns on security.ts and auth.ts.
ALL_SPECS = {**SPECS, "security": SPEC_DIR / "security.yaml"}
# The spec whose output is installed and compiled: multipart bodies, security, a base path.
INSTALLED = ("features31", "security")


def package_name(specifier: str) -> str:
    """`@fastify/formbody` -> itself, `ajv/dist/2020.js` -> `ajv`."""
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


def bare_imports(folder: Path) -> dict[str, set[str]]:
    """package name -> the generated files importing it (imports, re-exports, `import()`, `require()`),
    read with tree-sitter so that a spec string that looks like an import is not counted."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.ts")):
        if "node_modules" in path.parts:
            continue
        source = parse_file(path, path.read_bytes())
        specifiers = [
            string_value(statement.child_by_field_name("source"))
            for statement in source.root.named_children
            if statement.type in ("import_statement", "export_statement")
        ]
        for call in source.find().get("call", []):
            function = call.child_by_field_name("function")
            arguments = call.child_by_field_name("arguments")
            loads = function is not None and (function.type == "import" or function.text == b"require")
            if loads and arguments is not None:
                specifiers.extend(string_value(arg) for arg in arguments.named_children[:1])
        for specifier in specifiers:
            if specifier and not specifier.startswith((".", "/", "node:")):
                found.setdefault(package_name(specifier), set()).add(str(path.relative_to(folder)))
    return found


def unlisted(folder: Path) -> dict[str, set[str]]:
    """Packages the code imports that its package.json does not list."""
    package = json.loads((folder / "package.json").read_text())
    listed = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    return {name: files for name, files in bare_imports(folder).items() if name not in listed}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(framework, spec) -> the generated project."""
    root = tmp_path_factory.mktemp("deps")
    out = {}
    for framework in FRAMEWORKS:
        for name, spec in ALL_SPECS.items():
            result = generate(spec, framework, root / framework / name)
            assert result.returncode == 0, result.stdout
            out[(framework, name)] = root / framework / name
    return out


@pytest.mark.quick
def test_import_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text(
        'import x from "express";\nimport type { Y } from "@koa/router";\nexport * from "zod/v4";\n'
        'import "./local.js";\nimport { z } from "node:fs";\nconst p = await import("pg");\n'
        'const q = require("ajv/dist/2020.js");\nconst s = "import w from \\"not-a-package\\"";\n'
    )
    assert set(bare_imports(tmp_path)) == {"express", "@koa/router", "zod", "pg", "ajv"}


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_bare_import_is_in_package_json(projects: dict[tuple[str, str], Path], framework: str) -> None:
    seen: set[str] = set()
    for name in ALL_SPECS:
        folder = projects[(framework, name)]
        assert unlisted(folder) == {}, name
        seen |= set(bare_imports(folder))
    expected = {"express": {"express", "zod", "multer"}, "fastify": {"fastify", "ajv", "ajv-formats"}}
    assert expected.get(framework, {"koa", "@koa/router", "@koa/bodyparser", "zod"}) <= seen


@pytest.mark.pg
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_from_db_output_lists_what_it_imports(pg_url: str, tmp_path: Path, framework: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE pkg_item (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)"
        )
    output = tmp_path / framework
    args = ["--from-db", pg_url, "--framework", framework, "--output", str(output)]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "pg" in bare_imports(output)
    assert unlisted(output) == {}


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> a folder of generated projects (INSTALLED specs); the first one's own package.json
    installed with `npm install` in place, the others using its node_modules (they list no more)."""
    if not node_available():
        pytest.skip("node and npm are needed for this test")
    root = tmp_path_factory.mktemp("npm")
    out = {}
    for framework in FRAMEWORKS:
        folder = root / framework
        for name in INSTALLED:
            assert generate(ALL_SPECS[name], framework, folder / name).returncode == 0
        main, *others = (folder / name for name in INSTALLED)
        listed = json.loads((main / "package.json").read_text())
        for other in others:
            package = json.loads((other / "package.json").read_text())
            for key in ("dependencies", "devDependencies"):
                assert package[key].items() <= listed[key].items(), (other.name, key)
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=main,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        for other in others:
            (other / "node_modules").symlink_to(main / "node_modules", target_is_directory=True)
        out[framework] = folder
    return out


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_installing_exactly_the_package_json_compiles(installed: dict[str, Path], framework: str) -> None:
    """`npm install` of what the generated package.json lists, then its own `npm run typecheck`."""
    for name in INSTALLED:
        project = installed[framework] / name
        package = json.loads((project / "package.json").read_text())
        assert package["scripts"]["typecheck"].startswith("tsc")
        result = subprocess.run(
            [shutil.which("npm") or "npm", "run", "--silent", "typecheck"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, (name, result.stdout[-4000:], result.stderr[-2000:])
