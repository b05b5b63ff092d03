"""Generated database APIs against real Node and PostgreSQL: tsc --strict, boot, and every
operation over HTTP, including the error answers and an SQL injection attempt that changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import build_model
from tests.scaffold_fromdb.conftest import FRAMEWORKS, Generated

pytestmark = [pytest.mark.node, pytest.mark.pg, pytest.mark.slow]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_api_compiles_with_tsc_strict(framework: str, typechecked: dict) -> None:
    result = typechecked[framework]
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


class Api:
    """An httpx client plus the model's schemas, to check every answer against the spec."""

    def __init__(self, client: httpx.Client, project: Generated) -> None:
        self.client = client
        self.examples = Examples(build_model(load_openapi(project.spec)).schemas)

    def ok(self, method: str, path: str, status: int, schema: str | None = None, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        if status == 204:
            assert response.content == b""
            return None
        body = response.json()
        if schema is not None:
            ref = {"$ref": f"#/components/schemas/{schema}"}
            assert self.examples.is_valid(ref, body), (schema, body)
        return body

    def error(self, method: str, path: str, status: int, code: str, **kwargs: Any) -> dict[str, Any]:
        body = self.ok(method, path, status, "ErrorResponse", **kwargs)
        assert body["error"]["code"] == code, body
        return body["error"]


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_operation_over_http(framework: str, server, generated: dict[str, Generated]) -> None:
    project = generated[framework]
    booted = server(framework)
    with httpx.Client(base_url=booted.base_url, timeout=10) as client:
        api = Api(client, project)
        # create: server-set columns (identity, now()) are filled in; defaults apply; jsonb and arrays round-trip
        ann = api.ok(
            "POST",
            "/customers",
            201,
            "Customers",
            json={
                "email": "ann@example.com",
                "name": "Ann",
                "profile": {"vip": True, "n": [1, 2]},
                "tags": ["a", "b"],
            },
        )
        assert (
            ann["tier"] == "basic"
            and ann["profile"] == {"vip": True, "n": [1, 2]}
            and ann["tags"] == ["a", "b"]
        )
        assert isinstance(ann["id"], str) and ann["created_at"][:2] == "20"
        # 400 from the model's validators, in the project's error format
        invalid = api.error("POST", "/customers", 400, "VALIDATION_ERROR", json={"email": "x@example.com"})
        assert {d["field"] for d in invalid["details"]} == {"body.name"}
        assert api.error(
            "POST",
            "/customers",
            400,
            "VALIDATION_ERROR",
            json={"email": "y@e.com", "name": "Y", "tier": "silver"},
        )
        assert api.error(
            "POST", "/customers", 400, "VALIDATION_ERROR", json={"id": "7", "email": "z@e.com", "name": "Z"}
        )
        # 409 on a unique violation (23505), naming the column
        conflict = api.error(
            "POST", "/customers", 409, "CONFLICT", json={"email": "ann@example.com", "name": "Again"}
        )
        assert conflict["details"] == [{"field": "body.email", "message": "already exists"}]
        for index in range(4):
            api.ok(
                "POST",
                "/customers",
                201,
                "Customers",
                json={"email": f"c{index}@example.com", "name": f"C{index}", "tier": "gold"},
            )
        # read and 404
        assert api.ok("GET", f"/customers/{ann['id']}", 200, "Customers") == ann
        assert api.error("GET", "/customers/999999", 404, "NOT_FOUND")
        assert api.error("GET", "/customers/not-a-number", 400, "VALIDATION_ERROR")
        # list: limit/offset pagination, sort whitelist, filter on an indexed column
        first = api.ok("GET", "/customers", 200, "CustomersPage", params={"limit": 2})
        assert [c["email"] for c in first["items"]] == ["ann@example.com", "c0@example.com"] and first[
            "nextOffset"
        ] == 2
        rest = api.ok("GET", "/customers", 200, "CustomersPage", params={"limit": 10, "offset": 2})
        assert len(rest["items"]) == 3 and rest["nextOffset"] is None
        backwards = api.ok("GET", "/customers", 200, "CustomersPage", params={"sort": "-id", "limit": 1})
        assert backwards["items"][0]["email"] == "c3@example.com"
        assert api.error("GET", "/customers", 400, "VALIDATION_ERROR", params={"sort": "name"})
        assert api.error("GET", "/customers", 400, "VALIDATION_ERROR", params={"limit": 101})
        found = api.ok("GET", "/customers", 200, "CustomersPage", params={"email": "c1@example.com"})
        assert [c["name"] for c in found["items"]] == ["C1"]
        # SQL injection through a filter value: matches nothing, changes nothing
        before = _count(project.url, "customers")
        for attack in ("x' OR '1'='1", "'; DROP TABLE customers; --", 'c1@example.com" OR 1=1 --'):
            assert api.ok("GET", "/customers", 200, "CustomersPage", params={"email": attack})["items"] == []
        assert _count(project.url, "customers") == before == 5
        # several writes in one request run in one transaction: every row or none
        batch = [{"email": "d1@example.com", "name": "D1"}, {"email": "ann@example.com", "name": "Dup"}]
        assert api.error("POST", "/customers/batch", 409, "CONFLICT", json=batch)
        assert _count(project.url, "customers") == 5
        made = api.ok(
            "POST", "/customers/batch", 201, json=[batch[0], {"email": "d2@example.com", "name": "D2"}]
        )
        assert [c["email"] for c in made] == ["d1@example.com", "d2@example.com"] and made[0][
            "tier"
        ] == "basic"
        assert _count(project.url, "customers") == 7
        assert api.error("POST", "/customers/batch", 400, "VALIDATION_ERROR", json=[])
        # related rows: foreign keys (422 on a missing parent), an enum, a composite primary key
        product = api.ok(
            "POST", "/products", 201, "Products", json={"sku": "pen", "title": "Pen", "price": "1.50"}
        )
        assert product["stock"] == 0 and product["released_on"] is None
        days = {"sale_days": ["2024-05-01", None], "restocked_at": ["2024-05-01T10:00:00+02:00"]}
        dated = api.ok("PATCH", "/products/pen", 200, "Products", json=days)
        assert dated["sale_days"] == ["2024-05-01", None]
        assert dated["restocked_at"] == ["2024-05-01T08:00:00+00:00"]
        order = api.ok("POST", "/orders", 201, "Orders", json={"customer_id": ann["id"]})
        assert order["status"] == "pending" and order["placed_at"].endswith("Z")
        missing = api.error("POST", "/orders", 422, "FOREIGN_KEY_VIOLATION", json={"customer_id": "424242"})
        assert missing["details"] == [
            {"field": "body.customer_id", "message": "must reference an existing row"}
        ]
        line = {"order_id": order["id"], "line_no": 1, "sku": "pen", "quantity": 3, "unit_price": "1.50"}
        item = api.ok("POST", "/order_items", 201, "OrderItems", json=line)
        assert item["total"] == "4.50"
        assert api.error("POST", "/order_items", 409, "CONFLICT", json=line)
        assert api.error(
            "POST", "/order_items", 400, "VALIDATION_ERROR", json={**line, "line_no": 2, "quantity": 0}
        )
        assert api.ok("GET", f"/order_items/{order['id']}/1", 200, "OrderItems") == item
        assert api.error("GET", f"/order_items/{order['id']}/2", 404, "NOT_FOUND")
        # update: PATCH changes only what is sent; PUT replaces (omitted columns back to their default)
        paid = api.ok(
            "PATCH", f"/orders/{order['id']}", 200, "Orders", json={"status": "paid", "note": "gift"}
        )
        assert (paid["status"], paid["note"], paid["customer_id"]) == ("paid", "gift", ann["id"])
        assert api.error("PATCH", f"/orders/{order['id']}", 400, "VALIDATION_ERROR", json={"status": "lost"})
        assert api.error("PATCH", f"/orders/{order['id']}", 400, "VALIDATION_ERROR", json={})
        assert api.error("PATCH", "/orders/999999", 404, "NOT_FOUND", json={"note": "x"})
        api.ok("PATCH", "/products/pen", 200, "Products", json={"stock": 7})
        replaced = api.ok(
            "PUT", "/products/pen", 200, "Products", json={"title": "Blue pen", "price": "2.00"}
        )
        assert (replaced["title"], replaced["stock"]) == ("Blue pen", 0)
        assert api.error(
            "PUT", "/products/pen", 422, "CHECK_VIOLATION", json={"title": "Pen", "price": "-1.00"}
        )
        # the view is read-only: list works, writes do not exist
        totals = api.ok("GET", "/order_totals", 200, "OrderTotalsPage")
        assert [(t["order_id"], t["amount"]) for t in totals["items"]] == [(order["id"], "4.50")]
        assert api.error("POST", "/order_totals", 404, "NOT_FOUND", json={})
        # delete: 204, then 404; a still-referenced row is a 409
        assert api.error("DELETE", "/products/pen", 409, "STILL_REFERENCED")
        api.ok("DELETE", f"/order_items/{order['id']}/1", 204)
        assert api.error("DELETE", f"/order_items/{order['id']}/1", 404, "NOT_FOUND")
        api.ok("DELETE", "/products/pen", 204)
        assert _count(project.url, "products") == 0
        # hostile identifiers (quotes, a keyword, a comment terminator) are quoted in SQL and escaped in TS;
        # a key with a slash travels percent-encoded in the path
        odd = {"key": "a/b'c", 'we"ird */ col': 5}
        created = api.ok("POST", "/odd-table", 201, "OddTable", json=odd)
        assert created == {**odd, "select": False}
        assert api.ok("GET", "/odd-table/a%2Fb'c", 200, "OddTable") == created
        patched = api.ok("PATCH", "/odd-table/a%2Fb'c", 200, "OddTable", json={"select": True})
        assert patched["select"] is True and patched['we"ird */ col'] == 5
