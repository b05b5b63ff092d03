"""The migration lint: every hazard found in a hand-written unsafe migration, none in the diff's own output."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from senior_backend.common.diagnostics import Level
from senior_backend.common.json_schemas import validation_errors
from senior_backend.dbtool.migrate.lint import RULES, lint_sql
from senior_backend.dbtool.migrate.run import LintReport
from senior_backend.dbtool.migration_files import NO_TRANSACTION_MARKER

UNSAFE = """\
CREATE TABLE fresh (id int);
CREATE INDEX fresh_id ON fresh (id);
CREATE INDEX users_email_idx ON users (email);
DROP INDEX old_idx;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total > 0);
ALTER TABLE users ALTER COLUMN age SET NOT NULL;
ALTER TABLE users ALTER COLUMN age TYPE bigint;
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN code text NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE users RENAME COLUMN email TO mail;
ALTER TABLE users DROP COLUMN nickname;
DROP TABLE legacy;
CREATE INDEX CONCURRENTLY ok_idx ON users (id);
ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();
TRUNCATE users;
DROP SCHEMA archive CASCADE;
VACUUM (FULL, ANALYZE) orders;
CLUSTER orders USING orders_pkey;
TRUNCATE fresh;
"""
EXPECTED = {
    (3, "require-concurrent-index-creation"),
    (3, "require-lock-timeout"),
    (3, "require-statement-timeout"),
    (4, "require-concurrent-index-deletion"),
    (5, "adding-foreign-key-constraint"),
    (6, "constraint-missing-not-valid"),
    (7, "adding-not-nullable-field"),
    (8, "changing-column-type"),
    (9, "adding-field-with-default"),
    (10, "adding-required-field"),
    (11, "disallowed-unique-constraint"),
    (12, "renaming-column"),
    (13, "ban-drop-column"),
    (14, "ban-drop-table"),
    (15, "ban-concurrent-index-creation-in-transaction"),
    (17, "ban-truncate"),
    (18, "ban-drop-schema"),
    (19, "ban-vacuum-full"),
    (20, "ban-cluster"),
}


@pytest.mark.quick
def test_every_hazard_is_found_with_its_line_and_a_fix():
    findings = lint_sql(UNSAFE, "unsafe.sql")
    assert {(f.line, f.rule) for f in findings} == EXPECTED
    assert all(f.fix and f.message for f in findings)
    assert all(f.where == f"unsafe.sql:{f.line}" and f.diagnostic.hint == f.fix for f in findings)
    assert {f.rule for f in findings if f.level is Level.ERROR} >= {
        "ban-drop-table",
        "ban-drop-column",
        "adding-required-field",
        "ban-truncate",
        "ban-drop-schema",
    }


@pytest.mark.quick
def test_findings_speak_the_problem_vocabulary_and_every_rule_is_one_table_row():
    document = LintReport([Path("unsafe.sql")], lint_sql(UNSAFE, "unsafe.sql")).to_json()
    assert validation_errors(document, "dbtool-lint") == []
    assert document["errors"] == 6
    first = document["findings"][0]
    assert set(first) == {"rule", "level", "message", "where", "hint", "file", "line", "statement", "fix"}
    assert {rule for _, rule in EXPECTED} <= RULES.keys()
    assert all(rule.message and rule.fix for rule in RULES.values())


@pytest.mark.quick
def test_the_safe_forms_pass():
    safe = """-- senior-backend: no-transaction
SET lock_timeout = '5s';
SET statement_timeout = '30min';
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;
ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;
COMMIT;
DROP SCHEMA unused;
VACUUM (FULL false, ANALYZE) users;
"""
    assert lint_sql(safe) == []


@pytest.mark.pg
def test_generated_migrations_lint_clean_apart_from_flagged_hazards(corpus_results):
    tolerated = {
        "changing-column-type",
        "ban-drop-column",
        "ban-drop-table",
        "ban-drop-extension",  # the down plans of an added extension or view
        "ban-drop-view",
        "adding-field-with-default",
        "disallowed-unique-constraint",
        "adding-exclusion-constraint",
    }
    for name, result in corpus_results.items():
        if result is None or isinstance(result, Exception):  # not run: the server lacks what it needs
            continue
        for plan in (result.up, result.down):
            text = (NO_TRANSACTION_MARKER + "\n" if plan.no_transaction else "") + plan.render(name)
            # PostgreSQL cannot drop a partitioned table's index CONCURRENTLY, nor add a NOT VALID foreign
            # key to one: the lint is right to warn.
            allowed = tolerated | (
                {"require-concurrent-index-deletion", "adding-foreign-key-constraint"}
                if name.startswith("partition")
                else set()
            )
            unexpected = [f for f in lint_sql(text) if f.rule not in allowed]
            assert unexpected == [], (name, unexpected)


@pytest.mark.skipif(shutil.which("squawk") is None, reason="squawk-cli is not installed")
def test_every_squawk_safety_finding_is_also_ours(tmp_path: Path):
    path = tmp_path / "unsafe.sql"
    path.write_text(UNSAFE)
    out = subprocess.run(
        ["squawk", str(path), "--reporter", "json"], capture_output=True, text=True, timeout=60
    )
    theirs = {(v["line"] + 1, v["rule_name"]) for v in json.loads(out.stdout)}
    style_only = {"prefer-robust-stmts", "prefer-bigint-over-int", "prefer-text-field", "prefer-timestamptz"}
    ours = {(f.line, f.rule) for f in lint_sql(UNSAFE)}
    # squawk also flags an index on a table created in the same file (line 2): no one can be blocked by it.
    same_hazard = {
        "constraint-missing-not-valid": {"adding-foreign-key-constraint", "disallowed-unique-constraint"}
    }
    missing = [
        (line, rule)
        for line, rule in theirs
        if rule not in style_only
        and line != 2
        and (line, rule) not in ours
        and not any((line, other) in ours for other in same_hazard.get(rule, ()))
    ]
    assert missing == []
    assert len({rule for _, rule in theirs} - style_only) >= 10, "squawk itself found the hazards"


@pytest.mark.quick
def test_squawk_ignore_comments_silence_the_rules_they_name_and_nothing_else():
    sql = (
        "-- squawk-ignore-file require-statement-timeout -- the backfill takes as long as it takes\n"
        "SET lock_timeout = '1s';\n"
        "ALTER TABLE t DROP COLUMN a;\n"
        "-- the values were copied first\n"
        "-- squawk-ignore ban-drop-column, renaming-column -- meant\n"
        "ALTER TABLE t DROP COLUMN b;\n"
        "ALTER TABLE t RENAME COLUMN c TO d;\n"
        "-- squawk-ignore\n"
        "ALTER TABLE t RENAME COLUMN e TO f;\n"
        "-- squawk-ignored-by-nobody ban-drop-column\n"
        "ALTER TABLE t DROP COLUMN g;\n"
    )
    assert [(f.line, f.rule) for f in lint_sql(sql)] == [
        (3, "ban-drop-column"),
        (7, "renaming-column"),
        (11, "ban-drop-column"),
    ]
