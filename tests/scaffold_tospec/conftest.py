"""Session fixtures: every scaffolder test spec generated once per framework, then recovered once."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from senior_backend.scaffold.cli import command
from tests.scaffold.conftest import FRAMEWORKS, SPECS, check_json_output, generate


def recover(source: Path, output: Path, *extra: str) -> tuple[int, str, str]:
    """Run `--generate-spec` in-process: (exit code, stdout, stderr); a JSON document is checked
    against its schema."""
    args = [str(source), "--generate-spec", "--output", str(output), *extra]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    check_json_output(args, result.exit_code, result.stdout, "scaffold-generate-spec")
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(framework, spec) -> the spec recovered from the code generated from that spec."""
    out: dict[tuple[str, str], Path] = {}
    for framework in FRAMEWORKS:
        root = tmp_path_factory.mktemp(f"rt-{framework}")
        for name, spec in SPECS.items():
            generated = generate(spec, framework, root / name)
            assert generated.returncode == 0, generated.stdout
            target = root / f"{name}.recovered.yaml"
            code, stdout, stderr = recover(root / name, target)
            assert code == 0, stdout + stderr
            out[(framework, name)] = target
    return out
