"""`--compare` end to end through the script: files written, data loss refused, live database migrated."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.dbtool_diff.convergence import CASES
from tests.dbtool_diff.test_runner import json_document
from tests.support.second_major import fresh_database, major_of

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"
V1 = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy text);\n"
V2 = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);\nCREATE INDEX users_email_idx ON users (email);\n"


@pytest.fixture
def schemas(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "v1.sql").write_text(V1)
    (tmp_path / "v2.sql").write_text(V2)
    return tmp_path / "v1.sql", tmp_path / "v2.sql"


def test_two_files_in_the_embedded_shadow_server_refuse_data_loss_then_write_both_files(
    schemas, tmp_path, run_tool
):
    v1, v2 = schemas
    out = tmp_path / "migrations"
    refused = run_tool(TOOL, "--compare", str(v1), str(v2), "--output", str(out))
    assert refused.returncode == 3, refused.stderr
    assert "drop column public.users.legacy" in refused.stderr and "--allow-data-loss" in refused.stderr
    assert not out.exists()

    result = run_tool(
        TOOL,
        "--compare",
        str(v1),
        str(v2),
        "--output",
        str(out),
        "--allow-data-loss",
        "--name",
        "add age",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    document = json_document(result.stdout, "dbtool-compare")
    up_path, down_path = (Path(p) for p in document["files"])
    assert re.fullmatch(r"\d{14}_add_age\.up\.sql", up_path.name) and down_path.name == up_path.name.replace(
        ".up.", ".down."
    )
    up = up_path.read_text()
    assert up.startswith("-- senior-backend: no-transaction"), (
        "the concurrent index needs the runner's no-transaction mode"
    )
    assert "WARNING: data loss" in up and 'DROP COLUMN "legacy"' in up
    assert "CREATE INDEX CONCURRENTLY users_email_idx" in up
    assert 'ADD COLUMN "legacy" text' in down_path.read_text()
    assert document["summary"]["data-loss"] == 1 and document["summary"]["no-transaction"] == 1
    dropped = next(c for c in document["changes"] if c["description"] == "drop column public.users.legacy")
    assert dropped["data_loss"] and dropped["down"] == [
        'ALTER TABLE "public"."users" ADD COLUMN "legacy" text;'
    ]


def test_grants_to_roles_unknown_to_the_embedded_shadow_are_compared(schemas, tmp_path, run_tool):
    v1, _ = schemas
    granted = tmp_path / "granted.sql"
    granted.write_text(V1 + 'GRANT SELECT (email) ON users TO "reporting role" WITH GRANT OPTION;\n')
    result = run_tool(TOOL, "--compare", str(v1), str(granted), "--with-privileges", "--json")
    assert result.returncode == 0, result.stderr
    assert (
        json_document(result.stdout, "dbtool-compare")["up_sql"].count(
            'GRANT SELECT ("email") ON TABLE public.users TO "reporting role" WITH GRANT OPTION;'
        )
        == 1
    )


def test_live_database_compare_migrate_and_converge(pg_url, pg_server_url, tmp_path, run_tool):
    case = CASES / "many_changes_at_once"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute((case / "current.sql").read_text())
    out = tmp_path / "m"
    common = ("--connection", pg_url, "--shadow-url", pg_server_url)
    made = run_tool(TOOL, *common, "--compare", str(case / "desired.sql"), "--output", str(out))
    assert made.returncode == 0, made.stderr
    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out), "--json")
    assert applied.returncode == 0, applied.stderr
    assert len(json_document(applied.stdout, "dbtool-migrate")["applied"]) == 1
    again = run_tool(TOOL, *common, "--compare", str(case / "desired.sql"), "--json")
    assert json_document(again.stdout, "dbtool-compare")["changes"] == []
    back = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out), "--down", "1")
    assert back.returncode == 0, back.stderr
    reverse = run_tool(TOOL, *common, "--compare", str(case / "current.sql"), "--json")
    assert json_document(reverse.stdout, "dbtool-compare")["changes"] == []


def test_compare_url_against_a_second_database(make_database, run_tool):
    current, desired = make_database(), make_database()
    with psycopg.connect(current, autocommit=True) as conn:
        conn.execute(V1)
    with psycopg.connect(desired, autocommit=True) as conn:
        conn.execute(V1 + "ALTER TABLE users ADD COLUMN nickname text;")
    result = run_tool(TOOL, "--connection", current, "--compare-url", desired, "--json")
    assert result.returncode == 0, result.stderr
    assert [c["description"] for c in json_document(result.stdout, "dbtool-compare")["changes"]] == [
        "add column public.users.nickname"
    ]


def test_bad_inputs_are_one_line_errors(tmp_path, run_tool, schemas):
    v1, _ = schemas
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE ok (id int);\n\nCREATE TABLE nope (id no_such_type);\n")
    bad = run_tool(TOOL, "--compare", str(v1), str(broken))
    assert bad.returncode == 2 and f"{broken}:3:" in bad.stderr and "no_such_type" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = run_tool(TOOL, "--compare", str(tmp_path / "none.sql"), str(v1))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    alone = run_tool(TOOL, "--compare", str(v1), env={"DATABASE_URL": ""})
    assert alone.returncode == 2 and "--connection" in alone.stderr
    unreachable = run_tool(TOOL, "--connection", "postgresql://me:pw123@127.0.0.1:1/x", "--compare", str(v1))
    assert unreachable.returncode == 4 and "pw123" not in unreachable.stderr
    lint_missing = run_tool(TOOL, "--lint", str(tmp_path / "none.sql"))
    assert lint_missing.returncode == 2


def test_lint_mode_exit_codes(tmp_path, run_tool):
    unsafe = tmp_path / "u.sql"
    unsafe.write_text("DROP TABLE users;\n")
    result = run_tool(TOOL, "--lint", str(unsafe), "--json")
    assert result.returncode == 1
    findings = json_document(result.stdout, "dbtool-lint")["findings"]
    (finding,) = [f for f in findings if f["rule"] == "ban-drop-table"]  # also: no lock_timeout before it
    assert finding["level"] == "error"
    assert finding["where"] == f"{unsafe}:1" and finding["hint"] == finding["fix"]
    safe = tmp_path / "s.sql"
    safe.write_text("SET lock_timeout = '5s';\nCREATE TABLE t (id int);\n")
    assert run_tool(TOOL, "--lint", str(safe)).returncode == 0


def test_embedded_shadow_of_another_major_version_is_warned_about(second_major_server_url, schemas, run_tool):
    _, v2 = schemas
    with fresh_database(second_major_server_url) as target:
        result = run_tool(TOOL, "--connection", target, "--compare", str(v2), "--shadow", "embedded", "--json")
        assert result.returncode == 0, result.stderr
        assert "shadow: the embedded PostgreSQL 18" in result.stderr
        assert f"warning: the shadow server is PostgreSQL 18 but the target is {major_of(target)}" in result.stderr
        assert "CREATE TABLE" in json_document(result.stdout, "dbtool-compare")["up_sql"]
        same = run_tool(TOOL, "--connection", target, "--compare", str(v2), "--json")
        assert same.returncode == 0, same.stderr
        json_document(same.stdout, "dbtool-compare")
        assert "shadow: a temporary database on the target's server" in same.stderr
        assert "warning: the shadow server is PostgreSQL" not in same.stderr


def test_an_extension_created_without_a_version_follows_the_target_not_the_shadow(
    second_major_server_url, tmp_path, run_tool
):
    """The embedded shadow (18) installs btree_gist 1.8; a target on another major has its own default.
    A file that pins no VERSION asks for neither: nothing to update, and a new one gets the target's."""
    desired = tmp_path / "desired.sql"
    desired.write_text(
        "CREATE EXTENSION IF NOT EXISTS btree_gist;\ncreate extension pg_trgm;\nCREATE TABLE t (id int);\n"
    )
    with fresh_database(second_major_server_url) as target:
        with psycopg.connect(target, autocommit=True) as conn:
            available = conn.execute(
                "SELECT count(*) FROM pg_available_extensions WHERE name IN ('btree_gist', 'pg_trgm')"
            ).fetchone()[0]
            if available < 2:
                pytest.skip("needs btree_gist and pg_trgm on the second major server (pgserver's 16 has no contrib)")
            conn.execute("CREATE EXTENSION btree_gist")
        result = run_tool(TOOL, "--connection", target, "--compare", str(desired), "--shadow", "embedded", "--json")
        assert result.returncode == 0, result.stderr
        up = json_document(result.stdout, "dbtool-compare")["up_sql"]
        assert "btree_gist" not in up, up
        assert 'CREATE EXTENSION "pg_trgm" WITH SCHEMA "public";' in up, up


def test_identity_partitions_converge_across_majors(second_major_server_url, run_tool, tmp_path):
    """PostgreSQL 17+ copies a parent's identity to its partitions, 15 and 16 do not: read either way, a
    target on another major than the shadow needs no identity step once migrated."""
    case = CASES / "partition_identity"
    with fresh_database(second_major_server_url) as target:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute((case / "current.sql").read_text())
        out = tmp_path / "migrations"
        args = ("--connection", target, "--compare", str(case / "desired.sql"), "--shadow", "embedded")
        assert run_tool(TOOL, *args, "--output", str(out)).returncode == 0
        assert run_tool(TOOL, "--connection", target, "--migrate", str(out)).returncode == 0
        again = run_tool(TOOL, *args, "--json")
        assert again.returncode == 0, again.stderr
        assert json_document(again.stdout, "dbtool-compare")["up_sql"].count("IDENTITY") == 0


VIEWS = """CREATE TABLE a (id int PRIMARY KEY, x int);
CREATE VIEW grouped AS SELECT id, count(*) AS n FROM a GROUP BY id;
CREATE VIEW positive AS SELECT id, x FROM a WHERE x > 0;
CREATE MATERIALIZED VIEW total AS SELECT sum(x) AS s FROM a;
"""


def test_views_of_a_target_on_another_major_are_not_recreated(second_major_server_url, tmp_path, run_tool):
    """PostgreSQL 16 stopped qualifying single-table views, 15 qualifies them: the same views on a
    target of another major than the embedded shadow must not show as changed, a changed one must."""
    with fresh_database(second_major_server_url) as target:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(VIEWS)
        same = tmp_path / "same.sql"
        same.write_text(VIEWS)
        result = run_tool(TOOL, "--connection", target, "--compare", str(same), "--shadow", "embedded", "--json")
        assert result.returncode == 0, result.stderr
        assert "views are compared as the shadow server spells them" in result.stderr
        assert json_document(result.stdout, "dbtool-compare")["changes"] == [], result.stdout
        changed = tmp_path / "changed.sql"
        changed.write_text(VIEWS.replace("WHERE x > 0", "WHERE x > 1"))
        result = run_tool(
            TOOL, "--connection", target, "--compare", str(changed), "--shadow", "embedded", "--json"
        )
        assert result.returncode == 0, result.stderr
        changes = json_document(result.stdout, "dbtool-compare")["changes"]
        assert {c["key"] for c in changes} == {"public.positive"}


def test_restating_keeps_only_spellings_the_shadow_compiles_to_the_same_text(pg_url):
    """Works on any server: the current side's views are spelled by hand, differently from
    PostgreSQL's own text; equal queries take the shadow's spelling, a different one does not,
    and nothing is left behind in the shadow database."""
    from dataclasses import replace

    from senior_backend.dbtool.restate import restate_views
    from senior_backend.dbtool.shadow import DEFAULT_SEARCH_PATH, pinned_snapshot

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(VIEWS)
        desired = pinned_snapshot(conn)
        current = pinned_snapshot(conn)
        spelled = {
            "public.grouped": "select a.id, count(*) as n from public.a group by a.id",
            "public.positive": "SELECT id, x FROM a WHERE x > 2;",
            "public.total": "SELECT sum(a.x) AS s FROM a",
        }
        for key, text in spelled.items():
            current.views[key] = replace(current.views[key], definition=text)
        assert restate_views(conn, current, desired, DEFAULT_SEARCH_PATH) == 2
        assert current.views["public.grouped"] == desired.views["public.grouped"]
        assert current.views["public.total"] == desired.views["public.total"]
        assert current.views["public.positive"].definition == spelled["public.positive"]
        hostile = replace(current.views["public.positive"], definition="SELECT 1 AS id, 2 AS x; DROP TABLE a")
        current.views["public.positive"] = hostile
        assert restate_views(conn, current, desired, DEFAULT_SEARCH_PATH) == 0, "one statement, never two"
        assert conn.execute("SELECT to_regclass('public.a') IS NOT NULL").fetchone()[0]
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't'").fetchone()[0] == 0


def test_compare_url_across_majors_restates_views(second_major_server_url, run_tool):
    """A database on a second major version against the same schema on the embedded 18 server:
    warned about, and the views are not reported as changed."""
    from senior_backend.common.pg.embedded import shared_server

    with fresh_database(second_major_server_url) as first, fresh_database(shared_server().url()) as second:
        for url in (first, second):
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(VIEWS)
        result = run_tool(TOOL, "--connection", first, "--compare-url", second, "--json")
        assert result.returncode == 0, result.stderr
        assert "views are compared as the second one spells them" in result.stderr
        assert json_document(result.stdout, "dbtool-compare")["changes"] == [], result.stdout
