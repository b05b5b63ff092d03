"""Finding the Jinja2 templates in every install mode.

Candidates, in order: an explicit override (the `override` argument or the
`SENIOR_BACKEND_TEMPLATES` variable), the copy inside the installed package
(the wheel build force-includes `templates/` as `senior_backend/_templates`),
then the `templates/` folder of a source checkout. A candidate counts only if
it holds the sentinel file, so a stray empty folder is never picked.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from senior_backend.common.errors import BadInput

SENTINEL = ".senior-backend-templates"
ENV_VAR = "SENIOR_BACKEND_TEMPLATES"

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def template_candidates(override: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """Every place templates may live, labelled, in priority order."""
    candidates: list[tuple[str, Path]] = []
    explicit = override or os.environ.get(ENV_VAR)
    if explicit:
        candidates.append(("override", Path(explicit)))
    candidates.append(("package", _PACKAGE_ROOT / "_templates"))
    candidates.append(("checkout", _PACKAGE_ROOT.parent / "templates"))
    return candidates


def find_templates(override: str | os.PathLike[str] | None = None) -> tuple[str, Path]:
    """The first candidate that holds the sentinel, as (mode, path); exit 2 if an override is wrong."""
    for mode, path in template_candidates(override):
        if (path / SENTINEL).is_file():
            return mode, path
        if mode == "override":
            raise BadInput(
                "templates-not-found",
                f"{path} is not a senior-backend templates folder (no {SENTINEL} in it)",
                hint=f"point {ENV_VAR} at a copy of the project's templates/ folder",
            )
    raise BadInput(
        "templates-not-found",
        "the senior-backend templates are missing from this install",
        hint="reinstall the package, or set SENIOR_BACKEND_TEMPLATES",
    )


def template_environment(override: str | os.PathLike[str] | None = None) -> jinja2.Environment:
    """A Jinja2 environment over the templates, strict about undefined names."""
    _, path = find_templates(override)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
