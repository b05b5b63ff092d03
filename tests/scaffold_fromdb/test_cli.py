"""The `--from-db` command line: the spec it writes, schema/include/exclude selection, and bad input
(unreachable database exit 4 with the password masked, no tables exit 2, unknown --include exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import build_model
from tests.scaffold_fromdb.conftest import SHOP_SQL, Generated, scaffold

pytestmark = [pytest.mark.pg]


def _shop(make_database: Callable[[], str]) -> str:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SHOP_SQL.read_text())
    return url


def test_spec_out_is_the_model_of_the_generated_api(generated: dict[str, Generated]) -> None:
    project = generated["express"]
    document = load_openapi(project.spec)
    model = build_model(document)
    assert not model.warnings
    operations = {(op.method, op.path) for op in model.operations}
    assert operations == {
        *(
            ("get", p)
            for p in ("/customers", "/products", "/orders", "/order_items", "/odd-table", "/order_totals")
        ),
        *(("post", p) for p in ("/customers", "/products", "/orders", "/order_items", "/odd-table")),
        *(
            ("post", p + "/batch")
            for p in ("/customers", "/products", "/orders", "/order_items", "/odd-table")
        ),
        *(
            (method, p)
            for p in (
                "/customers/{id}",
                "/products/{sku}",
                "/orders/{id}",
                "/order_items/{order_id}/{line_no}",
                "/odd-table/{key}",
            )
            for method in ("get", "patch", "put", "delete")
        ),
    }
    schemas = document.root["components"]["schemas"]
    create = schemas["CustomersCreate"]
    # identity and now() are server-set: never in a request; a constant default makes a column optional
    assert set(create["properties"]) == {"email", "name", "tier", "profile", "tags"}
    assert create["required"] == ["email", "name"] and create["additionalProperties"] is False
    assert create["properties"]["tier"]["enum"] == ["basic", "gold", "platinum"]  # CHECK (tier IN (...))
    assert create["properties"]["name"] == {"type": "string", "maxLength": 80}
    assert create["properties"]["tags"] == {"type": "array", "items": {"type": ["string", "null"]}}
    row = schemas["Customers"]["properties"]
    assert row["id"] == {"type": "string", "pattern": "^-?[0-9]{1,19}$"}  # bigint as text
    assert row["created_at"] == {"type": "string", "format": "date-time"}
    assert row["profile"] == {}  # jsonb: any JSON value
    assert schemas["Orders"]["properties"]["status"]["enum"] == ["pending", "paid", "shipped"]
    assert schemas["Orders"]["properties"]["note"]["type"] == ["string", "null"]
    items = schemas["OrderItemsCreate"]["properties"]
    assert "total" not in items  # generated column
    assert items["quantity"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert items["line_no"]["exclusiveMinimum"] == 0
    assert schemas["Products"]["properties"]["released_on"] == {"type": ["string", "null"], "format": "date"}
    list_orders = document.root["paths"]["/orders"]["get"]
    filters = {p["name"] for p in list_orders["parameters"]} - {"limit", "offset", "sort"}
    assert filters == {"id", "customer_id", "status"}  # indexed columns only (note is not indexed)
    assert schemas["Customers"]["description"] == "People who order"


def test_schema_include_and_exclude_select_resources(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    url = _shop(make_database)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id serial PRIMARY KEY, amount numeric);"
            "CREATE TABLE billing.events (at timestamptz, payload jsonb)"
        )

    def paths(*args: str) -> set[str]:
        result = scaffold("--from-db", url, "-o", str(tmp_path / "out"), "--dry-run", "--json", *args)
        assert result.exit_code == 0, result.output
        operations = json.loads(result.stdout)["operations"]
        return {op["path"] for op in operations if op["method"] == "GET" and "{" not in op["path"]}

    assert paths() == {"/customers", "/products", "/orders", "/order_items", "/odd-table", "/order_totals"}
    assert paths("--schema", "billing") == {"/billing/invoices", "/billing/events"}
    result = scaffold(
        "--from-db", url, "-o", str(tmp_path / "out"), "--dry-run", "--json", "--schema", "billing"
    )
    report = json.loads(result.stdout)
    assert {(op["method"], op["path"]) for op in report["operations"] if "events" in op["path"]} == {
        ("GET", "/billing/events"),
        ("POST", "/billing/events"),
        ("POST", "/billing/events/batch"),
    }
    assert [w["rule"] for w in report["warnings"]] == ["no-primary-key"]
    assert paths(
        "--schema", "public", "--schema", "billing", "--include", "billing.invoices", "--include", "orders"
    ) == {
        "/billing/invoices",
        "/orders",
    }
    excluded = paths("--exclude", "order_items", "--exclude", "order_totals", "--exclude", 'odd "table"')
    assert excluded == {"/customers", "/products", "/orders"}
    assert not (tmp_path / "out").exists()  # dry run


def test_unreachable_database_exits_4_with_masked_password(run_tool, tmp_path: Path) -> None:
    url = "postgresql://app:hunter2secret@127.0.0.1:1/shop"
    result = run_tool("api_scaffolder", "--from-db", url, "-o", str(tmp_path / "out"))
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("error: cannot connect to postgresql://app:***@127.0.0.1:1/shop")
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_database_without_tables_exits_2(run_tool, pg_url: str, tmp_path: Path) -> None:
    result = run_tool("api_scaffolder", "--from-db", pg_url, "-o", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: no tables or views in schema(s) public of ")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_unknown_include_and_missing_source_exit_2(
    make_database: Callable[[], str], run_tool, tmp_path: Path
) -> None:
    url = _shop(make_database)
    result = run_tool("api_scaffolder", "--from-db", url, "--include", "nope", "-o", str(tmp_path / "out"))
    assert (
        result.returncode == 2 and "error: --include names no selected table or view: nope" in result.stderr
    )
    result = run_tool("api_scaffolder", "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.startswith(
        "error: give an OpenAPI file, or --from-db URL"
    )
    result = run_tool("api_scaffolder", "openapi.yaml", "--spec-out", "x.yaml", "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "need --from-db" in result.stderr
    result = run_tool("api_scaffolder", "openapi.yaml", "--from-db", url, "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "not both" in result.stderr


def test_regeneration_keeps_handlers_and_reports_new_operations(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    url = _shop(make_database)
    out = tmp_path / "out"
    assert scaffold("--from-db", url, "-o", str(out)).exit_code == 0
    handler = out / "handlers" / "products.ts"
    handler.write_text(handler.read_text() + "// my change\n")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE products ADD COLUMN colour text; CREATE TABLE tags (name text PRIMARY KEY)")
    result = scaffold("--from-db", url, "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "handlers/products.ts" in report["files"]["kept"] and handler.read_text().endswith(
        "// my change\n"
    )
    assert "POST /tags createTags" in report["files"]["added_operations"]
    assert '"colour"' in (out / "types.ts").read_text()  # derived files follow the database
