"""What each check reads, and the grant that lets a role read it: the analyser's least-privilege registry.

Every rule module has an entry in `NEEDS` (a test keeps the two in step, and the README's rule table
repeats the `reads` column). A check whose `readable` is false for this role and database is skipped
with a warning that names the grant enabling it; the other checks still run. Sequences are read one by
one: the ones this role cannot read are counted in the `sequences-unreadable` warning (see `stats`). Statistics counters
(`pg_stat_all_tables`, `pg_stat_all_indexes`) and the catalogs are readable by every role;
statement texts of other roles and sequence values are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.pg.quoting import quote_ident
from senior_backend.dbtool.analyze.stats import Statistics


@dataclass(frozen=True)
class Needs:
    """What a check reads; `grant` enables it for a role that cannot (None: every role can)."""

    reads: str
    grant: str | None = None
    readable: Callable[[Statistics], bool] = lambda stats: True
    why: Callable[[Statistics], str] = lambda stats: ""

    def skipped(self, title: str, stats: Statistics) -> Diagnostic:
        """The warning for a check this role cannot run: what it reads, why not, and the grant."""
        role = quote_ident(stats.role) if stats.role else "this role"
        return warning(
            "insufficient-privilege",
            f"{title}: skipped, it reads {self.reads} and {self.why(stats)}",
            hint=(self.grant or "").replace("<role>", role),
        )


def _statements_readable(stats: Statistics) -> bool:
    return stats.read_all_stats or stats.hidden_statements == 0


CATALOG = Needs("the system catalogs (pg_class, pg_index, pg_constraint, pg_attribute, pg_type)")
TABLE_COUNTERS = Needs("pg_stat_all_tables (scan, tuple and vacuum counters, readable by every role)")
STATEMENTS = Needs(
    "pg_stat_statements of every role (the texts of other roles' statements need pg_read_all_stats)",
    grant="GRANT pg_read_all_stats TO <role>",
    readable=_statements_readable,
    why=lambda stats: f"{stats.hidden_statements} statement(s) of other roles are hidden from this role",
)
SEQUENCES = Needs(
    "pg_sequences.last_value (SELECT or USAGE on each sequence; an unreadable one is skipped with a warning)",
    grant="GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO <role>, or GRANT pg_read_all_data TO <role>",
)

NEEDS: dict[str, Needs] = {
    "fk_indexes": CATALOG,
    "primary_keys": CATALOG,
    "duplicate_indexes": CATALOG,
    "invalid_objects": CATALOG,
    "risky_types": CATALOG,
    "unused_indexes": Needs("pg_stat_all_indexes.idx_scan and pg_stat_database.stats_reset (every role)"),
    "seq_scans": TABLE_COUNTERS,
    "sequences": SEQUENCES,
    "maintenance": Needs(
        "pg_stat_all_tables (dead rows, last vacuum/analyze) and age(relfrozenxid/datfrozenxid), every role"
    ),
    "n_plus_one": STATEMENTS,
}


def of(rule: ModuleType) -> Needs:
    """The registry entry of a rule module."""
    return NEEDS[rule.__name__.rsplit(".", 1)[-1]]
