"""The house rules of ARCHITECTURE.md hold: import-linter's contracts in pyproject.toml are kept
(the tools never import each other, `common` imports no tool, only command modules import click
and no library module imports a command module), and every command module is named there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.quick


def _contracts() -> list[dict]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_every_command_module_is_one_the_library_may_not_import():
    [contract] = [c for c in _contracts() if c["name"] == "Library modules never import a command module"]
    package = REPO / "senior_backend"
    modules = {
        "senior_backend." + ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("cli.py")
    }
    assert modules == set(contract["forbidden_modules"])


def test_the_import_contracts_are_kept():
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "4 kept, 0 broken" in result.stdout
