"""Objects that use a recreated function or enum: dropped and recreated in the safe forms, or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from senior_backend.dbtool.diff.plan import diff_snapshots, migration_plans
from tests.dbtool_diff.convergence import load

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"


def ordered(text: str, *parts: str) -> bool:
    positions = [text.index(part) for part in parts]
    return positions == sorted(positions)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_function_users_are_dropped_before_and_recreated_after_in_safe_forms(corpus_results, direction):
    result = corpus_results["function_drop_with_dependents"]
    text = getattr(result, direction).render(direction)
    assert "CASCADE" not in text
    assert ordered(
        text,
        'DROP POLICY "t_visible"',
        'DROP CONSTRAINT "t_a_check"',
        'ALTER COLUMN "a" DROP DEFAULT',
        'DROP FUNCTION "public"."bump"',
        "CREATE OR REPLACE FUNCTION public.bump",
        'ALTER COLUMN "a" SET DEFAULT bump(1)',
        'ADD CONSTRAINT "t_a_check" CHECK ((bump(a) > 0)) NOT VALID;',
        'VALIDATE CONSTRAINT "t_a_check"',
        'CREATE POLICY "t_visible"',
    )


def test_generated_column_is_recomputed_not_lost_and_indexes_are_rebuilt_concurrently(corpus_results):
    plan = corpus_results["function_drop_generated_and_index"].up
    text = plan.render("up")
    assert "CASCADE" not in text and not plan.data_loss
    # the view's drop and recreation stay in one transaction block: the concurrent steps go around it
    assert ordered(
        text,
        'DROP INDEX CONCURRENTLY "public"."t_dbl"',
        'DROP VIEW "public"."t_view"',
        'DROP COLUMN "w"',
        'DROP FUNCTION "public"."dbl"(n integer, OUT r integer)',
        'ADD COLUMN "w" integer GENERATED ALWAYS AS (dbl(v)) STORED',
        'CREATE VIEW "public"."t_view"',
        "CREATE INDEX CONCURRENTLY t_dbl",
        "CREATE INDEX CONCURRENTLY t_w",
    )
    block = text[text.index('DROP VIEW "public"."t_view"') : text.index('CREATE VIEW "public"."t_view"')]
    assert "COMMIT;" not in block
    added = next(c for c in plan.changes if 'ADD COLUMN "w"' in " ".join(c.up))
    assert added.rewrites and not added.data_loss


def test_renamed_argument_drops_the_old_signature_once(corpus_results):
    text = corpus_results["function_argument_rename"].up.render("up")
    assert text.count("DROP FUNCTION") == 1
    assert ordered(
        text, 'DROP FUNCTION "public"."half"(x numeric)', "CREATE OR REPLACE FUNCTION public.half(amount"
    )


def test_enum_recreate_converts_domains_arrays_and_defaults(corpus_results):
    text = corpus_results["enum_recreate_domain_array_default"].up.render("up")
    assert "CASCADE" not in text
    assert ordered(
        text,
        'ALTER COLUMN "label" DROP DEFAULT',
        'DROP CONSTRAINT "items_plain_check"',
        'ALTER TYPE "public"."status" RENAME TO "status__old"',
        'ALTER DOMAIN "public"."live_status" RENAME TO "live_status__old"',
        'CREATE DOMAIN "public"."live_status" AS status',
        'USING "history"::text[]::status[]',
        'USING "s"::text::live_status',
        'DROP DOMAIN "public"."live_status__old"',
        'DROP TYPE "public"."status__old"',
        'ALTER COLUMN "label" SET DEFAULT',
        "ADD CONSTRAINT \"items_plain_check\" CHECK ((plain <> 'archived'::status)) NOT VALID",
        "CREATE INDEX CONCURRENTLY items_active",
    )


# what the diff still cannot move to a recreated enum: a range type over it, and a composite type built
# on a composite type over it (functions, composites, domains and columns over it are converted)
ENUM_IN_SIGNATURE = (
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
    "CREATE TYPE mood_span AS RANGE (subtype = mood);\n"
    "CREATE TYPE feeling AS (m mood, since date);\n"
    "CREATE TYPE diary_entry AS (f feeling, note text);\n"
)


def test_enum_used_where_it_cannot_be_converted_is_refused_by_name(db_pool):
    with db_pool.databases(2) as (a, b):
        old = load(a, ENUM_IN_SIGNATURE)
        new = load(b, ENUM_IN_SIGNATURE.replace("'sad', 'ok', 'happy'", "'ok', 'sad'"))
    up, down = migration_plans(old, new)
    assert any("type mood_span" in r for r in (d.message for d in up.refusals)), up.refusals
    assert any("diary_entry uses public.feeling" in r for r in (d.message for d in up.refusals)), up.refusals
    assert not any("RENAME" in s for s in up.statements()), "no SQL for a refused enum"
    assert down.refusals == [] and any(
        "not reversed" in w and "mood_span" in w for w in (d.message for d in down.warnings)
    )


def test_function_used_by_a_domain_is_refused_by_name(db_pool):
    current = (
        "CREATE FUNCTION ok(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT n > 0';\n"
        "CREATE DOMAIN positive AS int CHECK (ok(VALUE));\n"
    )
    with db_pool.databases(2) as (a, b):
        old = load(a, current)
        new = load(b, current.replace("ok(n int)", "ok(v int)").replace("n > 0", "v > 0"))
    plan = diff_snapshots(old, new)
    assert plan.refusals and "domain public.positive" in plan.refusals[0].message


def test_cli_refuses_with_exit_code_3_naming_the_object(tmp_path: Path, run_tool, pg_server_url):
    (tmp_path / "a.sql").write_text(ENUM_IN_SIGNATURE)
    (tmp_path / "b.sql").write_text(ENUM_IN_SIGNATURE.replace("'sad', 'ok', 'happy'", "'ok', 'sad'"))
    result = run_tool(
        TOOL,
        "--compare",
        str(tmp_path / "a.sql"),
        str(tmp_path / "b.sql"),
        "--shadow-url",
        pg_server_url,
        "--allow-data-loss",
    )
    assert result.returncode == 3, result.stderr
    assert "mood_span" in result.stderr and "no safe migration" in result.stderr


def test_function_in_a_view_column_default_is_refused_by_name(db_pool):
    current = (
        "CREATE FUNCTION one(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n';\n"
        "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT a FROM t;\n"
        "ALTER VIEW v ALTER COLUMN a SET DEFAULT one(1);\n"
    )
    with db_pool.databases(2) as (a, b):
        old = load(a, current)
        new = load(b, current.replace("RETURNS int", "RETURNS bigint"))
    plan = diff_snapshots(old, new)
    assert any("public.v.a" in refusal for refusal in (d.message for d in plan.refusals)), plan.refusals
