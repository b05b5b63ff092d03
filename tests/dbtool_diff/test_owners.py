"""Owners: compared and set with --with-privileges (up and down converge), ignored without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from senior_backend.dbtool.diff.plan import diff_snapshots
from tests.dbtool_diff.convergence import DatabasePool, load, run_case, with_database

pytestmark = pytest.mark.pg

ROLES = ("sb_owner_a", "sb_owner_b")

CURRENT = """
CREATE SCHEMA app AUTHORIZATION sb_owner_a;
CREATE TABLE app.t (id serial, v int);
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE MATERIALIZED VIEW app.mv AS SELECT v FROM app.t;
CREATE SEQUENCE app.s;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE TYPE app.e AS ENUM ('x');
CREATE TYPE app.c AS (a int);
CREATE DOMAIN app.d AS int;
GRANT SELECT ON app.t TO sb_owner_b;
"""
OBJECTS = (
    "TABLE app.t",
    "VIEW app.v",
    "MATERIALIZED VIEW app.mv",
    "SEQUENCE app.s",
    "FUNCTION app.f()",
    "PROCEDURE app.p()",
    "TYPE app.e",
    "TYPE app.c",
    "DOMAIN app.d",
)


def owned_by(role: str) -> str:
    return "".join(f"ALTER {name} OWNER TO {role};\n" for name in OBJECTS)


@pytest.fixture
def owner_roles(db_pool: DatabasePool) -> Iterator[None]:
    """Two roles made for this test, dropped after it (with whatever they still own in the pool's databases)."""
    with psycopg.connect(db_pool.server_url, autocommit=True) as conn:
        for role in ROLES:
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
    yield
    for name in db_pool.names:
        with psycopg.connect(with_database(db_pool.server_url, name), autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {', '.join(ROLES)}")
    with psycopg.connect(db_pool.server_url, autocommit=True) as conn:
        for role in ROLES:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_owners_converge_up_and_down_with_privileges(db_pool, owner_roles, tmp_path: Path):
    case = tmp_path / "owners"
    case.mkdir()
    (case / "current.sql").write_text(CURRENT + owned_by("sb_owner_a"))
    (case / "desired.sql").write_text(
        "-- options: with-privileges\n"
        + CURRENT.replace("AUTHORIZATION sb_owner_a", "AUTHORIZATION sb_owner_b")
        + owned_by("sb_owner_b")
        + "CREATE TABLE app.added (id int);\nALTER TABLE app.added OWNER TO sb_owner_a;\n"
    )
    result = run_case(db_pool, case)
    assert result.after_up == [] and result.second_diff == []
    assert result.after_down == [] and result.second_down_diff == []
    up = result.up.render("up")
    for name in OBJECTS:
        assert f'{name.split(" app.")[0]} "app".' in up
    assert 'ALTER SCHEMA "app" OWNER TO "sb_owner_b";' in up
    assert 'ALTER TABLE "app"."added" OWNER TO "sb_owner_a";' in up
    assert 'ALTER FUNCTION "app"."f"() OWNER TO "sb_owner_b";' in up
    assert "t_id_seq" not in up, "a sequence owned by a column follows its table"
    assert "REVOKE" not in up, "the new owner's implicit privileges are not revoked"
    assert 'GRANT SELECT ON TABLE app.t TO "sb_owner_b"' in result.down.render("down")


def test_owners_are_ignored_without_privileges(db_pool, owner_roles):
    with db_pool.databases(2) as (a, b):
        old = load(a, CURRENT + owned_by("sb_owner_a"))
        new = load(b, CURRENT + owned_by("sb_owner_b"))
    assert diff_snapshots(old, new).empty
    assert not diff_snapshots(old, new, with_privileges=True).empty
