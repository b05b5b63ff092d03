"""Spec -> code -> spec -> code: the recovered spec is a valid input to the scaffolder again, and the
code generated from it passes `tsc --strict` (one tsc run over both frameworks' outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scaffold.conftest import generate
from tests.support.node import NodeProject


@pytest.mark.node
@pytest.mark.slow
def test_code_from_a_recovered_spec_typechecks(
    node_project: NodeProject, round_trip: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    for framework in ("fastify", "express"):
        result = generate(round_trip[(framework, "features31")], framework, tmp_path / framework)
        assert result.returncode == 0, result.stdout
    assert (tmp_path / "express" / "routes" / "pets.ts").is_file()
    checked = node_project.typecheck(tmp_path)
    assert checked.returncode == 0, checked.stdout[-3000:]
