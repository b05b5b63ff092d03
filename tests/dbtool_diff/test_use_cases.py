"""The use cases behind `--compare`, `--lint` and `--migrate`, called directly (no click, no subprocess)
against real databases: typed options in, typed results out, the refusals raised as library errors."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.diagnostics import Level
from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.json_schemas import validation_errors
from senior_backend.dbtool.diff.run import CompareOptions, CompareRefused, run_compare
from senior_backend.dbtool.migrate.dry_run import DryRunReport
from senior_backend.dbtool.migrate.run import (
    FailedRun,
    MigrateOptions,
    RunReport,
    StatusReport,
    run_lint,
    run_migrate,
)
from senior_backend.dbtool.migration_files import NO_TRANSACTION_MARKER
from tests.dbtool_diff.test_runner import write

pytestmark = pytest.mark.pg

V1 = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy text);\n"
V2 = (
    "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
)


def tracked(url: str) -> list[tuple[str, str, str]]:
    """(version, name, checksum) of every tracked migration; empty when nothing was ever applied."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('senior_backend.schema_migrations')").fetchone()[0] is None:
            return []
        return conn.execute(
            "SELECT version, name, checksum FROM senior_backend.schema_migrations ORDER BY 1"
        ).fetchall()


def relations(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
        ).fetchall()
    return [name for (name,) in rows]


def test_compare_against_a_live_database_refuses_data_loss_then_writes_a_migration_that_converges(
    pg_url, tmp_path
):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(V1)
    desired = tmp_path / "v2.sql"
    desired.write_text(V2)
    out = tmp_path / "migrations"
    options = CompareOptions(connection=pg_url, desired_schema=desired, output=out, name="add age")

    with pytest.raises(CompareRefused) as refused:
        run_compare(options)
    assert isinstance(refused.value, Refused) and refused.value.diagnostic.rule == "data-loss"
    assert [c.description for c in refused.value.result.up.data_loss] == ["drop column public.users.legacy"]
    assert refused.value.result.shadow.startswith("a temporary database on the target's server")
    assert not out.exists(), "nothing is written when the plan is refused"

    result = run_compare(replace(options, allow_data_loss=True))
    descriptions = [change.description for change in result.up.changes]
    assert "add column public.users.age" in descriptions
    assert "drop column public.users.legacy" in descriptions
    assert any(d.startswith("create index public.users_email_idx") for d in descriptions)
    assert result.shadow_reason == "the target's role may create databases there"
    assert result.no_transaction and "CREATE INDEX CONCURRENTLY" in result.up_sql
    assert 'ADD COLUMN "legacy" text' in result.down_sql
    up_file, down_file = result.files
    assert up_file.name.endswith("_add_age.up.sql") and down_file.name.endswith("_add_age.down.sql")
    assert up_file.read_text().startswith(NO_TRANSACTION_MARKER)

    applied = run_migrate(MigrateOptions(pg_url, out))
    assert isinstance(applied, RunReport) and [m.direction for m in applied.ran] == ["up"]
    again = run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    assert again.up.empty and again.files == [] and again.warnings == []


def test_compare_two_files_in_a_chosen_shadow_collects_warnings_instead_of_printing(
    pg_server_url, tmp_path, capfd
):
    current, desired = tmp_path / "v1.sql", tmp_path / "v2.sql"
    current.write_text(V1)
    desired.write_text("\\restrict abc\n" + V1 + "ALTER TABLE users ADD COLUMN nickname text;\n")
    result = run_compare(
        CompareOptions(current_schema=current, desired_schema=desired, shadow_url=pg_server_url)
    )
    assert [change.description for change in result.up.changes] == ["add column public.users.nickname"]
    assert [change.description for change in result.down.changes] == ["drop column public.users.nickname"]
    assert result.title == f"{current} -> {desired}"
    assert result.shadow.startswith("the shadow server") and result.shadow_reason == "--shadow-url"
    [skipped] = result.warnings
    assert skipped.level is Level.WARNING and skipped.rule == "skipped-statement"
    assert f"{desired}:1: skipped psql meta-command \\restrict" in skipped.message
    assert result.files == []
    assert capfd.readouterr() == ("", ""), "the use case prints nothing"


def test_compare_url_diffs_two_live_databases(make_database):
    current, desired = make_database(), make_database()
    with psycopg.connect(current, autocommit=True) as conn:
        conn.execute(V1)
    with psycopg.connect(desired, autocommit=True) as conn:
        conn.execute(V1 + "CREATE TABLE audit (id bigint, note text);")
    result = run_compare(CompareOptions(connection=current, desired_url=desired))
    assert [change.description for change in result.up.changes] == ["create table public.audit"]
    assert result.shadow is None and result.notes == []
    assert "CREATE TABLE" in result.up_sql and 'DROP TABLE "public"."audit"' in result.down_sql


def test_compare_options_that_cannot_work_are_bad_input(tmp_path):
    schema = tmp_path / "v1.sql"
    schema.write_text(V1)
    with pytest.raises(BadInput, match="needs --connection"):
        run_compare(CompareOptions(desired_schema=schema))
    with pytest.raises(BadInput, match="either --compare or --compare-url"):
        run_compare(CompareOptions(desired_schema=schema, desired_url="postgresql://x/y"))
    with pytest.raises(BadInput, match="does not exist"):
        run_compare(CompareOptions(current_schema=schema, desired_schema=tmp_path / "none.sql"))


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    write(
        folder,
        "1_items",
        "SET lock_timeout = '5s';\nCREATE TABLE items (id serial PRIMARY KEY, v text);\n"
        "INSERT INTO items (v) VALUES ('a');\n",
        "DROP TABLE items;\n",
    )
    write(
        folder,
        "2_index",
        f"{NO_TRANSACTION_MARKER}\nCREATE INDEX CONCURRENTLY items_v ON items (v);\n",
        f"{NO_TRANSACTION_MARKER}\nDROP INDEX CONCURRENTLY items_v;\n",
    )
    return folder


def test_dry_run_leaves_the_database_unchanged_then_migrate_tracks_and_down_rolls_back(pg_url, migrations):
    options = MigrateOptions(pg_url, migrations)

    dry = run_migrate(replace(options, dry_run=True))
    assert isinstance(dry, DryRunReport)
    assert validation_errors(dry.to_json(), "dbtool-migrate-dry-run") == []
    assert [m.version for m in dry.migrations] == ["1", "2"]
    assert "create table public.items" in dry.schema_changes
    create = next(s for s in dry.migrations[0].statements if s.statement.startswith("CREATE TABLE"))
    assert create.executed and create.ms is not None and create.locks is not None
    index = dry.migrations[1].statements[0]
    assert index.executed and "without CONCURRENTLY" in (index.note or "")
    assert [(s.sequence, s.before, s.after) for s in dry.sequences_advanced] == []
    assert relations(pg_url) == [] and tracked(pg_url) == [], "the dry run was rolled back"

    status = run_migrate(replace(options, status=True))
    assert isinstance(status, StatusReport)
    assert [(row.version, row.state, row.applied_at) for row in status.migrations] == [
        ("1", "pending", None),
        ("2", "pending", None),
    ]

    applied = run_migrate(options)
    assert isinstance(applied, RunReport)
    assert validation_errors(applied.to_json(), "dbtool-migrate") == []
    assert [(m.version, m.direction, m.statements) for m in applied.ran] == [("1", "up", 3), ("2", "up", 1)]
    checksums = [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(migrations.glob("*.up.sql"))]
    assert tracked(pg_url) == [("1", "items", checksums[0]), ("2", "index", checksums[1])]
    assert relations(pg_url) == ["items", "items_id_seq", "items_pkey", "items_v"]

    status = run_migrate(replace(options, status=True))
    assert validation_errors(status.to_json(), "dbtool-migrate-status") == []
    assert [row.state for row in status.migrations] == ["applied", "applied"]
    assert run_migrate(options) == RunReport([]), "nothing left to apply"

    down = run_migrate(replace(options, down=1))
    assert isinstance(down, RunReport)
    assert [(m.version, m.direction, m.statements) for m in down.ran] == [("2", "down", None)]
    assert validation_errors(down.to_json(), "dbtool-migrate") == []
    assert [version for version, _, _ in tracked(pg_url)] == ["1"]
    assert "items_v" not in relations(pg_url)


def test_a_failing_statement_is_a_result_and_its_migration_leaves_nothing(pg_url, tmp_path):
    folder = tmp_path / "m"
    write(folder, "1_ok", "CREATE TABLE keep (id int);\n")
    write(folder, "2_breaks", "CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);\n")
    result = run_migrate(MigrateOptions(pg_url, folder))
    assert isinstance(result, FailedRun)
    assert validation_errors(result.to_json(), "dbtool-migrate") == []
    failure = result.failure
    assert (failure.migration, failure.statement_index, failure.line) == ("2_breaks.up.sql", 2, 2)
    assert failure.sqlstate == "42P01" and "missing_table" in failure.error
    assert failure.message.startswith("2_breaks.up.sql failed at statement 2 (line 2")
    assert [version for version, _, _ in tracked(pg_url)] == ["1"]
    assert relations(pg_url) == ["keep"]


def test_an_edited_applied_migration_is_refused_and_a_missing_connection_is_bad_input(pg_url, tmp_path):
    folder = tmp_path / "m"
    path = write(folder, "1_t", "CREATE TABLE t (id int);\n")
    assert isinstance(run_migrate(MigrateOptions(pg_url, folder)), RunReport)
    path.write_text("CREATE TABLE t (id bigint);\n")
    for dry_run in (False, True):
        with pytest.raises(Refused) as refused:
            run_migrate(MigrateOptions(pg_url, folder, dry_run=dry_run))
        assert refused.value.diagnostic.rule == "checksum-mismatch"
    with pytest.raises(BadInput, match="needs --connection"):
        run_migrate(MigrateOptions(None, folder))


def test_lint_reports_problems_with_where_and_levels_and_skips_down_files(tmp_path):
    folder = tmp_path / "m"
    unsafe = write(
        folder,
        "1_drop",
        "SET lock_timeout = '5s'; SET statement_timeout = '1min';\nDROP TABLE users;\n",
        "DROP TABLE other;\n",
    )
    safe = write(folder, "2_safe", "CREATE TABLE t (id int);\n")
    report = run_lint(folder)
    assert report.files == [unsafe, safe]
    assert [(f.rule, f.level, f.where) for f in report.findings] == [
        ("ban-drop-table", Level.ERROR, f"{unsafe}:2")
    ]
    assert report.findings[0].diagnostic.hint == report.findings[0].fix
    assert report.errors == 1
    assert validation_errors(report.to_json(), "dbtool-lint") == []
    assert run_lint(safe).findings == []


def test_the_data_loss_refusal_names_every_lossy_change_not_the_first_few(pg_url, tmp_path):
    columns = [f"c{n}" for n in range(8)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE wide (id bigint PRIMARY KEY, {', '.join(c + ' text' for c in columns)})")
    desired = tmp_path / "v2.sql"
    desired.write_text("CREATE TABLE wide (id bigint PRIMARY KEY);\n")

    with pytest.raises(CompareRefused) as refused:
        run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    message = refused.value.diagnostic.message
    assert message.startswith("8 change(s) can lose data")
    assert all(f"drop column public.wide.{column}" in message for column in columns)
