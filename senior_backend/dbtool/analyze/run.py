"""`--analyze` and `--suggest-indexes`: one snapshot plus statistics in, findings and fix migrations out.

The shadow loader (schema files), the statement parser (pglast) and the hypopg prover are imported
only by the runs that use them, so a live `--analyze` starts quickly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from senior_backend.common.diagnostics import Diagnostic, Level, info, warning
from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.common.masking import mask_password
from senior_backend.common.pg.catalog import TOOL_SCHEMA, load_kind, load_snapshot
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.model import Index
from senior_backend.common.pg.quoting import quote_ident
from senior_backend.dbtool.analyze.advisor import Context, run_rules, tiny_note
from senior_backend.dbtool.analyze.findings import Finding, sort_by_level
from senior_backend.dbtool.analyze.fix_overlap import merge_index_fixes
from senior_backend.dbtool.analyze.inheritance import unserved_inheriting_tables, with_inheriting_tables
from senior_backend.dbtool.analyze.stats import load_statistics
from senior_backend.dbtool.index_ddl import create_index_fix, index_name
from senior_backend.dbtool.migration_files import write_migration

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.indexes import Suggestion
    from senior_backend.dbtool.analyze.workload import Workload

ANALYSIS_LOCK_TIMEOUT = "5s"
"""The analysis only reads, but EXPLAIN waits behind a migration's ACCESS EXCLUSIVE lock: give up instead."""


@dataclass(frozen=True)
class AnalyzeOptions:
    """What the command line asked for."""

    connection: str | None = None
    schema_path: Path | None = None
    analyze: bool = True
    suggest: bool = False
    queries: Path | None = None
    output: Path | None = None
    min_cost_reduction: float = 0.5
    min_rows: int = 1000
    top: int = 50


@dataclass
class AnalysisResult:
    """Everything the report shows: `notes` and `skipped` are problems (info, or warning where results are
    reduced); `warnings` are what loading a schema file skipped, as its lines."""

    source: str
    live: bool
    findings: list[Finding] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[Diagnostic] = field(default_factory=list)
    migrations: list[Path] = field(default_factory=list)


def run_analysis(options: AnalyzeOptions) -> AnalysisResult:
    """Analyse a live database or a schema file, suggest indexes, write the fix migrations."""
    if options.schema_path is not None and not options.connection:
        from senior_backend.dbtool.shadow import ShadowServer, read_schema

        sources = read_schema(options.schema_path)
        shadow = ShadowServer()
        with shadow.loaded(sources) as conn:
            result = _analyse(conn, options, live=False, source=str(options.schema_path))
        result.warnings = sources.warnings + shadow.warnings
    else:
        if not options.connection:
            raise BadInput(
                "no-database",
                "no database to analyse",
                hint="pass --connection URL, set DATABASE_URL, or give a schema file: --analyze schema.sql",
            )
        with connect(options.connection) as conn:
            conn.execute(f"SET lock_timeout = '{ANALYSIS_LOCK_TIMEOUT}'")
            result = _analyse(conn, options, live=True, source=mask_password(options.connection))
    result.findings = sort_by_level(merge_index_fixes(result.findings))
    if options.output is not None:
        result.migrations = _write_fixes(options.output, result.findings)
    return result


def _analyse(conn: psycopg.Connection, options: AnalyzeOptions, live: bool, source: str) -> AnalysisResult:
    excluded = (TOOL_SCHEMA,)
    limit = max(options.top * 4, 200)
    try:
        if live:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_indexes_on_second_connection, options.connection, excluded)
                snapshot = load_snapshot(conn, excluded, skip=("indexes",))
                stats = load_statistics(conn, live=True, excluded=excluded, statement_limit=limit)
                snapshot.indexes = pending.result()
        else:
            snapshot = load_snapshot(conn, excluded)
            stats = load_statistics(conn, live=False, excluded=excluded, statement_limit=limit)
    except psycopg.errors.LockNotAvailable:
        raise Unreachable(
            "locked",
            f"a table is locked by another session for longer than {ANALYSIS_LOCK_TIMEOUT} "
            f"(reading sizes needs a brief ACCESS SHARE lock)",
            hint="a migration is probably running; retry when it is done",
        ) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise Unreachable(
            "insufficient-privilege",
            f"cannot read the statistics views: {exc.diag.message_primary}",
            hint="grant the pg_monitor role to this user",
        ) from exc
    ctx = Context(snapshot=snapshot, stats=stats, min_rows=options.min_rows)
    result = AnalysisResult(source=source, live=live, skipped=list(stats.skipped))
    if options.analyze:
        findings, notes = run_rules(ctx)
        result.findings.extend(findings)
        result.notes.extend(notes)
    if options.suggest:
        result.findings.extend(_suggest(conn, ctx, options, result))
    result.skipped.extend(ctx.skipped)
    if options.suggest and options.queries is not None:
        result.skipped = _statements_from_file(result.skipped, options.analyze)
    note = tiny_note(ctx)
    if note:
        result.notes.append(note)
    return result


def _indexes_on_second_connection(url: str, excluded: tuple[str, ...]) -> dict[str, Index]:
    """The snapshot's slowest kind, read on a second connection while the other kinds and the statistics
    load on the first: on big catalogs this nearly halves the wait."""
    with connect(url) as conn:
        conn.execute(f"SET lock_timeout = '{ANALYSIS_LOCK_TIMEOUT}'")
        return load_kind(conn, "indexes", excluded)


def _suggest(
    conn: psycopg.Connection, ctx: Context, options: AnalyzeOptions, result: AnalysisResult
) -> list[Finding]:
    from senior_backend.dbtool.analyze import indexes

    if options.queries is not None:
        from senior_backend.dbtool.analyze.workload import from_file

        workloads, skipped = from_file(options.queries, ctx.snapshot)
        result.notes.extend(_skipped_note(item.where, item.text, item.reason) for item in skipped)
        workloads = _explainable(conn, workloads, result)
    elif not ctx.stats.live:
        result.notes.append(
            warning(
                "suggestions-need-statements",
                "index suggestions need a live database (--connection) or statements (--queries FILE)",
            )
        )
        return []
    elif not ctx.stats.has_statements:
        result.notes.append(
            info(
                "no-statements",
                "no statements to suggest indexes for: pg_stat_statements is not enabled in this database",
                hint="CREATE EXTENSION pg_stat_statements (details on stderr), or pass the statements with --queries FILE",
            )
        )
        return []
    else:
        workloads = ctx.workload()[: options.top]
        if not ctx.stats.read_all_stats and ctx.stats.hidden_statements:
            result.skipped.append(
                warning(
                    "insufficient-privilege",
                    f"index suggestions: only this role's statements are examined, "
                    f"{ctx.stats.hidden_statements} statement(s) of other roles are hidden from it",
                    hint=f"GRANT pg_read_all_stats TO {quote_ident(ctx.stats.role)}",
                )
            )
    workloads = _readable(ctx, workloads, result)
    if not workloads:
        result.notes.append(info("no-statements", "no statements on known tables to suggest indexes for"))
        return []
    if ctx.stats.live and ctx.stats.has_hypopg:
        suggestions, problems = indexes.prove(ctx, conn, workloads, options.min_cost_reduction)
        result.notes.extend(problems)
    else:
        suggestions = indexes.heuristic(ctx, workloads)
        if not ctx.stats.live:
            result.notes.append(
                info(
                    "suggestions-unverified",
                    "suggestions from a schema file cannot be proven (no hypopg, no data): unverified",
                )
            )
    return [_suggestion_finding(ctx, s) for s in suggestions]


def _statements_from_file(skipped: list[Diagnostic], analyze: bool) -> list[Diagnostic]:
    """With --queries the index suggestions do not need pg_stat_statements: its note keeps only what is
    still skipped (N+1 detection, when --analyze runs too)."""
    kept = []
    for check in skipped:
        if check.rule == "pg-stat-statements-missing":
            if not analyze:
                continue
            check = replace(check, message="pg_stat_statements is not enabled: N+1 detection is skipped")
        kept.append(check)
    return kept


def _skipped_note(where: str, text: str, reason: str) -> Diagnostic:
    flat = " ".join(text.split())
    short = flat if len(flat) <= 80 else flat[:77] + "..."
    return info("statement-skipped", f"{where}: no index suggestion for {short}: {reason}", where=where)


def _explainable(
    conn: psycopg.Connection, workloads: list[Workload], result: AnalysisResult
) -> list[Workload]:
    """The --queries statements PostgreSQL can plan; a note names each other one and PostgreSQL's reason
    (a column or function that does not exist, a type mismatch, ...)."""
    from senior_backend.dbtool.analyze.indexes import Explainer

    explainer = Explainer(conn)
    kept = []
    for work in workloads:
        try:
            with conn.transaction():
                explainer.plan(work.shape)
        except psycopg.Error as exc:
            reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
            result.notes.append(
                _skipped_note(
                    _error_where(work, explainer.error_offset(work.shape, exc)),
                    work.shape.text,
                    f"PostgreSQL cannot plan it: {reason}",
                )
            )
            continue
        kept.append(work)
    return kept


def _error_where(work: Workload, offset: int | None) -> str:
    """file:line:column of the character PostgreSQL's error points at, else file:line of the statement."""
    if work.start is None:
        return ""
    if offset is None:
        return work.start.line_only
    return str(work.start.advanced(work.shape.text, offset))


def _readable(ctx: Context, workloads: list[Workload], result: AnalysisResult) -> list[Workload]:
    """The statements whose tables this role may SELECT from (EXPLAIN needs it); one warning for the rest."""
    if not ctx.stats.live:
        return workloads
    denied: set[str] = set()
    kept = []
    for work in workloads:
        missing = {t for t in work.shape.tables if t in ctx.stats.tables and not ctx.stats.tables[t].readable}
        denied |= missing
        if not missing:
            kept.append(work)
    if denied:
        result.skipped.append(
            warning(
                "insufficient-privilege",
                f"index suggestions: {len(workloads) - len(kept)} statement(s) skipped, proving an index runs "
                f"EXPLAIN, which needs SELECT on {', '.join(sorted(denied))}",
                hint=f"GRANT SELECT ON {', '.join(sorted(denied))} TO {quote_ident(ctx.stats.role)}",
            )
        )
    return kept


def _suggestion_finding(ctx: Context, suggestion: Suggestion) -> Finding:
    table = ctx.snapshot.tables[suggestion.table]
    name = index_name(table.name, suggestion.columns)
    children = unserved_inheriting_tables(ctx, table, suggestion.columns)
    columns = ", ".join(suggestion.columns)
    if suggestion.verified:
        proof = (
            f"hypopg: plan cost {suggestion.cost_before:.1f} -> {suggestion.cost_after:.1f} "
            f"({suggestion.reduction:.0%} lower)"
        )
    else:
        proof = "unverified (heuristic: hypopg is not available to prove it)"
    return Finding(
        rule="suggested-index",
        level=Level.WARNING,
        message=f"index on {suggestion.table} ({columns}){_and_on(children)} would serve {len(suggestion.queries)} statement(s); {proof}",
        objects=(suggestion.table, *suggestion.columns),
        evidence={
            "columns": list(suggestion.columns),
            "verified": suggestion.verified,
            "cost_before": suggestion.cost_before,
            "cost_after": suggestion.cost_after,
            "cost_reduction": round(suggestion.reduction, 4) if suggestion.reduction is not None else None,
            "queries": suggestion.queries,
            "calls": suggestion.calls,
            "partitioned": table.is_partitioned,
            "inheriting_tables": [child.key for child in children],
        },
        fix=with_inheriting_tables(
            create_index_fix(ctx.snapshot, suggestion.table, suggestion.columns, f"index_{name}"),
            children,
            suggestion.columns,
        ),
    )


def _and_on(children: list) -> str:
    """`` and on its inheriting tables a, b`` (their rows are scanned with the parent's)."""
    if not children:
        return ""
    return f" and on the table(s) inheriting from it ({', '.join(child.key for child in children)})"


def _write_fixes(output: Path, findings: list[Finding]) -> list[Path]:
    written: list[Path] = []
    seen: set[str] = set()
    for finding in findings:
        fix = finding.fix
        if fix is None or not fix.migration or fix.up in seen:
            continue
        seen.add(fix.up)
        written.extend(write_migration(output, fix.name, fix.up, fix.down, fix.no_transaction))
    return written
