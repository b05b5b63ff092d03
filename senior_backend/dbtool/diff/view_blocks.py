"""Keep a view's drop and its recreation in one transaction block of a no-transaction migration.

A migration that builds an index CONCURRENTLY is split into BEGIN/COMMIT blocks
around the statements that must run outside a transaction. A view dropped
early (it reads a column that changes) and created late would then be missing
for the time between the blocks, and gone for good if a statement in between
fails. So the statements that must run outside a transaction and fall between
the first such drop and the last statement that recreates a view (its CREATE,
its grants, its comment and those of its columns) are moved out of that
stretch: DROP INDEX CONCURRENTLY and enum ADD VALUE (they need nothing the
stretch creates) before it; CREATE INDEX CONCURRENTLY after it, with the index and constraint steps
that follow it there (a constraint USING INDEX, an index attached to its
parent, a foreign key on a new unique key), which no view depends on.
"""

from __future__ import annotations

from senior_backend.dbtool.diff.changes import Change


def keep_view_recreations_atomic(changes: list[Change], recreated_views: set[str]) -> list[Change]:
    """`changes` reordered so that no statement that must run outside a transaction lies between the drop
    of a view of `recreated_views` and its recreation; unchanged when none does."""
    drops = [i for i, c in enumerate(changes) if c.kind == "view" and c.key in recreated_views and _drops(c)]
    if not drops:
        return changes
    start = drops[0]
    rebuilt = [
        i
        for i, c in enumerate(changes)
        if i > start and c.key in recreated_views and c.kind in ("view", "privilege", "comment")
    ]
    rebuilt += [i for i, c in enumerate(changes) if c.kind == "privilege" and _on_view(c, recreated_views)]
    rebuilt += [i for i, c in enumerate(changes) if c.kind == "comment" and _on_column_of(c, recreated_views)]
    end = max([*rebuilt, start])
    window = changes[start : end + 1]
    if not any(c.no_transaction for c in window):
        return changes
    before: list[Change] = []
    inside: list[Change] = []
    after: list[Change] = []
    for change in window:
        if after and change.kind in ("index", "constraint"):
            after.append(change)
        elif change.no_transaction and (change.kind == "type" or _drops(change)):
            before.append(change)
        elif change.no_transaction:
            after.append(change)
        else:
            inside.append(change)
    return [*changes[:start], *before, *inside, *after, *changes[end + 1 :]]


def _drops(change: Change) -> bool:
    return all(statement.lstrip().upper().startswith("DROP ") for statement in change.up)


def _on_view(change: Change, views: set[str]) -> bool:
    """Whether a privilege change (key `table <view> <privilege> to <role>`) is on one of `views`."""
    return any(change.key.startswith(f"table {view} ") for view in views)


def _on_column_of(change: Change, views: set[str]) -> bool:
    """Whether a comment change (key `<view>.<column>` for a column) is on a column of one of `views`."""
    return any(change.key.startswith(f"{view}.") for view in views)
