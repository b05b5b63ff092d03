"""CI runs the README's quick start as the README writes it: `.ci/run` reads the commands out of
README.md (`.ci/readme_quickstart.py`) instead of keeping its own copy, in a fresh virtualenv with
no test server configured."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CI = REPO / ".ci" / "run"

pytestmark = pytest.mark.quick


def _extractor():
    spec = importlib.util.spec_from_file_location("readme_quickstart", REPO / ".ci" / "readme_quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_quick_start_is_install_and_run_then_the_tests():
    commands = _extractor().quickstart_commands((REPO / "README.md").read_text())
    assert len(commands) == 2, commands
    install, tests = commands
    assert install.startswith("pip install -e '.[test]'") and "scripts/api_scaffolder.py" in install
    assert tests == "python -m pytest"


def test_ci_runs_the_commands_it_reads_from_the_readme_in_a_fresh_virtualenv():
    script = CI.read_text()
    assert "python3 .ci/readme_quickstart.py README.md >" in script
    assert 'bash -e "$XDG_RUNTIME_DIR/quickstart.sh"' in script
    assert 'python3 -m venv "$venv"' in script
    assert "unset TEST_DATABASE_URL" in script
    phase_one = script[: script.index("== Lint")]
    assert "TEST_DATABASE_URL=" not in phase_one, "the README's path must run on the embedded server"
    commands = [line for line in phase_one.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in commands if "-m pytest" in line], (
        "CI must not run a test command of its own before the README's"
    )


def test_the_extractor_prints_exactly_the_readme_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n## Quick start\n\nSome words.\n\n```bash\npip install -e '.[test]' && echo hi\n\n"
        "python -m pytest -q\n```\n\n```bash\nnot this\n```\n\n## Next\n```bash\nnor this\n```\n"
    )
    printed = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "readme_quickstart.py"), str(readme)],
        capture_output=True,
        text=True,
    )
    assert printed.returncode == 0
    assert printed.stdout == "pip install -e '.[test]' && echo hi\npython -m pytest -q\n"
    readme.write_text("# x\n\n## Install\n```bash\npip install x\n```\n")
    missing = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "readme_quickstart.py"), str(readme)],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "Quick start" in missing.stderr
