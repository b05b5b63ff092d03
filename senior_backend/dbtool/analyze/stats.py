"""Statistics views read beside the catalog snapshot: one query per kind, never one per table.

Every role can read the counters here; other roles' statement texts need
pg_read_all_stats and sequence values SELECT on the sequence, so the role,
whether it has pg_read_all_stats and how many statements it cannot see are
recorded for `advisor.requirements`. Missing extensions are not errors:
`Statistics.skipped` holds a warning-level problem per check that cannot run,
its hint how to enable it. A partitioned table's rows and counters are the
sums over its partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.pg import keyquote
from senior_backend.common.pg.quoting import qualify

_TABLES = """
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples::bigint AS reltuples,
       s.n_live_tup, s.n_dead_tup, s.seq_scan, s.seq_tup_read, s.idx_scan, s.n_mod_since_analyze,
       greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
       CASE WHEN c.relkind IN ('r', 'm') THEN age(c.relfrozenxid) END AS xid_age,
       has_table_privilege(c.oid, 'SELECT') AS readable,
       (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname)
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid AND c.relispartition) AS partition_of
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_temp'
  AND NOT n.nspname = ANY(%(excluded)s)
"""

_INDEXES = """
SELECT n.nspname AS schema, ic.relname AS name, s.idx_scan,
       i.indclass::text AS opclasses, i.indoption::text AS options, i.indcollation::text AS collations,
       EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS is_attached_child,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE k.ord > i.indnkeyatts) AS include_columns
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
"""

_DATABASE = """
SELECT d.oid AS dbid, d.datname AS name, age(d.datfrozenxid) AS xid_age, s.stats_reset, current_user AS role,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
       current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age,
       -- pg_settings hides superuser-only settings from a role without pg_read_all_settings (NULL here),
       -- where current_setting() would fail the whole analysis
       (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') AS preload,
       (SELECT array_agg(extname) FROM pg_extension) AS extensions,
       (SELECT array_agg(name) FROM pg_available_extensions) AS available,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(c.oid, 'SELECT, USAGE') END)
         AS unreadable_sequences
FROM pg_database d
LEFT JOIN pg_stat_database s ON s.datid = d.oid
WHERE d.datname = current_database()
"""

_STATEMENTS = """
WITH s AS (
  SELECT s.userid, s.queryid, s.query, s.calls, s.rows, s.total_exec_time
  FROM {schema}.pg_stat_statements s
  WHERE s.dbid = %(dbid)s AND s.toplevel AND s.queryid IS NOT NULL
)
SELECT queryid, query, calls, rows, total_exec_time FROM (
  (SELECT * FROM s ORDER BY total_exec_time DESC LIMIT %(limit)s)
  UNION (SELECT * FROM s ORDER BY calls DESC LIMIT %(limit)s)
  UNION (SELECT * FROM s ORDER BY rows DESC LIMIT %(limit)s)
) top
ORDER BY total_exec_time DESC
"""
"""The costliest statements, and the most called and the most rows returned: an N+1's parent is often cheap
but returns many rows, its child cheap but called many times, and neither need be among the costliest."""

_HIDDEN_STATEMENTS = """
SELECT count(*) AS hidden FROM {schema}.pg_stat_statements s WHERE s.dbid = %(dbid)s AND s.queryid IS NULL
"""
"""Statements of other roles: a role without pg_read_all_stats sees them without text or queryid."""


@dataclass(frozen=True)
class TableStats:
    """Size and activity of one table (for a partitioned table, summed over its partitions)."""

    rows: int
    dead_rows: int
    seq_scan: int
    seq_tup_read: int
    idx_scan: int
    mod_since_analyze: int
    last_vacuum: datetime | None
    last_analyze: datetime | None
    xid_age: int | None
    readable: bool = True


@dataclass(frozen=True)
class IndexStats:
    """Usage and the parts of an index definition the snapshot leaves out."""

    scans: int | None
    opclasses: str
    options: str
    collations: str
    include_columns: tuple[str, ...]
    is_attached_child: bool


@dataclass(frozen=True)
class Statement:
    """One normalised statement from pg_stat_statements."""

    queryid: int
    query: str
    calls: int
    rows: int
    total_ms: float


@dataclass
class Statistics:
    """What the statistics views say about one database; `live` is False for schema files."""

    live: bool
    database: str = ""
    dbid: int = 0
    xid_age: int = 0
    freeze_max_age: int = 200_000_000
    stats_reset: datetime | None = None
    extensions: frozenset[str] = frozenset()
    role: str = ""
    read_all_stats: bool = True
    hidden_statements: int = 0
    tables: dict[str, TableStats] = field(default_factory=dict)
    indexes: dict[str, IndexStats] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    skipped: list[Diagnostic] = field(default_factory=list)

    @property
    def has_statements(self) -> bool:
        return "pg_stat_statements" in self.extensions

    @property
    def has_hypopg(self) -> bool:
        return "hypopg" in self.extensions

    def rows(self, table_key: str) -> int | None:
        """Estimated rows of a table, None when unknown (schema files)."""
        stats = self.tables.get(table_key)
        return stats.rows if stats else None


def load_statistics(
    conn: psycopg.Connection, live: bool, excluded: tuple[str, ...], statement_limit: int = 500
) -> Statistics:
    """Read the statistics views (one query per kind) and note which extension-based checks must be skipped."""
    params: dict[str, Any] = {"excluded": list(excluded), keyquote.PARAMETER: keyquote.missing_keywords(conn)}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_DATABASE)
        db = cur.fetchone() or {}
        stats = Statistics(
            live=live,
            database=db.get("name", ""),
            dbid=db.get("dbid", 0),
            xid_age=db.get("xid_age") or 0,
            freeze_max_age=db.get("freeze_max_age") or 200_000_000,
            stats_reset=db.get("stats_reset"),
            extensions=frozenset(db.get("extensions") or ()),
            role=db.get("role", ""),
            read_all_stats=bool(db.get("read_all_stats", True)),
        )
        cur.execute(keyquote.client_quoting(_TABLES), params)
        stats.tables = _table_stats(cur.fetchall())
        cur.execute(_INDEXES, params)
        for row in cur.fetchall():
            stats.indexes[qualify(row["schema"], row["name"])] = IndexStats(
                scans=row["idx_scan"],
                opclasses=row["opclasses"],
                options=row["options"],
                collations=row["collations"],
                include_columns=tuple(row["include_columns"] or ()),
                is_attached_child=row["is_attached_child"],
            )
        if live:
            _check_extensions(stats, db, cur.connection.info.server_version // 10000)
            if db.get("unreadable_sequences"):
                stats.skipped.append(
                    warning(
                        "sequences-unreadable",
                        f"{db['unreadable_sequences']} sequence(s) are not readable by this role, so how close "
                        f"they are to their maximum is not checked",
                        hint="GRANT SELECT ON ALL SEQUENCES IN SCHEMA ... TO this role",
                    )
                )
        if live and stats.has_statements:
            schema = _extension_schema(cur, "pg_stat_statements")
            if not stats.read_all_stats:
                cur.execute(_HIDDEN_STATEMENTS.format(schema=schema), {"dbid": stats.dbid})
                stats.hidden_statements = cur.fetchone()["hidden"]
            cur.execute(_STATEMENTS.format(schema=schema), {"dbid": stats.dbid, "limit": statement_limit})
            stats.statements = [
                Statement(
                    queryid=row["queryid"],
                    query=row["query"],
                    calls=row["calls"],
                    rows=row["rows"],
                    total_ms=row["total_exec_time"],
                )
                for row in cur.fetchall()
            ]
    return stats


def _extension_schema(cur: psycopg.Cursor, name: str) -> str:
    cur.execute(
        "SELECT quote_ident(n.nspname) AS schema FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %s",
        (name,),
    )
    row = cur.fetchone()
    return row["schema"] if row else "public"


def _check_extensions(stats: Statistics, db: dict[str, Any], major: int) -> None:
    available = set(db.get("available") or ())
    if not stats.has_statements:
        if db.get("preload") is None:
            how = (
                "if pg_stat_statements is in shared_preload_libraries (this role may not read that setting: "
                "grant pg_read_all_settings or pg_monitor), run CREATE EXTENSION pg_stat_statements; otherwise "
                "add it there and restart the server first"
            )
        elif "pg_stat_statements" not in db["preload"]:
            how = (
                "add pg_stat_statements to shared_preload_libraries, restart the server, "
                "then run CREATE EXTENSION pg_stat_statements"
            )
        else:
            how = "run CREATE EXTENSION pg_stat_statements in this database"
        stats.skipped.append(
            warning(
                "pg-stat-statements-missing",
                "pg_stat_statements is not enabled: N+1 detection and query-based index suggestions "
                "are skipped",
                hint=how,
            )
        )
    if not stats.has_hypopg:
        how = (
            "run CREATE EXTENSION hypopg in this database"
            if "hypopg" in available
            else f"install the hypopg package for your server (e.g. apt install postgresql-{major}-hypopg), "
            "then run CREATE EXTENSION hypopg"
        )
        stats.skipped.append(
            warning(
                "hypopg-missing",
                "hypopg is not installed: index suggestions cannot be proven and are marked unverified",
                hint=how,
            )
        )


def _table_stats(rows: list[dict[str, Any]]) -> dict[str, TableStats]:
    """Per-table statistics; a partitioned table gets the sums over its partitions (nested too)."""
    own: dict[str, dict[str, Any]] = {qualify(row["schema"], row["name"]): row for row in rows}
    children: dict[str, list[str]] = {}
    for key, row in own.items():
        if row["partition_of"]:
            children.setdefault(row["partition_of"], []).append(key)

    def total(key: str, column: str) -> int:
        if key in children:
            return sum(total(child, column) for child in children[key])
        value = own[key][column] or 0
        return max(value, own[key]["n_live_tup"] or 0, 0) if column == "reltuples" else value

    result = {}
    for key, row in own.items():
        result[key] = TableStats(
            rows=total(key, "reltuples"),
            dead_rows=total(key, "n_dead_tup"),
            seq_scan=total(key, "seq_scan"),
            seq_tup_read=total(key, "seq_tup_read"),
            idx_scan=total(key, "idx_scan"),
            mod_since_analyze=total(key, "n_mod_since_analyze"),
            last_vacuum=row["last_vacuum"],
            last_analyze=row["last_analyze"],
            xid_age=row["xid_age"],
            readable=row["readable"],
        )
    return result
