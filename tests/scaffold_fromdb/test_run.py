"""The `--from-db` use case called directly (no click, no subprocess): `run_from_db` writes the CRUD
project and the spec, masks the password in what it reports and raises, keeps handlers byte for byte when the
database changes, writes nothing on a dry or refused run, and its JSON matches the published schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.errors import BadInput, Refused, Unreachable
from senior_backend.common.masking import mask_password
from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.fromdb.run import FromDbOptions, run_from_db
from senior_backend.scaffold.ir import build_model
from senior_backend.scaffold.report import to_json
from senior_backend.scaffold.writer import MANIFEST
from tests.scaffold.conftest import valid_document
from tests.scaffold_fromdb.conftest import SHOP_SQL

pytestmark = [pytest.mark.pg]


@pytest.fixture
def shop(make_database: Callable[[], str]) -> str:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SHOP_SQL.read_text())
    return url


def test_a_run_writes_the_project_and_the_spec_and_reports_them(shop: str, tmp_path: Path) -> None:
    out, spec = tmp_path / "api", tmp_path / "spec" / "openapi.yaml"
    result = run_from_db(FromDbOptions(shop, out, "koa", spec_out=spec))
    assert {
        "db.ts",
        "app.ts",
        "routes/customers.ts",
        "handlers/customers.ts",
        "handlers/order-totals.ts",
    } <= set(result.files.created)
    assert all((out / path).is_file() for path in result.files.created) and (out / MANIFEST).is_file()
    assert "INSERT INTO" in (out / "handlers" / "customers.ts").read_text()
    keys = {f"{op.method.upper()} {op.path}" for op in result.operations}
    assert {"GET /customers", "POST /customers/batch", "DELETE /order_items/{order_id}/{line_no}"} <= keys
    assert "POST /order_totals" not in keys  # a view is read-only
    recovered = build_model(load_openapi(spec))
    assert {(op.method, op.path) for op in recovered.operations} == {
        (op.method, op.path) for op in result.operations
    }
    assert result.source == mask_password(shop) and result.spec_out == spec and result.warnings == []
    document = valid_document(to_json(result), "scaffold-from-db")
    assert document["spec_out"] == str(spec) and document["framework"] == "koa"


def test_regeneration_keeps_handlers_and_reports_what_the_database_added(shop: str, tmp_path: Path) -> None:
    out = tmp_path / "api"
    run_from_db(FromDbOptions(shop, out))
    handler = out / "handlers" / "products.ts"
    mine = handler.read_bytes() + b"// my change \xe2\x9c\x93\n"
    handler.write_bytes(mine)
    with psycopg.connect(shop, autocommit=True) as conn:
        conn.execute("ALTER TABLE products ADD COLUMN colour text; CREATE TABLE tags (name text PRIMARY KEY)")
    result = run_from_db(FromDbOptions(shop, out))
    assert handler.read_bytes() == mine and "handlers/products.ts" in result.files.kept
    assert "POST /tags createTags" in result.files.added_operations and result.files.removed_operations == []
    assert "handlers/tags.ts" in result.files.created and "types.ts" in result.files.updated
    assert '"colour"' in (out / "types.ts").read_text()
    valid_document(to_json(result), "scaffold-from-db")


def test_dry_and_refused_runs_write_neither_project_nor_spec(shop: str, tmp_path: Path) -> None:
    out, spec = tmp_path / "api", tmp_path / "openapi.yaml"
    dry = run_from_db(FromDbOptions(shop, out, "fastify", spec_out=spec, dry_run=True))
    assert not out.exists() and not spec.exists()
    assert dry.dry_run and "db.ts" in dry.files.created
    valid_document(to_json(dry), "scaffold-from-db")
    run_from_db(FromDbOptions(shop, out, "fastify"))
    (out / "db.ts").write_text("// edited\n")
    with pytest.raises(Refused, match=r"edited since the last run: db\.ts"):
        run_from_db(FromDbOptions(shop, out, "fastify", spec_out=spec))
    assert not spec.exists() and (out / "db.ts").read_text() == "// edited\n"


def test_failures_are_typed_errors_with_the_password_masked(shop: str, tmp_path: Path) -> None:
    secret = "postgresql://app:hunter2secret@127.0.0.1:1/shop"
    with pytest.raises(Unreachable) as unreachable:
        run_from_db(FromDbOptions(secret, tmp_path / "api"))
    assert "hunter2secret" not in str(unreachable.value) and "app:***@" in str(unreachable.value)
    with pytest.raises(BadInput, match="--include names no selected table or view: nope"):
        run_from_db(FromDbOptions(shop, tmp_path / "api", include=("nope",)))
    assert not (tmp_path / "api").exists()
