"""The published JSON Schemas are valid 2020-12 schemas with ids under one base, and the shared
problem schema accepts a diagnostic and rejects the old vocabulary."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from senior_backend.common.diagnostics import Level, warning
from senior_backend.common.json_schemas import SCHEMA_BASE, SCHEMA_DIR, validation_errors

pytestmark = pytest.mark.quick


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_schema_is_a_valid_2020_12_schema_named_by_its_file(path):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_BASE + path.name


def test_a_diagnostic_is_a_problem_and_the_old_keys_are_not():
    shown = warning("not-covered", "not covered by the diff: rule public.t.r", hint="write it by hand").to_json()
    assert validation_errors(shown, "problem") == []
    old = {"code": "not-covered", "severity": "warning", "message": "x"}
    errors = validation_errors(old, "problem")
    assert any("'rule' is a required property" in e for e in errors)
    assert validation_errors({**shown, "level": "fatal"}, "problem")
    assert {level.value for level in Level} == {"info", "warning", "error"}
