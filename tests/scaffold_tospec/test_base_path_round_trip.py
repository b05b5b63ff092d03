"""The server base path survives the round trip: spec (`servers: [{url: http://x/api/v1}]`) -> generated
code (routes mounted under /api/v1) -> --generate-spec gives the spec's own paths and /api/v1 in `servers`,
and generating again from that spec mounts the routes at the same place. Prefixes in code our generator
did not write stay in the paths (tests/scaffold_tospec/test_handwritten.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import build_model
from tests.scaffold.conftest import FRAMEWORKS, generate
from tests.scaffold_tospec.conftest import recover

SPEC = """\
openapi: 3.0.3
info: {title: Base path, version: '1'}
servers:
  - url: http://x/api/v1
paths:
  /:
    get:
      operationId: getRoot
      responses: {'200': {description: ok}}
  /items:
    get:
      tags: [items]
      operationId: listItems
      responses: {'200': {description: ok}}
    post:
      tags: [items]
      operationId: createItem
      responses: {'201': {description: created}}
  /items/{id}:
    get:
      tags: [items]
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
  /api/v1/echo:
    get:
      tags: [echo]
      operationId: echo
      responses: {'200': {description: a path that itself starts like the base path}}
"""
ORIGINAL = {
    ("get", "/"),
    ("get", "/items"),
    ("post", "/items"),
    ("get", "/items/{id}"),
    ("get", "/api/v1/echo"),
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base") / "spec.yaml"
    path.write_text(SPEC)
    return path


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_code_gives_back_the_paths_and_the_base_path_in_servers(
    spec: Path, tmp_path: Path, framework: str
) -> None:
    assert generate(spec, framework, tmp_path / "code").returncode == 0
    code, stdout, stderr = recover(tmp_path / "code", tmp_path / "recovered.yaml")
    assert code == 0, stdout + stderr
    document = yaml.safe_load((tmp_path / "recovered.yaml").read_text())
    assert document["servers"] == [{"url": "/api/v1"}]
    assert _operations(document) == ORIGINAL
    # Generating again from the recovered spec mounts the routes at the same base path.
    assert build_model(load_openapi(tmp_path / "recovered.yaml")).base_path == "/api/v1"
    assert generate(tmp_path / "recovered.yaml", framework, tmp_path / "again").returncode == 0
    code, stdout, stderr = recover(tmp_path / "again", tmp_path / "twice.yaml")
    assert code == 0, stdout + stderr
    twice = yaml.safe_load((tmp_path / "twice.yaml").read_text())
    assert twice["servers"] == [{"url": "/api/v1"}] and _operations(twice) == ORIGINAL


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_without_a_base_path_there_is_no_server(tmp_path: Path, framework: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("servers:\n  - url: http://x/api/v1\n", ""))
    assert generate(spec, framework, tmp_path / "code").returncode == 0
    code, stdout, stderr = recover(tmp_path / "code", tmp_path / "recovered.yaml")
    assert code == 0, stdout + stderr
    document = yaml.safe_load((tmp_path / "recovered.yaml").read_text())
    assert "servers" not in document and _operations(document) == ORIGINAL
