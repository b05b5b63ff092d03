"""Schema diff phase for object owners (only with `--with-privileges`, like grants).

Owners of schemas, tables, views, sequences, functions and types are compared
and set with `ALTER ... OWNER TO`; an object the migration creates (or
recreates) is owned by whoever runs it, so it is always given its desired
owner. Sequences owned by a column and identity sequences follow their table
and are left alone. Indexes, constraints and the like have no owner of
their own.
"""

from __future__ import annotations

from senior_backend.common.pg.model import Snapshot
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.kinds import KINDS, SEQUENCE, Kind
from senior_backend.dbtool.diff.support import DifferBase

OWNED: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.owned)
"""The kinds whose owner the diff keeps, in the order it sets them."""


def owned_objects(snapshot: Snapshot, kind: Kind) -> dict[str, object]:
    """The objects of one kind that have an owner of their own (not sequences that follow a table)."""
    objects = getattr(snapshot, kind.attribute)
    if kind is SEQUENCE:
        return {k: s for k, s in objects.items() if not s.is_identity and not s.owned_by}
    return objects


def owner_differences(a: Snapshot, b: Snapshot) -> list[str]:
    """`owner of <kind>: <key>` for every object present in both snapshots with different owners."""
    found = []
    for kind in OWNED:
        left, right = owned_objects(a, kind), owned_objects(b, kind)
        for key in sorted(set(left) & set(right)):
            if left[key].owner != right[key].owner:  # type: ignore[attr-defined]
                found.append(f"owner of {kind.attribute}: {key}")
    return found


class OwnerPhases(DifferBase):
    """ALTER ... OWNER TO where the desired owner differs, or the object is created by the migration."""

    def _owners(self) -> None:
        for kind in OWNED:
            before = owned_objects(self.eff, kind)
            for key, obj in sorted(owned_objects(self.new, kind).items()):
                previous = before.get(key)
                owner = obj.owner  # type: ignore[attr-defined]
                if owner and (previous is None or previous.owner != owner):  # type: ignore[attr-defined]
                    self.add(
                        kind.change,
                        key,
                        f"owner of {key} is {owner}",
                        [ddl.alter_owner(kind, obj, owner)],
                        lock="none" if kind.change not in {"table", "view"} else "ACCESS EXCLUSIVE",
                    )
