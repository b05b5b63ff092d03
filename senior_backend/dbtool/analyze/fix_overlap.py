"""Index fixes that another fix's wider index already serves: keep the wide one, point the narrow one at it.

A composite index serves its leading columns, so the analysis never writes both `(customer_id)` for
an unindexed foreign key and `(customer_id, created_at)` for a suggested index on the same table:
the narrow finding stays (it is still true of the database today) but loses its fix and says which
wider index covers it. A foreign key is served by its columns in any order; everything else by an
ordered prefix. Two fixes creating the same index are written once (see `run._write_fixes`).
"""

from __future__ import annotations

from dataclasses import replace

from senior_backend.dbtool.analyze.findings import Finding


def merge_index_fixes(findings: list[Finding]) -> list[Finding]:
    """The findings with each index fix that a wider, kept index fix covers replaced by advice naming it
    (widest first, so a fix that is itself replaced never serves another)."""
    creating = [f for f in findings if f.fix is not None and f.fix.creates_index is not None]
    creating.sort(key=lambda f: -len(f.fix.creates_index[1]))  # type: ignore[union-attr]
    kept: list[Finding] = []
    replaced: dict[int, Finding] = {}
    for finding in creating:
        wider = _widest_cover(finding, kept)
        if wider is None:
            kept.append(finding)
            continue
        table, columns = wider.fix.creates_index  # type: ignore[union-attr]
        replaced[id(finding)] = replace(
            finding,
            fix=None,
            advice=f"served by the wider index on {table} ({', '.join(columns)}) of the "
            f"{wider.rule} fix {wider.fix.name}, written instead of a narrower one",  # type: ignore[union-attr]
        )
    return [replaced.get(id(finding), finding) for finding in findings]


def _widest_cover(finding: Finding, kept: list[Finding]) -> Finding | None:
    table, columns = finding.fix.creates_index  # type: ignore[union-attr]
    any_order = finding.rule == "unindexed-foreign-key"
    covers = []
    for other in kept:
        other_table, other_columns = other.fix.creates_index  # type: ignore[union-attr]
        if other_table != table or len(other_columns) <= len(columns):
            continue
        lead = other_columns[: len(columns)]
        if (set(lead) == set(columns)) if any_order else (lead == columns):
            covers.append((len(other_columns), other))
    return max(covers, key=lambda pair: pair[0])[1] if covers else None
