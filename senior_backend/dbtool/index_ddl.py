"""SQL that creates or drops an index without blocking writes, and the SQL that undoes it.

Plain tables: `CREATE INDEX CONCURRENTLY IF NOT EXISTS` outside a transaction,
with `lock_timeout` set and no statement time limit. Partitioned tables cannot be indexed concurrently, so
the recipe is: an invalid index `ON ONLY` the parent, one concurrent index per
partition (recursively for sub-partitioned ones), each attached to its
parent's index, which becomes valid once every partition is attached. This is
chosen over a plain `CREATE INDEX ON parent` (which would build every
partition's index under a SHARE lock that blocks writes to the whole table for
the length of the build): here writes are blocked only for the catalog-only
`ON ONLY` and `ATTACH` steps. A partition that already has the same index (same
columns, plain btree, not unique, not attached elsewhere) gets it attached
instead of a second copy; going down re-creates those after dropping the
parent's index, which drops its attached children.
"""

from __future__ import annotations

import hashlib
import re

from senior_backend.common.pg.model import Index, Snapshot, Table
from senior_backend.common.pg.quoting import ident, qualified, quote_ident
from senior_backend.dbtool.analyze.findings import Fix

LOCK_TIMEOUT = "5s"
# an index built or dropped concurrently (or a constraint validated) blocks no reads or writes, so it gets
# no time limit (one would leave an INVALID index behind on a large table); brief catalog locks get
# lock_timeout
TIMEOUTS = (
    "-- squawk-ignore-file require-statement-timeout -- no reads or writes wait for this: no time limit\n"
    f"SET lock_timeout = '{LOCK_TIMEOUT}';\n"
)
PARTITIONED_DROP = (
    "-- squawk-ignore require-concurrent-index-deletion -- PostgreSQL cannot drop a partitioned index concurrently\n"
)
_CREATE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX ")
_MAX_IDENT = 63


def index_name(table: str, columns: tuple[str, ...], suffix: str = "idx") -> str:
    """`<table>_<col>_<col>_idx`, shortened with a hash when over PostgreSQL's 63-byte limit."""
    name = "_".join([table, *columns, suffix])
    if len(name.encode()) <= _MAX_IDENT:
        return name
    tail = f"_{hashlib.sha1(name.encode()).hexdigest()[:8]}_{suffix}"
    return name.encode()[: _MAX_IDENT - len(tail.encode())].decode(errors="ignore") + tail


def partitions_of(snapshot: Snapshot, table_key: str) -> list[Table]:
    """Direct partitions of a partitioned table."""
    return [t for t in snapshot.tables.values() if t.is_partition and table_key in t.parents]


def create_index_fix(snapshot: Snapshot, table_key: str, columns: tuple[str, ...], name: str) -> Fix:
    """The migration that adds a btree index on `columns` (in order) of a table, partitioned or not."""
    table = snapshot.tables[table_key]
    column_list = ", ".join(ident(column) for column in columns)
    lines = [TIMEOUTS.rstrip("\n")]
    reused: list[Index] = []
    if table.is_partitioned:
        lines += _partitioned_recipe(
            snapshot, table, columns, column_list, index_name(table.name, columns), reused
        )
    else:
        lines.append(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(index_name(table.name, columns))} "
            f"ON {qualified(table.schema, table.name)} ({column_list});"
        )
    down = TIMEOUTS
    if table.is_partitioned:
        down += PARTITIONED_DROP
        down += f"DROP INDEX IF EXISTS {qualified(table.schema, index_name(table.name, columns))};\n"
        down += "".join(f"{concurrent_index(index.definition, if_not_exists=True)};\n" for index in reused)
    else:
        down += (
            f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, index_name(table.name, columns))};\n"
        )
    return Fix(
        name=name,
        up="\n".join(lines) + "\n",
        down=down,
        no_transaction=True,
        creates_index=(table_key, columns),
    )


def _partitioned_recipe(
    snapshot: Snapshot,
    table: Table,
    columns: tuple[str, ...],
    column_list: str,
    parent_index: str,
    reused: list[Index],
) -> list[str]:
    lines = [
        f"CREATE INDEX IF NOT EXISTS {ident(parent_index)} ON ONLY {qualified(table.schema, table.name)} "
        f"({column_list});"
    ]
    for partition in partitions_of(snapshot, table.key):
        child_index = _child_index_name(parent_index, partition.name)
        same = _same_index(snapshot, partition, columns)
        if same is not None:
            reused.append(same)
            child_index = same.name
        elif partition.is_partitioned:
            lines += _partitioned_recipe(snapshot, partition, columns, column_list, child_index, reused)
        elif partition.kind == "r":
            lines.append(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(child_index)} "
                f"ON {qualified(partition.schema, partition.name)} ({column_list});"
            )
        else:
            continue
        lines.append(
            f"ALTER INDEX {qualified(table.schema, parent_index)} "
            f"ATTACH PARTITION {qualified(partition.schema, child_index)};"
        )
    return lines


def _same_index(snapshot: Snapshot, table: Table, columns: tuple[str, ...]) -> Index | None:
    """An index of `table` that can be attached as the partition's part of a plain btree index on
    `columns`: valid, not unique, not already attached, no predicate, INCLUDE, opclass or order (its
    definition, as pg_get_indexdef spells it, ends with exactly the plain column list)."""
    spelled = f" USING btree ({', '.join(quote_ident(column) for column in columns)})"
    for index in snapshot.indexes.values():
        if (
            index.schema == table.schema
            and index.table_name == table.name
            and index.is_valid
            and not index.is_unique
            and index.parent_index is None
            and index.definition.endswith(spelled)
        ):
            return index
    return None


def _child_index_name(parent_index: str, partition: str) -> str:
    digest = hashlib.sha1(f"{parent_index}/{partition}".encode()).hexdigest()[:6]
    base = f"{partition}_{digest}_idx"
    return base if len(base.encode()) <= _MAX_IDENT else index_name(partition, (digest,))


def drop_index_fix(index: Index, name: str) -> Fix:
    """The migration that drops an index (concurrently unless partitioned) and re-creates it on the way down."""
    target = qualified(index.schema, index.name)
    concurrently = "" if index.is_partitioned else "CONCURRENTLY "
    up = f"{TIMEOUTS}{PARTITIONED_DROP if index.is_partitioned else ''}DROP INDEX {concurrently}IF EXISTS {target};\n"
    definition = index.definition
    if not index.is_partitioned:
        definition = concurrent_index(definition, if_not_exists=True)
    down = f"{TIMEOUTS}{definition};\n"
    return Fix(name=name, up=up, down=down, no_transaction=True)


def concurrent_index(definition: str, *, if_not_exists: bool) -> str:
    """`CREATE [UNIQUE] INDEX name ON ...` from pg_get_indexdef, made CONCURRENTLY (and IF NOT EXISTS).

    IF NOT EXISTS suits the advisor's re-runnable fixes; the schema diff leaves it out, so
    that an index left invalid by a failed earlier run is an error, not silently kept.
    """
    extra = "IF NOT EXISTS " if if_not_exists else ""
    return _CREATE_INDEX.sub(
        lambda m: f"CREATE {m.group(1) or ''}INDEX CONCURRENTLY {extra}", definition, count=1
    )
