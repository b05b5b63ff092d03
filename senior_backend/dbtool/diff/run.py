"""`--compare` and `--compare-url`: a current and a desired schema in, the up/down migration out.

`run_compare(CompareOptions)` is the whole use case: it reads both sides
(schema files loaded into a shadow database chosen by `shadow_choice.py`, a
live database, or a second database), diffs them into the up and down
`Plan`s, renders the migration text, refuses what is unsafe (`Refused`: a
change with no safe migration, or data loss without `allow_data_loss`) and
writes the migration files when asked. Which shadow was used and why, and the
notes and warnings met on the way, come back as data in `CompareResult`; a
refusal (`CompareRefused`) carries the result too, so they can still be shown.
Migrations waiting unapplied in the output folder are named in a warning
(`pending.py`): the diff does not know what they will do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from senior_backend.common.diagnostics import Diagnostic, info, warning
from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.masking import mask_password
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.model import Snapshot
from senior_backend.dbtool.diff.changes import Plan
from senior_backend.dbtool.diff.pending import pending_warning
from senior_backend.dbtool.diff.plan import migration_plans
from senior_backend.dbtool.migration_files import write_migration
from senior_backend.dbtool.restate import restate_views
from senior_backend.dbtool.shadow import (
    DEFAULT_SEARCH_PATH,
    ShadowServer,
    both,
    read_schema,
    same_major,
    snapshot_url,
    target_session,
    unpinned_extensions,
)
from senior_backend.dbtool.shadow_choice import choose_shadow


@dataclass(frozen=True)
class CompareOptions:
    """What to compare, and what to do with the migration.

    The desired side is `desired_schema` (a `.sql` file or folder) or `desired_url` (a second database).
    The current side is `current_schema` when given (two files, no database), else the live database
    `connection`. `shadow` (embedded|target|URL) or `shadow_url` overrides the shadow server's choice.
    With `output`, the migration is written there as `<timestamp>_<name>.up.sql` and `.down.sql`.
    """

    connection: str | None = None
    desired_schema: Path | None = None
    current_schema: Path | None = None
    desired_url: str | None = None
    shadow: str | None = None
    shadow_url: str | None = None
    with_privileges: bool = False
    allow_data_loss: bool = False
    output: Path | None = None
    name: str = "schema_diff"


@dataclass
class CompareResult:
    """The up and down plans with their migration text, and how they were obtained.

    `shadow` describes the server schema files were loaded into and `shadow_reason` why it was chosen
    (both None with `desired_url`); `notes` are what was done on the way (stale shadow databases
    removed), `warnings` everything to warn about: how the schemas were read (server versions,
    skipped statements), then the plans' own warnings (up, then those only the down plan has).
    """

    title: str
    up: Plan
    down: Plan
    up_sql: str
    down_sql: str
    shadow: str | None = None
    shadow_reason: str | None = None
    notes: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def no_transaction(self) -> bool:
        """Whether the files are marked no-transaction (a change of either direction needs it)."""
        return self.up.no_transaction or self.down.no_transaction


class CompareRefused(Refused):
    """The migration was refused; `result` holds what the comparison found (nothing was written)."""

    def __init__(self, result: CompareResult, rule: str, message: str, hint: str) -> None:
        super().__init__(rule, message, hint=hint)
        self.result = result


@dataclass
class _Sides:
    """Both snapshots and what reading them said."""

    title: str
    current: Snapshot
    desired: Snapshot
    shadow: str | None = None
    shadow_reason: str | None = None
    notes: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    unpinned: set[str] = field(default_factory=set)  # extensions the schema files create without a VERSION


ShadowListener = Callable[[str, str, list[Diagnostic]], None]
"""Told, as soon as the shadow server is chosen: what it is, why, and the notes of choosing it."""


def run_compare(options: CompareOptions, on_shadow: ShadowListener | None = None) -> CompareResult:
    """Diff the current schema against the desired one; refuse unsafe plans; write the files when asked.
    `on_shadow` hears which shadow server was chosen before the (possibly long) schema load starts."""
    if options.desired_schema is not None and options.desired_url is not None:
        raise BadInput("usage", "give either --compare or --compare-url, not both")
    if options.desired_url is not None:
        sides = _against_database(options, options.desired_url)
    elif options.desired_schema is not None:
        sides = _against_schema(options, options.desired_schema, on_shadow)
    else:
        raise BadInput("usage", "nothing to compare: give --compare FILE|DIR or --compare-url URL")
    result = _plan(sides, options.with_privileges, options.connection is not None)
    if options.output is not None and options.connection and options.current_schema is None:
        pending = pending_warning(options.output, options.connection)
        if pending is not None:
            result.warnings.append(pending)
    _refuse_unsafe(result, options.allow_data_loss)
    if options.output is not None and not result.up.empty:
        written = write_migration(
            options.output, options.name, result.up_sql, result.down_sql, result.no_transaction
        )
        result.files = list(written)
    return result


def _against_database(options: CompareOptions, desired_url: str) -> _Sides:
    connection = options.connection
    if not connection:
        raise BadInput("no-connection", "--compare-url needs --connection (the database to migrate)")
    settings = target_session(connection).text_settings  # the desired database read as the target prints
    old, new = both(lambda: snapshot_url(connection), lambda: snapshot_url(desired_url, settings))
    sides = _Sides(f"{mask_password(connection)} -> {mask_password(desired_url)}", old, new)
    if not same_major(old, new):
        with connect(desired_url) as conn:  # temporary views only, in a transaction rolled back
            restate_views(conn, old, new, DEFAULT_SEARCH_PATH)
        sides.warnings.append(
            warning(
                "server-versions-differ",
                f"the databases run PostgreSQL {old.server_version // 10000} and "
                f"{new.server_version // 10000}: views are compared as the second one spells them, other "
                "catalog text may still differ",
            )
        )
    return sides


def _against_schema(options: CompareOptions, desired_path: Path, on_shadow: ShadowListener | None) -> _Sides:
    desired_sources = read_schema(desired_path)
    if options.current_schema is not None:
        current_sources = read_schema(options.current_schema)
        shadow = choose_shadow(options.shadow, options.shadow_url, None)
        notes = _announce(shadow, on_shadow)
        old, new = both(
            lambda: shadow.snapshot_of(current_sources),
            lambda: shadow.snapshot_of(desired_sources),
        )
        sides = _Sides(f"{options.current_schema} -> {desired_path}", old, new)
        skipped = desired_sources.warnings + current_sources.warnings
    else:
        connection = options.connection
        if not connection:
            raise BadInput("no-connection", "--compare FILE needs --connection (or give two files)")
        shadow = choose_shadow(options.shadow, options.shadow_url, connection)
        notes = _announce(shadow, on_shadow)
        session = target_session(connection)
        old, new = shadow.snapshots_against(desired_sources, lambda: snapshot_url(connection), session)
        sides = _Sides(f"{mask_password(connection)} -> {desired_path}", old, new)
        differs = shadow.version_warning(old.server_version)
        if differs:
            sides.warnings.append(warning("shadow-version-differs", differs))
        skipped = desired_sources.warnings
    sides.shadow, sides.shadow_reason = shadow.describe(), shadow.reason
    sides.notes = notes
    sides.unpinned = unpinned_extensions(desired_sources)
    sides.warnings += [warning("skipped-statement", text) for text in skipped + shadow.warnings]
    return sides


def _announce(shadow: ShadowServer, on_shadow: ShadowListener | None) -> list[Diagnostic]:
    """The notes of choosing `shadow` (stale databases removed), told to the listener at once."""
    notes = [info("stale-shadow-removed", note) for note in shadow.notes]
    if on_shadow is not None:
        on_shadow(shadow.describe(), shadow.reason, notes)
    return notes


def _plan(sides: _Sides, with_privileges: bool, live_target: bool) -> CompareResult:
    desired = _unpinned_versions(sides, _keeping_extensions(sides, live_target))
    up, down = migration_plans(sides.current, desired, with_privileges=with_privileges)
    split = up.no_transaction or down.no_transaction
    return CompareResult(
        title=sides.title,
        up=up,
        down=down,
        up_sql=up.render(f"up: {sides.title}", split=split),
        down_sql=down.render(f"down: {sides.title}", split=split),
        shadow=sides.shadow,
        shadow_reason=sides.shadow_reason,
        notes=sides.notes,
        warnings=sides.warnings + up.warnings + [w for w in down.warnings if w not in up.warnings],
    )


def _refuse_unsafe(result: CompareResult, allow_data_loss: bool) -> None:
    refusals = result.up.refusals
    if refusals:
        raise CompareRefused(
            result,
            "unsupported-change",
            f"{len(refusals)} change(s) have no safe migration: {'; '.join(r.message for r in refusals)}",
            hint="make those changes in a separate, hand-written migration first",
        )
    lossy = result.up.data_loss
    if lossy and not allow_data_loss:
        listed = "; ".join(change.description for change in lossy)
        raise CompareRefused(
            result,
            "data-loss",
            f"{len(lossy)} change(s) can lose data: {listed}",
            hint="review them and rerun with --allow-data-loss",
        )


def _unpinned_versions(sides: _Sides, desired: Snapshot) -> Snapshot:
    """An extension the files create without a VERSION keeps the version the current side has (the shadow
    server's default, perhaps of another major version, is not a request to update), and one the current
    side lacks is created at the target's default (version "")."""
    if not sides.unpinned:
        return desired
    extensions = dict(desired.extensions)
    for name in sides.unpinned & set(extensions):
        current = sides.current.extensions.get(name)
        extensions[name] = replace(extensions[name], version=current.version if current else "")
    return replace(desired, extensions=extensions)


def _keeping_extensions(sides: _Sides, live_target: bool) -> Snapshot:
    """The desired snapshot, plus the extensions a live target has that the schema files do not name.

    Monitoring and tooling extensions (pg_stat_statements, hypopg) are rarely in a schema file, and a DROP
    EXTENSION takes the extension's objects and data with it: they are kept, with a warning naming them."""
    kept = sorted(set(sides.current.extensions) - set(sides.desired.extensions)) if live_target else []
    if not kept:
        return sides.desired
    sides.warnings.append(
        warning(
            "extension-kept",
            f"extension(s) {', '.join(kept)} on the target are not in the desired schema: kept",
            hint="a DROP EXTENSION takes its objects and data with it; write it by hand if it is meant",
        )
    )
    extensions = {**sides.desired.extensions, **{key: sides.current.extensions[key] for key in kept}}
    return replace(sides.desired, extensions=extensions)
