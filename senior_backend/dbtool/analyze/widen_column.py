"""The fix for a key column running out of its type: widen it to bigint without a long lock, or say why not.

`ALTER COLUMN ... TYPE bigint` rewrites the table and every index under an
ACCESS EXCLUSIVE lock (integer and bigint are not binary-compatible), so on a
big table inserts and reads stop for the whole rewrite. The migration written
instead is the two-step column change, one no-transaction file:

1. a nullable bigint column (catalog-only) and a trigger that copies the old
   column into it on every insert and update (one short transaction);
2. a backfill in batches of pages (TID range scans, PostgreSQL 14+), each batch
   committed, so row locks are held briefly and autovacuum keeps up;
3. NOT NULL proven by a CHECK added NOT VALID and then validated (no write lock),
   and the unique index built `CONCURRENTLY` when the column is a key;
4. the swap in one short transaction: lock, move the primary key or unique
   constraint onto the new index, move the default or identity (with its
   counter), drop the old column and the trigger, rename the new column.

Steps 1-3 are re-runnable (a failed run can be run again). The column moves to
the end of the table's column list. When something the swap cannot carry over
depends on the column (a foreign key referencing it or on it, a view, another
index or constraint on it, a partitioned table) the fix is not a migration but
the plain ALTER with the reason and the lock it would take for this table's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from senior_backend.common.pg.model import Column, Index, Sequence, Snapshot, Table
from senior_backend.common.pg.quoting import ident, literal, qualified, quote_ident
from senior_backend.dbtool.analyze.findings import Fix

LOCK_TIMEOUT = "5s"
BATCH_PAGES = 1000
REWRITE_MB_PER_SECOND = (50, 200)
"""A conservative range for a table rewrite plus index builds on ordinary hardware, for the lock estimate."""


@dataclass(frozen=True)
class Widening:
    """The fix for one column, and in words how it is applied (or why it needs a rewrite)."""

    fix: Fix
    advice: str


def widen(snapshot: Snapshot, table_key: str, column_name: str, sequence: Sequence) -> Widening | None:
    """The bigint fix for `table_key.column_name`, fed by `sequence`; None when the table is unknown."""
    table = snapshot.tables.get(table_key)
    column = table.columns.get(column_name) if table else None
    if table is None or column is None:
        return None
    target = f"{table_key}.{quote_ident(column.name)}"
    key_index, blockers = _blockers(snapshot, table, column)
    if blockers:
        return _rewrite(snapshot, table, column, target, blockers)
    new = _free_name(table, f"{column.name}_bigint")
    up = _two_step(table, column, sequence, new, key_index)
    down = (
        f"SET lock_timeout = '{LOCK_TIMEOUT}';\n"
        f"-- going back to {column.type} rewrites the table under an ACCESS EXCLUSIVE lock, and fails if a "
        f"value no longer fits\n"
        f"ALTER TABLE {qualified(table.schema, table.name)} ALTER COLUMN {ident(column.name)} TYPE {column.type};\n"
    )
    name = f"widen_{table.name}_{column.name}_to_bigint"
    advice = (
        f"the migration widens {target} to bigint in two steps (a synced bigint column, a batched backfill, "
        f"then a swap that holds the table's lock only for catalog changes); the column moves to the end, "
        f"and sessions holding a prepared statement that returns it get 'cached plan must not change result "
        f"type' once after the swap (re-prepare or reconnect)"
    )
    return Widening(Fix(name=name, up=up, down=down, no_transaction=True), advice)


def _blockers(snapshot: Snapshot, table: Table, column: Column) -> tuple[Index | None, list[str]]:
    """The primary key or unique index the swap moves (if any), and what stops the two-step change."""
    blockers = []
    if table.is_partitioned or table.is_partition:
        blockers.append(f"{table.key} is partitioned (a unique index cannot be built CONCURRENTLY on it)")
    if table.kind != "r" and not table.is_partitioned:
        blockers.append(f"{table.key} is not an ordinary table")
    for con in snapshot.constraints.values():
        if con.kind == "f" and con.ref_table == table.key and column.name in con.ref_columns:
            blockers.append(
                f"foreign key {con.name} on {con.table_key} references it (its column must widen too)"
            )
        elif con.table_key == table.key and column.name in con.columns and con.kind in ("f", "c", "x"):
            blockers.append(f"constraint {con.name} uses it")
    for view in snapshot.views.values():
        if table.key in view.depends_on:
            blockers.append(f"view {view.key} reads the table")
    key_index = None
    for index in snapshot.indexes.values():
        if index.schema != table.schema or index.table_name != table.name:
            continue
        if column.name not in index.columns and not (index.expressions or index.predicate):
            continue
        sole_key = index.columns == (column.name,) and index.is_unique and not index.predicate
        if sole_key and key_index is None and index.is_valid:
            key_index = index
        else:
            blockers.append(f"index {index.key} uses it")
    if column.generated:
        blockers.append("it is a generated column")
    return key_index, blockers


def _two_step(table: Table, column: Column, sequence: Sequence, new: str, key_index: Index | None) -> str:
    name = qualified(table.schema, table.name)
    old_col, new_col = ident(column.name), ident(new)
    sync = qualified(table.schema, _bounded(f"{table.name}_{new}_sync"))
    trigger = ident(_bounded(f"{table.name}_{new}_sync"))
    check = ident(_bounded(f"{table.name}_{new}_not_null"))
    lines = [
        f"-- widen {table.key}.{quote_ident(column.name)} ({column.type}) to bigint without rewriting the table "
        f"under a lock (see the steps below)",
        "-- squawk-ignore-file require-statement-timeout -- the batched backfill runs as long as the table needs",
        f"SET lock_timeout = '{LOCK_TIMEOUT}';",
        "-- 1. the bigint column, kept in sync by a trigger from now on",
        "BEGIN;",
        f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {new_col} bigint;",
        f"CREATE OR REPLACE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql AS $sync$\n"
        f"BEGIN\n  NEW.{new_col} := NEW.{old_col};\n  RETURN NEW;\nEND\n$sync$;",
        f"DROP TRIGGER IF EXISTS {trigger} ON {name};",
        f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {name} FOR EACH ROW EXECUTE FUNCTION {sync}();",
        "COMMIT;",
        f"-- 2. backfill the existing rows, {BATCH_PAGES} pages per committed batch",
        "DO $backfill$\n"
        "DECLARE\n  first_page bigint := 0;\n"
        f"  last_page bigint := pg_relation_size({literal(name)}::regclass) / current_setting('block_size')::bigint;\n"
        "BEGIN\n"
        "  WHILE first_page <= last_page LOOP\n"
        f"    UPDATE {name} SET {new_col} = {old_col}\n"
        f"     WHERE ctid >= format('(%s,0)', first_page)::tid AND ctid < format('(%s,0)', first_page + {BATCH_PAGES})::tid\n"
        f"       AND {new_col} IS DISTINCT FROM {old_col};\n"
        "    COMMIT;\n"
        f"    first_page := first_page + {BATCH_PAGES};\n"
        "  END LOOP;\n"
        "END\n$backfill$;",
    ]
    if column.not_null:
        lines += [
            "-- 3. NOT NULL proven without a write lock: a CHECK added NOT VALID, then validated",
            "BEGIN;",
            f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {check};",
            f"ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({new_col} IS NOT NULL) NOT VALID;",
            "COMMIT;",
            f"ALTER TABLE {name} VALIDATE CONSTRAINT {check};",
        ]
    new_index = ident(_bounded(f"{table.name}_{new}_key"))
    if key_index is not None:
        lines += [
            "-- the key's unique index, built without blocking writes (an invalid one left by a failed run must "
            "be dropped first)",
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {new_index} ON {name} ({new_col});",
        ]
    lines += ["-- 4. the swap: one short transaction, catalog changes only", "BEGIN;"]
    lines.append(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE;")
    lines += _swap(table, column, sequence, new, key_index)
    lines.append(f"DROP TRIGGER {trigger} ON {name};")
    lines.append(f"DROP FUNCTION {sync}();")
    lines.append("-- squawk-ignore ban-drop-column -- its values are in the synced bigint column")
    lines.append(f"ALTER TABLE {name} DROP COLUMN {old_col};")
    lines.append("-- squawk-ignore renaming-column -- the bigint column takes the old one's name")
    lines.append(f"ALTER TABLE {name} RENAME COLUMN {new_col} TO {old_col};")
    if column.not_null:
        lines.append(f"ALTER TABLE {name} DROP CONSTRAINT {check};")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def _swap(table: Table, column: Column, sequence: Sequence, new: str, key_index: Index | None) -> list[str]:
    """The swap's statements that move the key, NOT NULL and the default or identity to the new column."""
    name = qualified(table.schema, table.name)
    old_col, new_col = ident(column.name), ident(new)
    seq = qualified(sequence.schema, sequence.name)
    lines = []
    if column.not_null:
        lines.append(f"ALTER TABLE {name} ALTER COLUMN {new_col} SET NOT NULL;")
    if key_index is not None:
        new_index = ident(_bounded(f"{table.name}_{new}_key"))
        if key_index.constraint_name:
            kind = "PRIMARY KEY" if key_index.is_primary else "UNIQUE"
            constraint = ident(key_index.constraint_name)
            lines.append(f"ALTER TABLE {name} DROP CONSTRAINT {constraint};")
            lines.append(f"ALTER TABLE {name} ADD CONSTRAINT {constraint} {kind} USING INDEX {new_index};")
        else:
            lines.append(f"DROP INDEX {qualified(key_index.schema, key_index.name)};")
            lines.append(
                f"ALTER INDEX {qualified(table.schema, _bounded(f'{table.name}_{new}_key'))} "
                f"RENAME TO {ident(key_index.name)};"
            )
    if column.identity:
        how = "ALWAYS" if column.identity == "a" else "BY DEFAULT"
        add = (
            f"ALTER TABLE {name} ALTER COLUMN {new_col} ADD GENERATED {how} AS IDENTITY "
            f"(START WITH %s INCREMENT BY {sequence.increment})"
        )
        lines.append(
            "DO $identity$\nDECLARE next_value bigint;\nBEGIN\n"
            f"  SELECT CASE WHEN is_called THEN last_value + {sequence.increment} ELSE last_value END\n"
            f"    INTO next_value FROM {seq};\n"
            f"  ALTER TABLE {name} ALTER COLUMN {old_col} DROP IDENTITY;\n"
            f"  EXECUTE format({literal(add)}, next_value);\n"
            f"  EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', "
            f"pg_get_serial_sequence({literal(name)}, {literal(new)}), {literal(sequence.name)});\n"
            "END\n$identity$;"
        )
    elif column.default_expr and "nextval(" in column.default_expr:
        lines += [
            f"ALTER TABLE {name} ALTER COLUMN {old_col} DROP DEFAULT;",
            f"ALTER SEQUENCE {seq} OWNED BY NONE;",
            f"ALTER TABLE {name} ALTER COLUMN {new_col} SET DEFAULT nextval({literal(seq)}::regclass);",
        ]
        if sequence.data_type != "bigint":
            lines.append(f"ALTER SEQUENCE {seq} AS bigint;")
        if sequence.owned_by:
            lines.append(f"ALTER SEQUENCE {seq} OWNED BY {name}.{new_col};")
    return lines


def _rewrite(snapshot: Snapshot, table: Table, column: Column, target: str, blockers: list[str]) -> Widening:
    """No safe two-step change: the plain ALTER (not written as a migration) and how long it would lock."""
    indexes = [
        i for i in snapshot.indexes.values() if i.schema == table.schema and i.table_name == table.name
    ]
    size = table.size_bytes + sum(i.size_bytes for i in indexes)
    fast, slow = (size / (rate * 1_000_000) for rate in reversed(REWRITE_MB_PER_SECOND))
    statement = (
        f"ALTER TABLE {qualified(table.schema, table.name)} ALTER COLUMN {ident(column.name)} TYPE bigint;"
    )
    advice = (
        f"{target} needs a rewrite to become bigint: the two-step change cannot carry over what depends on it "
        f"({'; '.join(blockers)}). ALTER COLUMN ... TYPE bigint rewrites the table and its {len(indexes)} "
        f"index(es), {_bytes(size)} here, under an ACCESS EXCLUSIVE lock that blocks reads and writes for "
        f"{_duration(fast, slow)} (at {REWRITE_MB_PER_SECOND[1]} to {REWRITE_MB_PER_SECOND[0]} MB/s); "
        f"widen the dependent columns in the same maintenance window"
    )
    fix = Fix(
        name=f"widen_{table.name}_{column.name}_to_bigint",
        up=f"SET lock_timeout = '{LOCK_TIMEOUT}';\n{statement}\n",
        down=f"ALTER TABLE {qualified(table.schema, table.name)} ALTER COLUMN {ident(column.name)} "
        f"TYPE {column.type};\n",
        migration=False,
    )
    return Widening(fix, advice)


def _free_name(table: Table, wanted: str) -> str:
    name, n = _bounded(wanted), 1
    while name in table.columns:
        n += 1
        name = _bounded(f"{wanted}{n}")
    return name


def _bounded(name: str) -> str:
    return name.encode()[:63].decode(errors="ignore")


def _bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _duration(fast: float, slow: float) -> str:
    if slow < 1:
        return "under a second"
    return f"about {_seconds(fast)} to {_seconds(slow)}"


def _seconds(value: float) -> str:
    if value < 1:
        return "under a second"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.0f} min"
