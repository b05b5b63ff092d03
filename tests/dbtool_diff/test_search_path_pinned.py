"""A target whose database (or role) sets its own search_path: the migration resolves names as the diff read them.

Both schemas are read under the default search_path, and PostgreSQL prints a view body, a default or a
foreign key's table relative to it (`FROM t`, not `FROM public.t`). With `ALTER DATABASE ... SET
search_path = app, public` and an `app.t` beside `public.t`, that text applied as-is binds to `app.t`.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"
CURRENT = """
CREATE SCHEMA app;
CREATE TABLE public.t (id int PRIMARY KEY, amount int);
CREATE TABLE app.t (id int PRIMARY KEY, other text);
CREATE VIEW public.v AS SELECT id FROM public.t;
"""
DESIRED = """
CREATE SCHEMA app;
CREATE TABLE public.t (id int PRIMARY KEY, amount int);
CREATE TABLE app.t (id int PRIMARY KEY, other text);
CREATE VIEW public.v AS SELECT id, amount FROM public.t WHERE id > 0;
CREATE TABLE public.orders (id int PRIMARY KEY, t_id int REFERENCES public.t (id));
"""


def test_a_database_search_path_does_not_rebind_the_migration_names(pg_url, tmp_path: Path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(CURRENT)
        database = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(f'ALTER DATABASE "{database}" SET search_path = app, public')
    desired = tmp_path / "desired.sql"
    desired.write_text(DESIRED)
    out = tmp_path / "migrations"

    written = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--output", str(out))
    assert written.returncode == 0, written.stderr
    (up,) = out.glob("*.up.sql")
    assert 'SET search_path = "$user", public;' in up.read_text()
    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out))
    assert applied.returncode == 0, applied.stderr

    with psycopg.connect(pg_url) as conn:
        view_reads = conn.execute(
            "SELECT DISTINCT c.relnamespace::regnamespace::text FROM pg_depend d "
            "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class c ON c.oid = d.refobjid "
            "WHERE r.ev_class = 'public.v'::regclass AND c.oid <> 'public.v'::regclass"
        ).fetchall()
        referenced = conn.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = 'public.orders'::regclass "
            "AND contype = 'f'"
        ).fetchone()[0]
    assert view_reads == [("public",)], "the view reads public.t, not app.t"
    assert referenced == "public.t"
    again = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired))
    assert again.returncode == 0 and "no changes" in again.stdout + again.stderr, again.stdout + again.stderr
