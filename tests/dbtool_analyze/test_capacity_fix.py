"""The fix for a key running out of integer: a migration that widens it to bigint without a long lock
(applied here by the tool's own runner while another session keeps inserting), or, when a foreign key
depends on the column, the plain rewrite with the reason and the lock it would take, not as a file."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from tests.conftest import run_script
from tests.dbtool_analyze.conftest import report_of

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE legacy (id serial PRIMARY KEY, v text NOT NULL);
INSERT INTO legacy (v) SELECT 'row ' || g FROM generate_series(1, 20000) g;
SELECT setval('legacy_id_seq', 2000000000);                        -- 93% of integer
CREATE TABLE "Ticket" ("No" integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
INSERT INTO "Ticket" (note) SELECT 'n' || g FROM generate_series(1, 3000) g;
SELECT setval(pg_get_serial_sequence('"Ticket"', 'No'), 2100000000);
CREATE TABLE parent (id serial PRIMARY KEY);                       -- referenced: needs a rewrite
CREATE TABLE child (id bigserial PRIMARY KEY, parent_id integer REFERENCES parent);
INSERT INTO parent SELECT FROM generate_series(1, 2000);
SELECT setval('parent_id_seq', 2000000000);
"""


def test_the_widening_migration_keeps_data_and_writes_while_it_runs(pg_url, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        before = conn.execute("SELECT sum(hashtext(id::text || v)) FROM legacy").fetchone()[0]
    output = tmp_path / "migrations"
    result = run_script(
        "database_migration_tool", "--connection", pg_url, "--analyze", "--output", str(output), "--json"
    )
    assert result.returncode == 0, result.stderr
    found = {f["objects"][0]: f for f in report_of(result)["findings"] if f["rule"] == "sequence-near-max"}
    assert set(found) == {"public.legacy_id_seq", 'public."Ticket_No_seq"', "public.parent_id_seq"}
    for key in ("public.legacy_id_seq", 'public."Ticket_No_seq"'):
        fix = found[key]["fix"]
        assert fix["migration"] and fix["no_transaction"]
        assert "two steps" in found[key]["advice"]
    rewrite = found["public.parent_id_seq"]
    assert rewrite["fix"]["migration"] is False
    assert "needs a rewrite" in rewrite["advice"] and "child_parent_id_fkey" in rewrite["advice"]
    assert "ACCESS EXCLUSIVE" in rewrite["advice"] and "kB here" in rewrite["advice"]
    written = sorted(path.name for path in output.glob("*.up.sql"))
    assert len(written) == 2 and all("widen_" in name for name in written)
    linted = run_script("database_migration_tool", "--lint", str(output), "--json")
    assert linted.returncode == 0 and json.loads(linted.stdout)["findings"] == [], (
        "the tool's own migration passes its linter: the drop and rename it means are marked as meant"
    )

    stop = threading.Event()
    inserted: list[int] = []
    errors: list[BaseException] = []

    def keep_inserting() -> None:
        try:
            with psycopg.connect(pg_url, autocommit=True) as writer:
                writer.execute("SET lock_timeout = '10s'")
                while not stop.is_set():
                    row = writer.execute(
                        "INSERT INTO legacy (v) VALUES ('during') RETURNING id", prepare=False
                    )
                    inserted.append(row.fetchone()[0])
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=keep_inserting)
    thread.start()
    try:
        migrated = run_script("database_migration_tool", "--connection", pg_url, "--migrate", str(output))
    finally:
        stop.set()
        thread.join()
    assert migrated.returncode == 0, migrated.stderr + migrated.stdout
    assert errors == [] and inserted, "the writer must keep inserting through the whole migration"

    with psycopg.connect(pg_url, autocommit=True) as conn:
        types = dict(
            conn.execute(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                "WHERE (table_name, column_name) IN (('legacy', 'id'), ('Ticket', 'No'), ('parent', 'id'))"
            ).fetchall()
        )
        assert types == {"legacy.id": "bigint", "Ticket.No": "bigint", "parent.id": "integer"}
        assert (
            conn.execute("SELECT sum(hashtext(id::text || v)) FROM legacy WHERE v <> 'during'").fetchone()[0]
            == before
        )
        during = conn.execute("SELECT count(*) FROM legacy WHERE v = 'during'").fetchone()[0]
        assert during == len(inserted)
        assert conn.execute("SELECT count(*) FROM legacy WHERE id IS NULL").fetchone()[0] == 0
        # the key keeps counting from where it was, past what integer could hold
        conn.execute("SELECT setval('legacy_id_seq', 2147483647)")
        assert conn.execute("INSERT INTO legacy (v) VALUES ('big') RETURNING id").fetchone()[0] == 2147483648
        ticket = conn.execute('INSERT INTO "Ticket" (note) VALUES (\'x\') RETURNING "No"').fetchone()[0]
        assert ticket == 2100000001
        primary = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'legacy'::regclass "
            "AND contype = 'p'"
        ).fetchone()[0]
        assert primary == "PRIMARY KEY (id)"
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN ('legacy'::regclass, "
            "'\"Ticket\"'::regclass)"
        ).fetchone()[0]
        assert leftovers == 0

    again = run_script("database_migration_tool", "--connection", pg_url, "--analyze", "--json")
    left = {f["objects"][0] for f in report_of(again)["findings"] if f["rule"] == "sequence-near-max"}
    assert left == {"public.parent_id_seq"}
