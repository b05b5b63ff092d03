"""PostgreSQL plumbing: test databases, the embedded server, connecting, catalog snapshots."""

from __future__ import annotations

import os

import psycopg
import pytest

from senior_backend.common.errors import BadInput, ToolError, Unreachable
from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.embedded import EmbeddedServer

pytestmark = pytest.mark.pg


def test_fixture_database_is_fresh_and_usable(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(id) FROM t").fetchone()[0] == 3


def test_the_session_server_is_test_database_url_else_an_embedded_one(pg_server_url):
    configured = os.environ.get("TEST_DATABASE_URL")
    with psycopg.connect(pg_server_url) as conn:
        assert conn.info.server_version >= 130000
        data_directory = conn.execute("SHOW data_directory").fetchone()[0]
    if configured:
        assert pg_server_url == configured
    else:
        assert "senior-backend-pg-" in data_directory, "the tests started their own embedded server"


def test_embedded_server_gives_a_usable_database():
    with EmbeddedServer() as server:
        assert server.url().startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE app")
        with psycopg.connect(server.url("app"), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (v text)")
            conn.execute("INSERT INTO t VALUES ('hello')")
            assert conn.execute("SELECT v FROM t").fetchone() == ("hello",)
            assert conn.info.server_version >= 160000
        root = server.root
    assert root is not None and not root.exists(), "the cluster folder is removed on stop"


def test_connect_sets_application_name(pg_url):
    with connect(pg_url) as conn:
        assert conn.execute("SHOW application_name").fetchone()[0] == "senior-backend"


def test_unreachable_database_exits_4_with_masked_password():
    with pytest.raises(ToolError) as info:
        connect("postgresql://app:topsecret@127.0.0.1:1/db", timeout=2)
    assert isinstance(info.value, Unreachable)
    line = info.value.diagnostic.one_line()
    assert "topsecret" not in line and "app:***@127.0.0.1:1/db" in line
    assert "\n" not in line


def test_snapshot_reads_every_object_kind(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TYPE mood AS ENUM ('ok', 'it''s bad');
            CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE NOT NULL,
                                m mood, created timestamptz DEFAULT now());
            CREATE TABLE "Order" (id serial PRIMARY KEY, user_id bigint REFERENCES users(id),
                                  total numeric(10,2) CHECK (total > 0));
            CREATE INDEX order_user_total ON "Order" (user_id, total) INCLUDE (id) WHERE total > 1;
            CREATE VIEW active AS SELECT id FROM users;
            CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
            CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            COMMENT ON TABLE users IS 'people';
            """
        )
        snapshot = load_snapshot(conn)
    assert set(snapshot.tables) == {"public.users", 'public."Order"', "public.events", "public.events_2024"}
    users = snapshot.tables["public.users"]
    assert users.comment == "people"
    assert list(users.columns) == ["id", "email", "m", "created"]
    assert users.columns["id"].identity == "a" and users.columns["email"].not_null
    assert users.columns["created"].default_expr == "now()"
    assert snapshot.enums["public.mood"].labels == ("ok", "it's bad")
    index = snapshot.indexes["public.order_user_total"]
    assert index.key_columns == ("user_id", "total") and index.columns == ("user_id", "total", "id")
    assert index.predicate == "(total > (1)::numeric)" and index.table_key == 'public."Order"'
    fk = snapshot.constraints['public."Order"."Order_user_id_fkey"']
    assert fk.kind == "f" and fk.columns == ("user_id",) and fk.ref_table == "public.users"
    assert snapshot.indexes["public.users_pkey"].constraint_name == "users_pkey"
    assert snapshot.sequences['public."Order_id_seq"'].owned_by == 'public."Order".id'
    assert snapshot.sequences["public.users_id_seq"].is_identity
    assert snapshot.tables["public.events"].is_partitioned
    assert snapshot.tables["public.events_2024"].parents == ("public.events",)
    assert snapshot.views["public.active"].definition.strip().startswith("SELECT")


DEFINITION_ZOO = """
CREATE SCHEMA "Odd Schema";
CREATE DOMAIN short_text AS text;
CREATE TABLE "Odd Schema"."Order" (
  "Id" int, "select" text, v varchar(20), c text COLLATE "C", d date, n numeric, tags int[], gone int,
  "user" int, k short_text,
  CONSTRAINT "Order_pk" PRIMARY KEY ("Id", "select") INCLUDE (d) DEFERRABLE,
  CONSTRAINT u1 UNIQUE NULLS NOT DISTINCT (v) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT u2 UNIQUE ("user") INCLUDE (n, c),
  CONSTRAINT positive CHECK (n > 0) NOT VALID);
ALTER TABLE "Odd Schema"."Order" DROP COLUMN gone;
ALTER TABLE "Odd Schema"."Order" ADD COLUMN "after drop" int UNIQUE;
CREATE INDEX plain ON "Odd Schema"."Order" ("after drop", d);
CREATE INDEX coercible ON "Odd Schema"."Order" (v);
CREATE INDEX domain_typed ON "Odd Schema"."Order" (k);
CREATE INDEX other_collation ON "Odd Schema"."Order" (c COLLATE "POSIX");
CREATE INDEX own_collation ON "Odd Schema"."Order" (c);
CREATE INDEX pattern ON "Odd Schema"."Order" (v text_pattern_ops);
CREATE INDEX descending ON "Odd Schema"."Order" (d DESC, n);
CREATE INDEX nulls_first ON "Odd Schema"."Order" (d NULLS FIRST);
CREATE INDEX hashed ON "Odd Schema"."Order" USING hash (n);
CREATE INDEX gin_tags ON "Odd Schema"."Order" USING gin (tags);
CREATE INDEX expression ON "Odd Schema"."Order" (lower(c));
CREATE INDEX partial ON "Odd Schema"."Order" (n) WHERE n > 0;
CREATE INDEX fill ON "Odd Schema"."Order" (n) WITH (fillfactor = 70);
CREATE UNIQUE INDEX "Odd Index" ON "Odd Schema"."Order" ("user", d) INCLUDE ("select") NULLS NOT DISTINCT;
CREATE TABLE parted (id int, k short_text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE INDEX parted_id_k ON parted (id, k);
CREATE TABLE booking (r int4range, EXCLUDE USING gist (r WITH &&));
"""


def test_definitions_spelled_by_the_catalog_queries_equal_the_servers(pg_url):
    """Plain indexes, primary keys and unique constraints are spelled in SQL (no deparsing):
    every spelling, of every shape around them, must equal pg_get_indexdef/pg_get_constraintdef."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(DEFINITION_ZOO)
        snapshot = load_snapshot(conn)
        indexdefs = dict(
            conn.execute(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(c.oid) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I')"
            ).fetchall()
        )
        constraintdefs = dict(
            conn.execute(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(con.conname), "
                "pg_get_constraintdef(con.oid) FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace"
            ).fetchall()
        )
    assert len(snapshot.indexes) == 23 and len(snapshot.constraints) == 8
    assert {key: index.definition for key, index in snapshot.indexes.items()} == {
        key: indexdefs[key] for key in snapshot.indexes
    }
    assert {key: con.definition for key, con in snapshot.constraints.items()} == {
        key: constraintdefs[key] for key in snapshot.constraints
    }
    order = snapshot.indexes['"Odd Schema"."Odd Index"']
    assert order.columns == ("user", "d", "select") and order.key_count == 2


def _server_definitions(conn: psycopg.Connection) -> tuple[dict[str, str], dict[str, str]]:
    indexdefs = conn.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(c.oid) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I')"
    ).fetchall()
    constraintdefs = conn.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(con.conname), "
        "pg_get_constraintdef(con.oid) FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace"
    ).fetchall()
    return dict(indexdefs), dict(constraintdefs)


def test_spelled_definitions_of_a_domains_own_operator_class_and_a_nulls_not_distinct_primary_key(pg_url):
    """Two shapes the SQL spelling once got wrong. A default operator class declared for a domain
    is not the one pg_get_indexdef leaves out (it looks for the base type's), so the index names it.
    PostgreSQL 15 lets a primary key adopt a NULLS NOT DISTINCT unique index (16 refuses), and
    pg_get_constraintdef spells that key a plain PRIMARY KEY: 'PRIMARY KEY NULLS NOT DISTINCT' is
    not even valid SQL."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE DOMAIN dint AS int;"
            "CREATE OPERATOR CLASS dint_ops DEFAULT FOR TYPE dint USING btree AS"
            " OPERATOR 1 < (int, int), OPERATOR 2 <= (int, int), OPERATOR 3 = (int, int),"
            " OPERATOR 4 >= (int, int), OPERATOR 5 > (int, int), FUNCTION 1 (dint, dint) btint4cmp(int4, int4);"
            "CREATE TABLE t (d dint, e dint, x int NOT NULL);"
            "CREATE INDEX t_d_own_class ON t (d dint_ops);"
            "CREATE INDEX t_e_base_class ON t (e);"
            "CREATE UNIQUE INDEX t_pkey ON t (x) NULLS NOT DISTINCT;"
        )
        try:
            conn.execute("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey")
            adopted = True
        except psycopg.errors.InvalidTableDefinition:  # PostgreSQL 16 and later
            adopted = False
        snapshot = load_snapshot(conn)
        indexdefs, constraintdefs = _server_definitions(conn)
    assert "dint_ops" in indexdefs["public.t_d_own_class"]
    assert len(snapshot.indexes) == 3 and len(snapshot.constraints) == int(adopted)
    assert {key: index.definition for key, index in snapshot.indexes.items()} == {
        key: indexdefs[key] for key in snapshot.indexes
    }
    assert {key: con.definition for key, con in snapshot.constraints.items()} == {
        key: constraintdefs[key] for key in snapshot.constraints
    }
    if adopted:
        assert snapshot.constraints["public.t.t_pkey"].definition == "PRIMARY KEY (x)"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:s3%zzcret@127.0.0.1/db",
        "postgresql://app:topsecret@127.0.0.1:abc/db",
        "postgresql://app:topsecret@127.0.0.1/db?sslmode=bogus",
        "postgresql://app:topsecret@[::1/db",
    ],
)
def test_malformed_connection_strings_exit_2_and_never_show_the_password(url):
    with pytest.raises(ToolError) as info:
        connect(url, timeout=2)
    line = info.value.diagnostic.one_line()
    assert isinstance(info.value, BadInput)
    assert "topsecret" not in line and "s3%zzcret" not in line and "zzcret" not in line
    assert "\n" not in line


def test_catalog_queries_quote_names_like_the_client_on_any_server(pg_url):
    """Snapshot keys are built client-side and compared with names the catalog queries quoted (view
    dependencies, sequence owners): both must quote exactly the same names, the keywords of every
    release included, whatever this server's release knows."""
    from senior_backend.common.pg import keyquote
    from senior_backend.common.pg.quoting import KEYWORDS, quote_ident

    query = keyquote.client_quoting(
        "SELECT array_agg(quote_ident(n) ORDER BY i) FROM unnest(%(names)s::text[]) WITH ORDINALITY u(n, i)"
    )
    with psycopg.connect(pg_url) as conn:
        names = [row[0] for row in conn.execute("SELECT word FROM pg_get_keywords()")]
        names += [
            *sorted(KEYWORDS),
            "system_user",
            "json_object",
            "a$b",
            "_x1",
            "1abc",
            "Mixed",
            'quo"te',
            "",
        ]
        params = {"names": names, keyquote.PARAMETER: keyquote.missing_keywords(conn)}
        server = conn.execute(query, params).fetchone()[0]
        plain = conn.execute(
            "SELECT array_agg(quote_ident(n)) FROM unnest(%s::text[]) n", (names,)
        ).fetchone()[0]
        version = conn.info.server_version
    assert server == [quote_ident(name) for name in names]
    assert quote_ident("system_user") == '"system_user"' and quote_ident("json_object") == '"json_object"'
    if version < 160000:
        assert "system_user" in plain, (
            "this server's own quote_ident() leaves it unquoted: the rewrite matters"
        )


def test_temporal_keys_are_spelled_by_the_server(pg_url):
    """PostgreSQL 18's WITHOUT OVERLAPS keys: pg_get_constraintdef marks the period column, so they
    are not spelled in SQL."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        if conn.info.server_version < 180000:
            pytest.skip("WITHOUT OVERLAPS needs PostgreSQL 18")
        try:
            conn.execute("CREATE EXTENSION btree_gist")
        except psycopg.errors.FeatureNotSupported:
            pytest.skip("btree_gist is not installed")
        conn.execute(
            "CREATE TABLE booking (id int, room int, during tstzrange,"
            " PRIMARY KEY (id, during WITHOUT OVERLAPS), UNIQUE (room, during WITHOUT OVERLAPS))"
        )
        snapshot = load_snapshot(conn)
        _, constraintdefs = _server_definitions(conn)
    spelled = {key: con.definition for key, con in snapshot.constraints.items()}
    assert spelled == {key: constraintdefs[key] for key in spelled}
    assert spelled["public.booking.booking_pkey"] == "PRIMARY KEY (id, during WITHOUT OVERLAPS)"
