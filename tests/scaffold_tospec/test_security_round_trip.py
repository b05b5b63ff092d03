"""Security survives the round trip: spec (tests/fixtures/specs/security.yaml: every kind of scheme,
global security, per-operation overrides, optional `{}`, a public `[]`, an undeclared scheme) -> generated
code -> --generate-spec gives each operation's `security` and `components.securitySchemes` back, and
generating again from that spec enforces the same requirements. Code without our banner gives none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scaffold.conftest import FRAMEWORKS, SPEC_DIR, generate
from tests.scaffold_tospec.conftest import recover

SPEC = SPEC_DIR / "security.yaml"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _security(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(method, path) -> the operation's effective `security` (None when public)."""
    default = document.get("security")
    out = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            effective = operation.get("security", default)
            out[(method, path)] = effective or None
    return out


def _enforced(project: Path) -> list[str]:
    """The lines of the generated auth.ts that decide who gets in (scheme checks, requirement tables),
    sorted: operations come back in the order of the route files."""
    text = (project / "auth.ts").read_text()
    return sorted(text[text.index("const SCHEMES") : text.index("function challenges")].splitlines())


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_security_schemes_and_requirements_come_back(tmp_path: Path, framework: str) -> None:
    original = yaml.safe_load(SPEC.read_text())
    assert generate(SPEC, framework, tmp_path / "code").returncode == 0
    code, stdout, stderr = recover(tmp_path / "code", tmp_path / "recovered.yaml")
    assert code == 0, stdout + stderr
    recovered = yaml.safe_load((tmp_path / "recovered.yaml").read_text())
    assert recovered["components"]["securitySchemes"] == original["components"]["securitySchemes"]
    assert _security(recovered) == _security(original)
    assert _security(recovered)[("get", "/feed")] == [{}, {"bearerAuth": []}]  # optional stays optional
    assert _security(recovered)[("delete", "/pets/{petId}")] == [{"ghostScheme": []}]  # still denied
    # Generating again from the recovered spec enforces exactly the same requirements.
    assert generate(tmp_path / "recovered.yaml", framework, tmp_path / "again").returncode == 0
    assert _enforced(tmp_path / "again") == _enforced(tmp_path / "code")


@pytest.mark.quick
def test_hand_written_auth_gives_no_security(tmp_path: Path) -> None:
    assert generate(SPEC, "express", tmp_path / "code").returncode == 0
    auth = tmp_path / "code" / "auth.ts"
    auth.write_text(auth.read_text().split("\n", 1)[1])  # no banner: not our generated file
    code, stdout, stderr = recover(tmp_path / "code", tmp_path / "recovered.yaml")
    assert code == 0, stdout + stderr
    recovered = yaml.safe_load((tmp_path / "recovered.yaml").read_text())
    assert "securitySchemes" not in recovered.get("components", {})
    assert set(_security(recovered).values()) == {None}


@pytest.mark.quick
def test_a_malformed_security_stays_denied(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /x:\n    get:\n      security: {}\n      responses: {'200': {description: ok}}\n"
        "components:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: X-Key}\n"
    )
    assert generate(spec, "koa", tmp_path / "code").returncode == 0
    code, stdout, stderr = recover(tmp_path / "code", tmp_path / "recovered.yaml")
    assert code == 0, stdout + stderr
    recovered = yaml.safe_load((tmp_path / "recovered.yaml").read_text())
    assert recovered["paths"]["/x"]["get"]["security"] == {}  # not dropped: that would make it public
    assert generate(tmp_path / "recovered.yaml", "koa", tmp_path / "again").returncode == 0
    assert '\n  "getX": [],\n' in (tmp_path / "again" / "auth.ts").read_text()  # every request denied
