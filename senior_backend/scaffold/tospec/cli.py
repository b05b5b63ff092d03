"""The `--generate-spec` mode of `api_scaffolder.py`: check its arguments, run the use case, show the result."""

from __future__ import annotations

from pathlib import Path

from senior_backend.common.cli import ExitCode
from senior_backend.common.console import Output
from senior_backend.common.errors import BadInput
from senior_backend.scaffold.tospec.report import show
from senior_backend.scaffold.tospec.run import GenerateSpecOptions, run_generate_spec


def generate_spec_mode(
    out: Output, source: str | None, output: str, *, from_db: str | None, force: bool, dry_run: bool
) -> int:
    """`SOURCE --generate-spec --output FILE`: recover the spec of the route files in SOURCE."""
    if from_db is not None or source is None:
        raise BadInput("missing-source", "--generate-spec needs a route file or folder (and no --from-db)")
    options = GenerateSpecOptions(Path(source), Path(output), force=force, dry_run=dry_run)
    show(out, run_generate_spec(options))
    return ExitCode.OK
