"""`--from-db`: a database URL in, the API model, the generated files and the OpenAPI document out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.masking import mask_password
from senior_backend.common.openapi import OpenAPIDocument
from senior_backend.common.pg.connect import connect
from senior_backend.scaffold.fromdb.catalog import read_resources
from senior_backend.scaffold.fromdb.render import render_from_db
from senior_backend.scaffold.fromdb.spec import build_spec
from senior_backend.scaffold.ir import ApiModel, build_model
from senior_backend.scaffold.render import RenderedFile


@dataclass
class DbProject:
    """Everything one `--from-db` run produces, before anything is written."""

    document: dict[str, Any]
    model: ApiModel
    files: list[RenderedFile]
    warnings: list[Diagnostic]


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases: shared schema objects are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def spec_yaml(document: dict[str, Any]) -> str:
    """The OpenAPI document as YAML, in the order it was built."""
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def _title(url: str) -> str:
    database = urlsplit(url).path.strip("/") if "://" in url else ""
    return f"{database or 'database'} API"


def project_from_db(
    url: str, framework: str, schemas: tuple[str, ...], include: tuple[str, ...], exclude: tuple[str, ...]
) -> DbProject:
    """Introspect the database at `url` and build the project for `framework` (exit 4 if unreachable)."""
    masked = mask_password(url)
    with connect(url) as conn:
        resources, warnings = read_resources(masked, schemas, include, exclude, conn)
    document, plans, spec_warnings = build_spec(resources, _title(url))
    model = build_model(OpenAPIDocument(document, Path("openapi.yaml"), "3.1.0"))
    files = render_from_db(model, plans, resources, framework, masked)
    return DbProject(document, model, files, [*warnings, *spec_warnings, *model.warnings])
