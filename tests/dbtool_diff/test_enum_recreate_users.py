"""An enum recreated (a value removed or reordered) with what uses it: functions that stay, composite types,
domains built on domains over it, and columns that change type in the same migration, each moved in
dependency order; rows holding a removed value still stop the migration, named."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from senior_backend.dbtool.diff.plan import migration_plans
from senior_backend.dbtool.migrate.progress import MigrationFailed
from tests.dbtool_diff.convergence import CASES, apply, load

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"
FUNCTIONS = CASES / "enum_recreate_function_stays"


def ordered(text: str, *parts: str) -> bool:
    positions = [text.index(part) for part in parts]
    return positions == sorted(positions)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_functions_that_stay_are_dropped_before_the_rename_and_created_after(corpus_results, direction):
    text = getattr(corpus_results["enum_recreate_function_stays"], direction).render(direction)
    assert "CASCADE" not in text
    assert ordered(
        text,
        'DROP VIEW "public"."cheered"',
        'ALTER COLUMN "m" DROP DEFAULT',
        'DROP FUNCTION "public"."cheer"(m mood)',
        'DROP FUNCTION "public"."set_mood"(p_id integer, p_m mood)',
        'ALTER TYPE "public"."mood" RENAME TO "mood__old"',
        'USING "m"::text::mood',
        'DROP TYPE "public"."mood__old"',
        "CREATE OR REPLACE FUNCTION public.cheer(m mood)",
        "CREATE OR REPLACE FUNCTION public.default_mood()",
        'ALTER COLUMN "m" SET DEFAULT default_mood()',
        'CREATE VIEW "public"."cheered"',
    )
    for name in ("cheer", "default_mood", "happiest", "set_mood"):
        assert text.count(f'DROP FUNCTION "public"."{name}"') == 1, name
        assert text.count(f"CREATE OR REPLACE FUNCTION public.{name}(") == 1, name


def test_the_removed_value_is_named_as_data_loss_only_where_values_go(corpus_results):
    result = corpus_results["enum_recreate_function_stays"]
    (recreate,) = [c for c in result.up.changes if c.description.startswith("recreate enum public.mood")]
    assert recreate.data_loss and "rows holding ecstatic cannot be converted" in recreate.description
    assert not result.down.data_loss


def test_composite_type_is_recreated_and_its_columns_converted_through_text(corpus_results):
    text = corpus_results["enum_recreate_composite_type"].up.render("up")
    assert ordered(
        text,
        'DROP VIEW "public"."latest_moods"',
        'DROP FUNCTION "public"."mood_of"(r reading)',
        'DROP FUNCTION "public"."readings_of"(p_id integer)',  # RETURNS TABLE(r reading, ...)
        'ALTER TYPE "public"."mood" RENAME TO "mood__old"',
        'ALTER TYPE "public"."reading" RENAME TO "reading__old"',
        'CREATE TYPE "public"."reading" AS ("m" mood',
        'ALTER COLUMN "history" DROP DEFAULT',
        'USING "history"::text[]::reading[]',
        'USING "latest"::text::reading',
        'DROP TYPE "public"."reading__old"',
        'DROP TYPE "public"."mood__old"',
        "CREATE OR REPLACE FUNCTION public.mood_of(r reading)",
        "CREATE OR REPLACE FUNCTION public.readings_of(p_id integer)",
        'ALTER COLUMN "history" SET DEFAULT',
        'CREATE VIEW "public"."latest_moods"',
    )


def test_domains_built_on_domains_are_recreated_after_their_base_and_dropped_before_it(corpus_results):
    text = corpus_results["enum_recreate_nested_domain"].up.render("up")
    assert ordered(
        text,
        'DROP FUNCTION "public"."is_good"(g good_mood)',
        'CREATE DOMAIN "public"."known_mood" AS mood',
        'CREATE DOMAIN "public"."good_mood" AS known_mood',
        'USING "g"::text::good_mood',
        'USING "moods"::text[]::good_mood[]',
        'DROP DOMAIN "public"."good_mood__old"',
        'DROP DOMAIN "public"."known_mood__old"',
        'DROP TYPE "public"."mood__old"',
    )
    assert "VALUE IS NOT NULL" in text  # the domain changed in the same migration is created as desired


@pytest.mark.parametrize("direction", ["up", "down"])
def test_columns_changing_type_keep_the_old_enum_until_their_own_change(corpus_results, direction):
    plan = getattr(corpus_results["enum_recreate_column_changes_type"], direction)
    text = plan.render(direction)
    assert plan.changes[-1].up == ['DROP TYPE "public"."mood__old";']
    assert ordered(
        text, 'CREATE TYPE "public"."mood"', "change type of public.people.", 'DROP TYPE "public"."mood__old"'
    )


def test_rows_holding_a_removed_value_stop_the_migration_and_nothing_changes(db_pool):
    current = (FUNCTIONS / "current.sql").read_text() + "INSERT INTO people VALUES (4, 'dee', 'ecstatic');\n"
    with db_pool.databases(2) as (work, target):
        before = load(work, current)
        up, _ = migration_plans(before, load(target, (FUNCTIONS / "desired.sql").read_text()))
        with pytest.raises(MigrationFailed, match="ecstatic"):
            apply(work, up, "up")
        with psycopg.connect(work) as conn:
            labels = conn.execute("SELECT enum_range(NULL::mood)::text").fetchone()
            moods = conn.execute("SELECT m::text FROM people ORDER BY id").fetchall()
            functions = conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'cheer'").fetchone()
    assert labels == ("{sad,ok,happy,ecstatic}",)
    assert [m for (m,) in moods] == ["sad", "happy", "ok", "ecstatic"]
    assert functions == (1,)


def test_cli_refuses_the_data_loss_naming_the_removed_value(tmp_path: Path, run_tool, pg_server_url):
    result = run_tool(
        TOOL,
        "--compare",
        str(FUNCTIONS / "current.sql"),
        str(FUNCTIONS / "desired.sql"),
        "--shadow-url",
        pg_server_url,
    )
    assert result.returncode == 3, result.stderr
    assert "ecstatic" in result.stderr and "Traceback" not in result.stderr
