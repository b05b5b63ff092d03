"""Schema diff phase for object owners (only with `--with-privileges`, like grants).

Owners of schemas, tables, views, sequences, functions and types are compared
and set with `ALTER ... OWNER TO`; an object the migration creates (or
recreates) is owned by whoever runs it, so it is always given its desired
owner. Sequences owned by a column and identity sequences follow their table
and are left alone. Indexes, constraints and the like have no owner of
their own.
"""

from __future__ import annotations

from collections.abc import Callable

from senior_backend.common.pg.model import Snapshot
from senior_backend.common.pg.quoting import ident
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.support import DifferBase

# Snapshot attribute, change kind, how to name one object in ALTER ... OWNER TO.
OWNED: tuple[tuple[str, str, Callable[[object], str]], ...] = (
    ("schemas", "schema", lambda o: f"SCHEMA {ident(o.name)}"),  # type: ignore[attr-defined]
    ("enums", "type", lambda o: f"TYPE {ddl.rel(o)}"),
    ("composite_types", "type", lambda o: f"TYPE {ddl.rel(o)}"),
    ("domains", "domain", lambda o: f"DOMAIN {ddl.rel(o)}"),
    ("sequences", "sequence", lambda o: f"SEQUENCE {ddl.rel(o)}"),
    (
        "functions",
        "function",
        lambda o: f"{'PROCEDURE' if o.kind == 'p' else 'FUNCTION'} {ddl.function_signature(o)}",  # type: ignore[attr-defined]
    ),
    ("tables", "table", lambda o: f"TABLE {ddl.rel(o)}"),
    (
        "views",
        "view",
        lambda o: f"{'MATERIALIZED VIEW' if o.materialized else 'VIEW'} {ddl.rel(o)}",  # type: ignore[attr-defined]
    ),
)


def owned_objects(snapshot: Snapshot, attribute: str) -> dict[str, object]:
    """The objects of one kind that have an owner of their own (not sequences that follow a table)."""
    objects = getattr(snapshot, attribute)
    if attribute == "sequences":
        return {k: s for k, s in objects.items() if not s.is_identity and not s.owned_by}
    return objects


def owner_differences(a: Snapshot, b: Snapshot) -> list[str]:
    """`owner of <kind>: <key>` for every object present in both snapshots with different owners."""
    found = []
    for attribute, _kind, _name in OWNED:
        left, right = owned_objects(a, attribute), owned_objects(b, attribute)
        for key in sorted(set(left) & set(right)):
            if left[key].owner != right[key].owner:  # type: ignore[attr-defined]
                found.append(f"owner of {attribute}: {key}")
    return found


class OwnerPhases(DifferBase):
    """ALTER ... OWNER TO where the desired owner differs, or the object is created by the migration."""

    def _owners(self) -> None:
        for attribute, kind, name in OWNED:
            before = owned_objects(self.eff, attribute)
            for key, obj in sorted(owned_objects(self.new, attribute).items()):
                previous = before.get(key)
                owner = obj.owner  # type: ignore[attr-defined]
                if owner and (previous is None or previous.owner != owner):  # type: ignore[attr-defined]
                    self.add(
                        kind,
                        key,
                        f"owner of {key} is {owner}",
                        [f"ALTER {name(obj)} OWNER TO {ident(owner)};"],
                        lock="none" if kind not in {"table", "view"} else "ACCESS EXCLUSIVE",
                    )
