"""`--compare` with `--format json` / `--json`: a connection error prints one JSON error document on stdout
(schema `error.v1.json`) like every other failure, the one-line error on stderr, and the password nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from senior_backend.common.json_schemas import validation_errors
from tests.dbtool_diff.test_runner import TOOL

UNREACHABLE = "postgresql://app:s3cret@127.0.0.1:1/app"


@pytest.mark.parametrize(
    "flags",
    [
        ("--connection", UNREACHABLE, "--format", "json"),
        ("--connection", UNREACHABLE, "--json", "--shadow", "embedded"),
        ("--connection", UNREACHABLE, "--format=json", "--output", "{tmp}/migrations"),
    ],
    ids=["format-json", "json-embedded-shadow", "format-equals-json-with-output"],
)
def test_an_unreachable_target_prints_one_json_error_document(flags, tmp_path: Path, run_tool) -> None:
    desired = tmp_path / "schema.sql"
    desired.write_text("CREATE TABLE users (id int PRIMARY KEY);\n")
    args = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    result = run_tool(TOOL, "--compare", str(desired), *args)
    assert result.returncode == 4, result.stderr
    document = json.loads(result.stdout)  # exactly one document: json.loads rejects trailing text
    assert validation_errors(document, "error") == []
    assert document["exit_code"] == 4 and document["error"]["rule"] == "unreachable-database"
    assert "127.0.0.1:1" in document["error"]["message"]
    assert "s3cret" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot connect to ")
    assert not (tmp_path / "migrations").exists()


def test_an_unreachable_shadow_server_prints_one_json_error_document(tmp_path: Path, run_tool) -> None:
    old, new = tmp_path / "v1.sql", tmp_path / "v2.sql"
    old.write_text("CREATE TABLE users (id int);\n")
    new.write_text("CREATE TABLE users (id bigint);\n")
    result = run_tool(TOOL, "--compare", str(old), str(new), "--shadow-url", UNREACHABLE, "--json")
    assert result.returncode == 4
    document = json.loads(result.stdout)
    assert validation_errors(document, "error") == [] and document["exit_code"] == 4
    assert "s3cret" not in result.stdout + result.stderr
