"""Session fixtures: every scaffolder test spec generated once per framework, then recovered once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openapi_spec_validator import validate

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.cli import command
from tests.scaffold.conftest import FRAMEWORKS, SPEC_DIR, SPECS, check_json_output, generate

UNTAGGED = SPEC_DIR / "untagged_media.yaml"  # no operationIds, no tags; multipart, JSON Patch, form bodies


def recover(source: Path, output: Path, *extra: str) -> tuple[int, str, str]:
    """Run `--generate-spec` in-process: (exit code, stdout, stderr); a JSON document is checked
    against its schema."""
    args = [str(source), "--generate-spec", "--output", str(output), *extra]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    check_json_output(args, result.exit_code, result.stdout, "scaffold-generate-spec")
    return result.exit_code, result.stdout, result.stderr


def validated_document(path: Path) -> dict[str, Any]:
    """A recovered document, after both the scaffolder's loader and openapi-spec-validator accept it."""
    load_openapi(str(path))
    document = yaml.safe_load(path.read_text())
    validate(document)
    return document


def recovered_from(files: dict[str, str], tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Write hand-written route files (path under src/ -> text), recover their spec: (document, stderr)."""
    for relative, content in files.items():
        (tmp_path / "src" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / relative).write_text(content)
    target = tmp_path / "openapi.yaml"
    code, stdout, stderr = recover(tmp_path / "src", target)
    assert code == 0, stdout + stderr
    return validated_document(target), stderr


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


@pytest.fixture(scope="session")
def untagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """framework -> (the code generated from `UNTAGGED`, the spec recovered from that code)."""
    out: dict[str, tuple[Path, Path]] = {}
    root = tmp_path_factory.mktemp("untagged")
    for framework in FRAMEWORKS:
        generated = generate(UNTAGGED, framework, root / framework)
        assert generated.returncode == 0, generated.stdout
        target = root / f"{framework}.recovered.yaml"
        code, stdout, stderr = recover(root / framework, target)
        assert code == 0, stdout + stderr
        out[framework] = (root / framework, target)
    return out
