"""The package works installed from a wheel, installed editable, and from the checkout's scripts/."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

PROBE = "from senior_backend.scaffold.resources import find_templates; print(find_templates()[0])"
SCHEMAS = (
    "from senior_backend.common.json_schemas import SCHEMA_DIR; "
    "print(sorted(p.name for p in SCHEMA_DIR.glob('*.json')))"
)


def make_venv(path: Path) -> Path:
    """A new virtualenv that also sees this test run's packages (the build backend hatchling and
    `editables` come from the test extra), so the install needs no index and no outer setup.

    `system_site_packages` alone is not enough: inside a virtualenv it points at the base Python's
    site-packages, not at the environment the tests run in."""
    venv.create(path, with_pip=True)
    bin_dir = path / "bin"
    site = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "outer-test-env.pth").write_text("".join(f"{folder}\n" for folder in sorted(outer)))
    return bin_dir


def pip_install(bin_dir: Path, *args: str) -> None:
    result = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_wheel_install_uses_packaged_templates(tmp_path):
    bin_dir = make_venv(tmp_path / "venv")
    pip_install(bin_dir, str(REPO))
    mode = subprocess.run(
        [str(bin_dir / "python"), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path
    )
    assert mode.stdout.strip() == "package", mode.stderr
    shipped = subprocess.run(
        [str(bin_dir / "python"), "-c", SCHEMAS], capture_output=True, text=True, cwd=tmp_path
    )
    assert "'problem.v1.json'" in shipped.stdout, shipped.stderr
    for script in ("api-scaffolder", "database-migration-tool", "api-load-tester"):
        result = subprocess.run(
            [str(bin_dir / script), "--help"], capture_output=True, text=True, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        assert "Examples:" in result.stdout


def test_editable_install_uses_checkout_templates(tmp_path):
    bin_dir = make_venv(tmp_path / "venv")
    pip_install(bin_dir, "-e", str(REPO))
    mode = subprocess.run(
        [str(bin_dir / "python"), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path
    )
    assert mode.stdout.strip() == "checkout", mode.stderr


@pytest.mark.parametrize("script", ["api_scaffolder", "database_migration_tool", "api_load_tester"])
def test_scripts_run_from_a_copied_skill_folder(tmp_path, script):
    """A skill folder copied elsewhere (no install) still runs: the shim puts its own root on sys.path."""
    import shutil

    skill = tmp_path / "skills" / "senior-backend"
    shutil.copytree(
        REPO, skill, ignore=shutil.ignore_patterns("node_modules", ".git", "__pycache__", ".venv")
    )
    result = subprocess.run(
        [sys.executable, "-I", str(skill / "scripts" / f"{script}.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Examples:" in result.stdout
