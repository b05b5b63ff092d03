"""Operation ids and tags of a recovered spec: an id the code states is kept, else the handler's
function name, else `camelCase(method + path)`, numbered apart from every other id; `tags` only
where the code gives one (Fastify `schema.tags`, our route module's header, the route file's name)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from senior_backend.scaffold.tospec.opnames import conventional_id
from tests.scaffold.conftest import FRAMEWORKS, generate
from tests.scaffold_tospec.conftest import recover, recovered_from, validated_document

ROUTES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _ids_and_tags(document: dict[str, Any]) -> dict[str, tuple[str, list[str] | None]]:
    """`METHOD path` -> (operationId, tags or None when the operation has no `tags`)."""
    return {
        f"{method.upper()} {path}": (operation["operationId"], operation.get("tags"))
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


@pytest.mark.quick
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/pets", "getPets"),
        ("delete", "/pets/{petId}", "deletePetsPetId"),
        ("get", "/users/{id}/posts/{post_id}", "getUsersIdPostsPostId"),
        ("put", "/a-b/c.json", "putABCJson"),
        ("get", "/", "getRoot"),
    ],
)
def test_conventional_id_is_camel_case_of_method_and_path(method: str, path: str, expected: str) -> None:
    assert conventional_id(method, path) == expected


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_code_of_a_spec_without_ids_gives_conventional_ids_and_its_module_tag(
    untagged: dict[str, tuple[Path, Path]], framework: str
) -> None:
    """The scaffolder names an operation without an id `camelCase(method + path)`; that name comes
    back as its id (not the `get /pets` placeholder); the tag is the route module's (`pets`)."""
    _, recovered = untagged[framework]
    assert _ids_and_tags(validated_document(recovered)) == {
        "GET /pets": ("getPets", ["pets"]),
        "POST /pets": ("postPets", ["pets"]),
        "GET /pets/{petId}": ("getPetsPetId", ["pets"]),
        "DELETE /pets/{petId}": ("deletePetsPetId", ["pets"]),
        "PATCH /pets/{petId}": ("patchPetsPetId", ["pets"]),
        "PUT /pets/{petId}/form": ("putPetsPetIdForm", ["pets"]),
        "POST /pets/{petId}/notes": ("postPetsPetIdNotes", ["pets"]),
    }


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_code_regenerated_from_the_recovered_spec_calls_the_same_handlers(
    untagged: dict[str, tuple[Path, Path]], framework: str, tmp_path: Path
) -> None:
    """The user's handlers/*.ts keep compiling: the recovered ids give the handler names they had."""
    first, recovered = untagged[framework]
    again = generate(recovered, framework, tmp_path / "again")
    assert again.returncode == 0, again.stdout

    def handlers(root: Path) -> set[str]:
        return set(re.findall(r"\bH\.(\w+)\(", (root / "routes" / "pets.ts").read_text()))

    assert handlers(tmp_path / "again") == handlers(first)
    assert len(handlers(first)) == 7


@pytest.mark.quick
def test_express_handler_names_are_ids_and_file_names_are_tags_except_the_app(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    code, stdout, stderr = recover(ROUTES / "express", target)
    assert code == 0, stdout + stderr
    assert _ids_and_tags(validated_document(target)) == {
        "GET /health": ("getHealth", None),  # app.js: the entry point names no group
        "GET /ok-before-error": ("getOkBeforeError", ["broken"]),
        "GET /api/orders": ("getApiOrders", ["orders"]),
        "PATCH /api/orders/{orderId}": ("patchApiOrdersOrderId", ["orders"]),
        "GET /api/users": ("list", ["users"]),
        "POST /api/users": ("create", ["users"]),
        "GET /api/users/me": ("me", ["users"]),
        "GET /api/users/self": ("me2", ["users"]),  # the same handler on two paths
        "DELETE /api/users/{id}": ("remove", ["users"]),
        "PUT /api/users/{id}": ("replace", ["users"]),
        "GET /api/users/{id}": ("show", ["users"]),
        "GET /api/users/{id}/posts/{postId}": ("getApiUsersIdPostsPostId", ["users"]),
    }


@pytest.mark.quick
def test_fastify_autoload_index_files_are_tagged_by_their_folder(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    code, stdout, stderr = recover(ROUTES / "fastify_autoload", target)
    assert code == 0, stdout + stderr
    assert _ids_and_tags(validated_document(target)) == {
        "GET /": ("getRoot", None),  # routes/root.js
        "GET /example": ("getExample", ["example"]),
        "GET /users/{id}": ("getUsersId", ["users"]),
        "GET /admin/ops/stats": ("getAdminOpsStats", ["admin"]),
    }


FASTIFY_IDS = {
    "server.ts": """
import Fastify from "fastify";
import items from "./routes/items.js";

const app = Fastify();
app.get("/", async () => ({ ok: true }));
app.register(items, { prefix: "/items" });
""",
    "routes/items.ts": """
import type { FastifyInstance } from "fastify";

async function removeItem(request: unknown) {
  return request;
}

export default async function items(app: FastifyInstance): Promise<void> {
  app.get("/", { schema: { operationId: "listItems", tags: ["items", "catalog"] } }, async () => []);
  app.get("/:id", { schema: { operationId: "getItem" } }, async () => ({}));
  app.post("/", async () => ({}));
  app.post("/:id", async () => ({}));
  app.delete("/:id", removeItem);
  app.put("/:id", async function replaceItem() {
    return {};
  });
  app.patch("/:id", { schema: { operationId: "postItems" } }, async () => ({}));
  app.head("/:id", { schema: { operationId: "postItems2" } }, async () => ({}));
  app.get("/:id/audit", { schema: { operationId: "get items/{id} audit" } }, async () => ({}));
}
""",
}


@pytest.mark.quick
def test_fastify_stated_ids_and_tags_are_kept_and_ids_made_unique(tmp_path: Path) -> None:
    document, stderr = recovered_from(FASTIFY_IDS, tmp_path)
    assert _ids_and_tags(document) == {
        "GET /": ("getRoot", None),  # server.ts names no group
        "GET /items": ("listItems", ["items", "catalog"]),
        "GET /items/{id}": ("getItem", ["items"]),
        "POST /items": ("postItems3", ["items"]),  # a derived id is numbered apart from the stated ones
        "POST /items/{id}": ("postItemsId", ["items"]),
        "DELETE /items/{id}": ("removeItem", ["items"]),
        "PUT /items/{id}": ("replaceItem", ["items"]),
        "PATCH /items/{id}": ("postItems", ["items"]),
        "HEAD /items/{id}": ("postItems2", ["items"]),
        "GET /items/{id}/audit": ("get items/{id} audit", ["items"]),  # stated: kept as written
    }
    assert "duplicate-operation-id" not in stderr


@pytest.mark.quick
def test_an_id_stated_twice_is_kept_with_a_warning(tmp_path: Path) -> None:
    """A stated id is the source's own (our generated code records the spec's): never renamed."""
    (tmp_path / "server.js").write_text(
        'const app = require("fastify")();\n'
        'app.get("/a", { schema: { operationId: "same" } }, async () => 1);\n'
        'app.get("/b", { schema: { operationId: "same" } }, async () => 2);\n'
        'app.get("/same", async () => 3);\n'
    )
    target = tmp_path / "openapi.yaml"
    code, stdout, stderr = recover(tmp_path / "server.js", target)
    assert code == 0, stdout + stderr
    document = yaml.safe_load(target.read_text())
    assert _ids_and_tags(document) == {
        "GET /a": ("same", None),
        "GET /b": ("same", None),
        "GET /same": ("getSame", None),
    }
    assert f"server.js:3: operationId 'same' is also stated at {tmp_path / 'server.js'}:2" in stderr


@pytest.mark.quick
def test_hand_written_ids_are_identifiers(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    for framework in ("express", "koa", "fastify"):
        code, stdout, stderr = recover(ROUTES / framework, target, "--force")
        assert code == 0, stdout + stderr
        ids = [operation_id for operation_id, _ in _ids_and_tags(validated_document(target)).values()]
        assert all(IDENTIFIER.fullmatch(operation_id) for operation_id in ids), ids
        assert len(set(ids)) == len(ids)


@pytest.mark.quick
def test_koa_route_names_are_ids_and_generic_handler_names_are_not(tmp_path: Path) -> None:
    document, _ = recovered_from(
        {
            "routes/users.ts": """
import Router from "@koa/router";

const router = new Router({ prefix: "/users" });
async function handler(ctx) {
  ctx.body = [];
}
router.get("user-detail", "/:id", async (ctx) => {
  ctx.body = {};
});
router.get("/", handler);
router.delete("/:id", async function removeUser(ctx) {
  ctx.status = 204;
});
export default router;
""",
        },
        tmp_path,
    )
    assert _ids_and_tags(document) == {
        "GET /users/{id}": ("userDetail", ["users"]),  # the route's name
        "GET /users": ("getUsers", ["users"]),  # `handler` names no operation
        "DELETE /users/{id}": ("removeUser", ["users"]),
    }
