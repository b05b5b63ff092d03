"""A `--down` of a no-transaction file that fails halfway, session SETs that are no applied work, the locks a
dry run reports for CONCURRENTLY statements, and a failed dry run that still shows what it ran before:
all on a real server, through the script."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.dbtool_diff.test_runner import TOOL, json_document

pytestmark = pytest.mark.pg

UP = "-- senior-backend: no-transaction\nCREATE INDEX CONCURRENTLY t_v_idx ON t(v);\n"
DOWN = (
    "-- senior-backend: no-transaction\nDROP INDEX CONCURRENTLY t_v_idx;\n"
    "ALTER TABLE t ALTER COLUMN v TYPE smallint;\n"
)


def sql(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def files(folder: Path, **texts: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name.replace("__", ".")).write_text(text)
    return folder


def test_a_failed_down_says_what_stays_records_it_and_resumes(pg_url: str, tmp_path: Path, run_tool) -> None:
    sql(pg_url, "CREATE TABLE t (v int); INSERT INTO t VALUES (100000)")
    mig = files(
        tmp_path / "mig", **{"20260201000000_tidx__up__sql": UP, "20260201000000_tidx__down__sql": DOWN}
    )
    base = (TOOL, "--connection", pg_url, "--migrate", str(mig))
    assert run_tool(*base).returncode == 0
    failed = run_tool(*base, "--down", "1", "--json")
    assert failed.returncode == 1
    document = json_document(failed.stdout, "dbtool-migrate")
    assert document["rolled_back"] is False and document["direction"] == "down"
    assert [s["state"] for s in document["statements"]] == ["applied", "failed"]
    assert document["resume_at"] == 2
    assert "partly rolled back: statement(s) 1 stay applied, 2 not" in failed.stderr
    assert "--down 1 to resume at statement 2" in failed.stderr
    assert sql(pg_url, "SELECT to_regclass('t_v_idx')") == [(None,)]
    status = run_tool(*base, "--status", "--json")
    row = json_document(status.stdout, "dbtool-migrate-status")["migrations"][0]
    assert (row["state"], row["reverted_statements"]) == ("partly_reverted", 1)
    up = run_tool(*base)
    assert up.returncode == 3 and "partly rolled back" in up.stderr and "--down 1" in up.stderr
    assert run_tool(*base, "--dry-run").returncode == 3
    assert run_tool(*base, "--target", "0").returncode == 3

    sql(pg_url, "UPDATE t SET v = 1")
    resumed = run_tool(*base, "--down", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert sql(pg_url, "SELECT count(*) FROM senior_backend.schema_migrations") == [(0,)]
    assert sql(
        pg_url,
        "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'v'",
    ) == [("smallint",)]


def test_an_edited_partly_run_down_file_is_refused(pg_url: str, tmp_path: Path, run_tool) -> None:
    sql(pg_url, "CREATE TABLE t (v int); INSERT INTO t VALUES (100000)")
    mig = files(tmp_path / "mig", **{"1_tidx__up__sql": UP, "1_tidx__down__sql": DOWN})
    base = (TOOL, "--connection", pg_url, "--migrate", str(mig))
    assert run_tool(*base).returncode == 0
    assert run_tool(*base, "--down", "1").returncode == 1
    (mig / "1_tidx.down.sql").write_text(DOWN.replace("t_v_idx", "other_idx"))
    refused = run_tool(*base, "--down", "1")
    assert refused.returncode == 3 and "changed since" in refused.stderr


def test_session_settings_before_a_failure_are_not_applied_work(
    pg_url: str, tmp_path: Path, run_tool
) -> None:
    text = (
        "-- senior-backend: no-transaction\nSET lock_timeout = '5s';\nSET statement_timeout = '1min';\n"
        "CREATE INDEX CONCURRENTLY missing_idx ON missing (v);\nCREATE TABLE later (id int);\n"
    )
    mig = files(tmp_path / "mig", **{"1_sets__sql": text})
    base = (TOOL, "--connection", pg_url, "--migrate", str(mig))
    failed = run_tool(*base, "--json")
    assert failed.returncode == 1
    document = json_document(failed.stdout, "dbtool-migrate")
    assert document["rolled_back"] is True and document["resume_at"] is None
    assert [s["state"] for s in document["statements"]] == ["setting", "setting", "failed", "not_run"]
    assert "stay applied" not in failed.stderr and "nothing of 1_sets.sql was applied" in failed.stderr
    assert sql(pg_url, "SELECT count(*) FROM senior_backend.schema_migrations") == [(0,)]
    status = json_document(run_tool(*base, "--status", "--json").stdout, "dbtool-migrate-status")
    assert status["migrations"][0]["state"] == "pending"

    # with real work before the failure: the SETs are not in the "stay applied" range, nor in --status
    mixed = text.replace(
        "CREATE INDEX CONCURRENTLY", "CREATE TABLE first (id int);\nCREATE INDEX CONCURRENTLY"
    )
    (mig / "1_sets.sql").write_text(mixed)
    again = run_tool(*base)
    assert "statement(s) 3 stay applied, 4-5 not" in again.stderr
    status = json_document(run_tool(*base, "--status", "--json").stdout, "dbtool-migrate-status")
    assert (status["migrations"][0]["state"], status["migrations"][0]["applied_statements"]) == ("partial", 1)


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("CREATE INDEX CONCURRENTLY t_w_idx ON t (w);", "public.t"),
        ("DROP INDEX CONCURRENTLY t_v_idx;", "public.t"),
        ("REINDEX INDEX CONCURRENTLY t_v_idx;", "public.t"),
    ],
)
def test_dry_run_reports_the_concurrent_lock(
    pg_url: str, tmp_path: Path, run_tool, statement: str, table: str
) -> None:
    sql(pg_url, "CREATE TABLE t (v int, w int); CREATE INDEX t_v_idx ON t (v)")
    mig = files(tmp_path / "mig", **{"1_c__sql": f"-- senior-backend: no-transaction\n{statement}\n"})
    dry = run_tool(TOOL, "--connection", pg_url, "--migrate", str(mig), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    (item,) = json_document(dry.stdout, "dbtool-migrate-dry-run")["migrations"][0]["statements"]
    assert item["executed"] is True
    assert f"ShareUpdateExclusiveLock on {table}" in item["locks"]
    assert not [lock for lock in item["locks"] if not lock.startswith("ShareUpdateExclusiveLock")]


def test_a_failed_dry_run_shows_the_migrations_simulated_before(
    pg_url: str, tmp_path: Path, run_tool
) -> None:
    mig = files(
        tmp_path / "mig",
        **{
            "1_a__sql": "CREATE TABLE a (id int);\n",
            "2_b__sql": "CREATE TABLE b (id int REFERENCES nope);\n",
        },
    )
    base = (TOOL, "--connection", pg_url, "--migrate", str(mig), "--dry-run")
    failed = run_tool(*base, "--json")
    assert failed.returncode == 1
    document = json_document(failed.stdout, "dbtool-migrate-dry-run")
    assert [(m["version"], len(m["statements"])) for m in document["simulated"]] == [("1", 1)]
    assert document["failed"]["migration"] == "2_b.sql"
    human = run_tool(*base)
    assert "dry run (rolled back) before the failure" in human.stdout and "1_a" in human.stdout
    assert sql(pg_url, "SELECT to_regclass('a')") == [(None,)]
