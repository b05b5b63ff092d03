"""Showing an analysis: a table by level (rich on a terminal, plain when piped) or one JSON document.

The document is published as `senior_backend/schemas/dbtool-analyze.v1.json`: findings are problems
(`rule`, `level`, `message`) with objects, evidence, fix and advice; `notes` and `skipped` are problems.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from senior_backend.common.console import Output
from senior_backend.common.diagnostics import Diagnostic
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.analyze.run import AnalysisResult

_STYLE = {"error": "[bold red]error[/]", "warning": "[yellow]warning[/]", "info": "[cyan]info[/]"}


def to_json(result: AnalysisResult) -> dict[str, Any]:
    """The `--json` document (schema `dbtool-analyze.v1.json`)."""
    counts = Counter(finding.level.value for finding in result.findings)
    return {
        "source": result.source,
        "live": result.live,
        "summary": {level: counts.get(level, 0) for level in ("error", "warning", "info")},
        "findings": [finding.to_json() for finding in result.findings],
        "notes": [note.to_json() for note in result.notes],
        "skipped": [check.to_json() for check in result.skipped],
        "migrations": [str(path) for path in result.migrations],
    }


def show(out: Output, result: AnalysisResult) -> None:
    """Print the report in the chosen format; skipped checks also go to stderr as log lines."""
    for check in result.skipped:
        out.log(f"note: {_sentence(check, 'to enable: ')}")
    if out.is_json:
        out.json(to_json(result))
        return
    rows = [
        (
            _STYLE[f.level.value] if out.rich_stdout else f.level.value,
            f.rule,
            ", ".join(f.objects),
            f.message,
            _fix_summary(f),
        )
        for f in result.findings
    ]
    out.table(f"Findings for {result.source}", ["level", "rule", "objects", "message", "fix"], rows)
    counts = Counter(f.level.value for f in result.findings)
    out.line(
        f"{len(result.findings)} finding(s): {counts.get('error', 0)} error, "
        f"{counts.get('warning', 0)} warning, {counts.get('info', 0)} info"
    )
    for note in result.notes:
        out.line(f"note: {_sentence(note)}")
    if result.migrations:
        out.line(f"wrote {len(result.migrations)} migration file(s):")
        for path in result.migrations:
            out.line(f"  {path}")


def _sentence(problem: Diagnostic, hint_lead: str = "") -> str:
    """A note as the report prints it: the message, then the hint in parentheses."""
    return f"{problem.message} ({hint_lead}{problem.hint})" if problem.hint else problem.message


def _fix_summary(finding: Finding) -> str:
    if finding.fix is None:
        return finding.advice or ""
    statements = [
        line for line in finding.fix.up.splitlines() if line and not line.startswith(("SET ", "--"))
    ]
    return statements[0] if len(statements) == 1 else f"{statements[0]} (+{len(statements) - 1} more)"
