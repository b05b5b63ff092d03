"""Generated projects, against real Node: they type-check under --strict, boot, answer every
operation with a response valid against the spec, and reject invalid requests with the 400 format."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import build_model
from tests.scaffold.calls import valid_call
from tests.scaffold.conftest import BASE_PATHS, FRAMEWORKS, SPECS

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_output_compiles_with_tsc_strict(framework: str, typechecked: dict) -> None:
    result = typechecked[framework]
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "excessively deep" not in result.stdout


@pytest.mark.parametrize("spec", list(SPECS))
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_operation_answers_a_valid_request_per_spec(framework: str, spec: str, server) -> None:
    model = build_model(load_openapi(SPECS[spec]))
    examples = Examples(model.schemas)
    booted = server(framework, spec)
    base = booted.base_url + BASE_PATHS.get(spec, "")
    with httpx.Client(timeout=10) as client:
        for op in model.operations:
            response = valid_call(op, examples).send(client, base)
            expected = op.success
            assert response.status_code == int(expected.status), (op.operation_id, response.text)
            if expected.schema is not None:
                body = response.json()
                assert examples.is_valid(expected.schema, body), (op.operation_id, body)
            else:
                assert response.content == b""
            assert response.headers.get("x-request-id")


def _error(response: httpx.Response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    return body["error"]


def _fields(error: dict) -> set[str]:
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] and all(set(d) == {"field", "message"} for d in error["details"])
    return {detail["field"] for detail in error["details"]}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_invalid_requests_get_400_with_field_details(framework: str, server) -> None:
    base = server(framework, "features31").base_url + "/api/v1"
    cat = {"petType": "cat", "name": "Tom", "lives": 3}
    with httpx.Client(base_url=base, timeout=10) as client:
        assert _fields(_error(client.get("/pets", params={"limit": "abc"}))) == {"query.limit"}
        assert _fields(_error(client.get("/pets", params={"limit": "51"}))) == {"query.limit"}
        assert _fields(_error(client.get("/pets", params={"sort": "size"}))) == {"query.sort"}
        assert _fields(_error(client.get("/pets", headers={"cookie": "session=ab"}))) == {"cookies.session"}
        assert client.get("/pets", params={"limit": "7", "tags": "a", "verbose": "true"}).status_code == 200
        assert _fields(_error(client.get("/pets/0"))) == {"path.petId"}
        assert client.post("/pets", json=cat).status_code == 201
        missing = {k: v for k, v in cat.items() if k != "lives"}
        assert _fields(_error(client.post("/pets", json=missing)))
        assert client.post("/pets", json={"petType": "dog", "name": "Rex", "bark": "loud"}).status_code == 201
        assert _error(client.post("/pets", json={"petType": "dog", "name": "Rex", "bark": "meow"}))
        # JSON bodies are never coerced: "5" is not a number, and unknown keys are rejected when closed.
        assert _fields(_error(client.put("/pets/1/weight", json={"kg": "5"}))) == {"body.kg"}
        assert _fields(_error(client.put("/pets/1/weight", json={"kg": 0}))) == {"body.kg"}
        assert _error(client.put("/pets/1/weight", json={"kg": 5, "extra": 1}))
        assert _error(client.put("/pets/1/weight", json={"kg": 5, "unit": "lb"}))
        assert client.put("/pets/1/weight", json={"kg": 5, "unit": "kg"}).status_code == 204
        assert _error(
            client.put("/pets/1/weight", content=b"{oops", headers={"content-type": "application/json"})
        )
        # Recursive schema: a deep child is validated too.
        tree = {"value": "root", "children": [{"value": "a", "children": [{"value": "x" * 30}]}]}
        fields = _fields(_error(client.post("/trees", json=tree)))
        assert any(field.startswith("body.children.0.children.0.value") for field in fields), fields
        tree["children"][0]["children"][0]["value"] = "ok"
        assert client.post("/trees", json={**tree, "parent": None}).status_code == 200
        # readOnly properties are required in responses, never in requests (petId below).
        owner = {"ownerName": "Ann", "status": 2}
        replaced = client.put("/pets/3", json=owner)
        assert replaced.status_code == 200 and "petId" in replaced.json()
        assert client.put("/pets/3", json={**owner, "petId": 3}).status_code == 200
        assert _fields(_error(client.put("/pets/3", json={"ownerName": "Ann"}))) == {"body.status"}
        # An optional body may be absent; when present it is validated (additionalProperties: integer).
        assert client.put("/settings").status_code == 200
        assert client.put("/settings", json={"retries": 2}).status_code == 200
        assert _fields(_error(client.put("/settings", json={"retries": "two"}))) == {"body.retries"}
        assert _error(client.put("/settings", content=b"null", headers={"content-type": "application/json"}))
        # Forms are text on the wire: numbers and booleans are parsed as the spec says, garbage is not.
        form = {"email": "a@example.com", "age": "42", "subscribe": "true"}
        assert client.post("/forms/contact", data=form).json() == {"received": True}
        assert _fields(_error(client.post("/forms/contact", data={**form, "age": "old"}))) == {"body.age"}
        assert _fields(_error(client.post("/forms/contact", data={"age": "3"}))) == {"body.email"}
        upload = client.post("/forms/upload", files={"file": ("a.txt", b"abc"), "title": (None, "doc")})
        assert upload.status_code == 201, upload.text
        bad = client.post("/forms/upload", files={"title": (None, "doc"), "copies": (None, "99")})
        assert _fields(_error(bad)) == {"body.copies"}
        # Unknown paths get the JSON 404; routes live under the server URL's base path, exactly once.
        assert _error(client.get("/nowhere"), 404)["code"] == "NOT_FOUND"
        assert _error(client.get("/api/v1/pets"), 404)["code"] == "NOT_FOUND"
        root = server(framework, "features31").base_url
        assert httpx.get(root + "/pets", timeout=10).status_code == 404
        assert client.get("/pets", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_openapi_30_nullable_exclusive_and_default_responses(framework: str, server) -> None:
    base = server(framework, "features30").base_url
    with httpx.Client(base_url=base, timeout=10) as client:
        patch = {"nickname": None, "kind": None, "balance": 10}
        headers = {"content-type": "application/merge-patch+json"}
        assert client.patch("/accounts/acc_abcd1", content=_json(patch), headers=headers).status_code == 200
        zero = _json({"balance": 0})
        assert _fields(_error(client.patch("/accounts/acc_abcd1", content=zero, headers=headers))) == {
            "body.balance"
        }
        assert _fields(_error(client.get("/accounts/nope"))) == {"path.accountId"}
        assert client.post("/shapes", json={"kind": "square", "side": 2}).status_code == 201
        assert _error(client.post("/shapes", json={"kind": "square", "radius": 2}))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_swagger2_arrays_and_forms(framework: str, server) -> None:
    base = server(framework, "swagger2").base_url + "/v1"
    with httpx.Client(base_url=base, timeout=10) as client:
        # collectionFormat: csv -> style form, explode false: one value, split on commas.
        assert client.get("/pets", params={"tags": "a,b", "limit": "100"}).status_code == 200
        assert _fields(_error(client.get("/pets", params={"limit": "101"}))) == {"query.limit"}
        assert _fields(_error(client.post("/pets/7", data={"status": "lost"}))) >= {
            "body.name",
            "body.status",
        }
        assert client.post("/pets/7", data={"name": "Rex", "status": "sold"}).status_code == 200
        assert _error(client.post("/pets", json={"id": "one", "name": "Rex"}))
        assert client.put("/pets/bulk", json=[{"name": "a"}, {"name": "b", "tag": None}]).status_code == 204


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_hostile_spec_serves_and_escapes(framework: str, server, generated: dict[str, Path]) -> None:
    booted = server(framework, "hostile")
    with httpx.Client(base_url=booted.base_url, timeout=10) as client:
        item = client.get("/items/5/")
        assert item.status_code == 200
        assert item.json()["${inject}"] == "`${process.exit(1)}`"
        assert item.json()["__proto__"] == "x"
        assert _fields(_error(client.get("/items/5/", params={'q"uote': "zz"}))) == {'query.q"uote'}
        assert client.get("/items/5/", params={'q"uote': "${e}"}).status_code == 200
        assert client.post("/items", json={"code": "123456"}).status_code == 201
        # Spec patterns are ECMA-262 regexes: one valid only in legacy mode (`\-`) works, one valid only
        # in unicode mode (`\p{Lu}`) works, one valid in neither is not checked; the server stays up.
        assert client.get("/signed", params={"n": "-12"}).status_code == 200
        assert _fields(_error(client.get("/signed", params={"n": "1.5"}))) == {"query.n"}
        assert client.get("/signed", params={"upper": "ÄB"}).status_code == 200
        assert _fields(_error(client.get("/signed", params={"upper": "ab"}))) == {"query.upper"}
        assert client.get("/signed", params={"broken": "anything"}).status_code == 200
        # Wrong-typed keywords (minLength: true, minimum: "1") are ignored; the well-typed ones still hold.
        assert client.get("/signed", params={"short": ""}).status_code == 200
        assert _fields(_error(client.get("/signed", params={"short": "abcd"}))) == {"query.short"}
        assert client.get("/signed", params={"count": "0"}).status_code == 200
        assert _fields(_error(client.get("/signed", params={"count": "10"}))) == {"query.count"}
        # `required: ok` (a string) requires nothing, not the keys "o" and "k".
        assert client.post("/signed", json={}).status_code == 201
    assert booted.process.poll() is None
    root = generated[framework] / "hostile"
    names = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.ts") if "node_modules" not in p.parts
    )
    assert all(part.replace("-", "").replace("/", "").replace(".", "").isalnum() for part in names), names
    assert not list(generated[framework].parent.glob("**/etc/evil*"))


def _json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()
