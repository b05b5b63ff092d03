"""SQL that creates or drops an index without blocking writes, and the SQL that undoes it.

Plain tables: `CREATE INDEX CONCURRENTLY IF NOT EXISTS` outside a transaction,
with `lock_timeout` set. Partitioned tables cannot be indexed concurrently, so
the recipe is: an invalid index `ON ONLY` the parent, one concurrent index per
partition (recursively for sub-partitioned ones), each attached to its
parent's index, which becomes valid once every partition is attached.
"""

from __future__ import annotations

import hashlib
import re

from senior_backend.common.pg.model import Index, Snapshot, Table
from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.analyze.findings import Fix

LOCK_TIMEOUT = "5s"
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
    lines = [f"SET lock_timeout = '{LOCK_TIMEOUT}';"]
    if table.is_partitioned:
        lines += _partitioned_recipe(snapshot, table, column_list, index_name(table.name, columns))
    else:
        lines.append(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(index_name(table.name, columns))} "
            f"ON {qualified(table.schema, table.name)} ({column_list});"
        )
    down = f"SET lock_timeout = '{LOCK_TIMEOUT}';\n"
    if table.is_partitioned:
        down += f"DROP INDEX IF EXISTS {qualified(table.schema, index_name(table.name, columns))};\n"
    else:
        down += (
            f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, index_name(table.name, columns))};\n"
        )
    return Fix(name=name, up="\n".join(lines) + "\n", down=down, no_transaction=True)


def _partitioned_recipe(snapshot: Snapshot, table: Table, column_list: str, parent_index: str) -> list[str]:
    lines = [
        f"CREATE INDEX IF NOT EXISTS {ident(parent_index)} ON ONLY {qualified(table.schema, table.name)} "
        f"({column_list});"
    ]
    for partition in partitions_of(snapshot, table.key):
        child_index = _child_index_name(parent_index, partition.name)
        if partition.is_partitioned:
            lines += _partitioned_recipe(snapshot, partition, column_list, child_index)
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


def _child_index_name(parent_index: str, partition: str) -> str:
    digest = hashlib.sha1(f"{parent_index}/{partition}".encode()).hexdigest()[:6]
    base = f"{partition}_{digest}_idx"
    return base if len(base.encode()) <= _MAX_IDENT else index_name(partition, (digest,))


def drop_index_fix(index: Index, name: str) -> Fix:
    """The migration that drops an index (concurrently unless partitioned) and re-creates it on the way down."""
    target = qualified(index.schema, index.name)
    concurrently = "" if index.is_partitioned else "CONCURRENTLY "
    up = f"SET lock_timeout = '{LOCK_TIMEOUT}';\nDROP INDEX {concurrently}IF EXISTS {target};\n"
    definition = index.definition
    if not index.is_partitioned:
        definition = concurrent_index(definition, if_not_exists=True)
    down = f"SET lock_timeout = '{LOCK_TIMEOUT}';\n{definition};\n"
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
