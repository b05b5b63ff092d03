"""The published JSON Schemas of the tools' `--json` documents, and a validator for them.

Each document kind has one file in `senior_backend/schemas/` named
`<kind>.v<N>.json` (`dbtool-compare.v1.json`, ...), with an `$id` under
`SCHEMA_BASE`; they share `problem.v1.json` by `$ref`. The files ship in the
wheel, so an agent can read them where the package is installed; the tests
validate every `--json` output against its schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_BASE = "https://senior-backend.dev/schemas/"


def schema_path(kind: str, version: int = 1) -> Path:
    """The file of one document kind's schema (`kind` like "dbtool-compare")."""
    return SCHEMA_DIR / f"{kind}.v{version}.json"


@cache
def _registry() -> Any:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


def validation_errors(document: Any, kind: str, version: int = 1) -> list[str]:
    """Every way `document` breaks its kind's schema, as `path: message` lines (empty when valid)."""
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path(kind, version).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, registry=_registry())
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
