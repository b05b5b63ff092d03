"""The `--generate-spec` use case called directly (no click, no subprocess): `run_generate_spec`
writes the document it reports, refuses a spec it did not write, writes nothing on a dry run, and
its JSON matches the published schema strictly enough that a renamed key fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.json_schemas import validation_errors
from senior_backend.scaffold.run import ScaffoldOptions, run_scaffold
from senior_backend.scaffold.tospec.report import to_json
from senior_backend.scaffold.tospec.run import GenerateSpecOptions, run_generate_spec
from tests.scaffold.conftest import SPECS, valid_document

pytestmark = pytest.mark.quick

ROUTES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def test_the_written_document_is_the_reported_one(tmp_path: Path) -> None:
    target = tmp_path / "specs" / "openapi.yaml"
    result = run_generate_spec(GenerateSpecOptions(ROUTES / "koa", target))
    assert yaml.safe_load(target.read_text()) == result.document
    operations = {f"{op.method.upper()} {op.path}" for op in result.operations}
    assert {"GET /api/users", "GET /api/users/{id}", "POST /api/articles/{slug}/comments"} <= operations
    assert operations == {
        f"{method.upper()} {path}" for path, item in result.document["paths"].items() for method in item
    }
    assert [path.name for path in result.route_files] == ["app.ts", "articles.js", "users.ts"]
    assert [(w.rule, Path(w.where or "").name) for w in result.warnings] == [
        ("all-methods", "articles.js:14")
    ]
    document = valid_document(to_json(result), "scaffold-generate-spec")
    assert document["files"] == 3 and document["source"] == str(ROUTES / "koa")


def test_code_generated_by_the_scaffolder_comes_back_with_its_schemas_as_json(tmp_path: Path) -> None:
    generated = run_scaffold(ScaffoldOptions(SPECS["shop"], tmp_path / "api"))
    target = tmp_path / "recovered.json"
    result = run_generate_spec(GenerateSpecOptions(tmp_path / "api", target))
    assert json.loads(target.read_text()) == result.document
    assert {op.operation_id for op in result.operations} == {op.operation_id for op in generated.operations}
    assert set(result.schemas) <= set(result.document["components"]["schemas"]) and "User" in result.schemas
    valid_document(to_json(result), "scaffold-generate-spec")


def test_a_spec_it_did_not_write_is_refused_unless_forced_and_a_dry_run_writes_nothing(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "openapi.yaml"
    mine.write_text("openapi: 3.1.0\ninfo: {title: hand-written, version: '1'}\npaths: {}\n")
    with pytest.raises(Refused) as refused:
        run_generate_spec(GenerateSpecOptions(ROUTES / "fastify", mine))
    assert refused.value.diagnostic.rule == "not-generated" and "--force" in (
        refused.value.diagnostic.hint or ""
    )
    dry = run_generate_spec(GenerateSpecOptions(ROUTES / "fastify", mine, dry_run=True))
    assert "hand-written" in mine.read_text() and dry.operations
    assert to_json(dry)["summary"].startswith("Dry run: ")
    run_generate_spec(GenerateSpecOptions(ROUTES / "fastify", mine, force=True))
    assert "/users/{id}" in yaml.safe_load(mine.read_text())["paths"]
    again = run_generate_spec(GenerateSpecOptions(ROUTES / "fastify", mine))  # ours now: no --force needed
    assert yaml.safe_load(mine.read_text()) == again.document


def test_bad_input_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="does not exist"):
        run_generate_spec(GenerateSpecOptions(tmp_path / "missing", tmp_path / "x.yaml"))
    with pytest.raises(BadInput, match=r"no \.ts/\.js files"):
        run_generate_spec(GenerateSpecOptions(tmp_path / "empty", tmp_path / "x.yaml"))
    with pytest.raises(BadInput, match="is a folder"):
        run_generate_spec(GenerateSpecOptions(ROUTES / "koa", tmp_path / "empty"))
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    "key",
    ["source", "files", "operations", "schemas", "warnings", "summary", "operations/where", "warnings/rule"],
)
def test_the_schema_catches_a_renamed_key(tmp_path: Path, key: str) -> None:
    result = run_generate_spec(GenerateSpecOptions(ROUTES / "koa", tmp_path / "spec.yaml", dry_run=True))
    document = valid_document(to_json(result), "scaffold-generate-spec")
    outer, _, inner = key.partition("/")
    holder = document[outer][0] if inner else document
    holder[(inner or outer) + "_"] = holder.pop(inner or outer)
    assert validation_errors(document, "scaffold-generate-spec")
