"""Request body media types of a recovered spec: multipart bodies (our generated code; multer,
@koa/multer, koa-body, @fastify/multipart, file reads) come back as `multipart/form-data` with their
file fields `format: binary`; a JSON Patch (or other `+json`) type the route declares comes back as
declared; response types the route sets are not mistaken for request types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scaffold.conftest import FRAMEWORKS
from tests.scaffold_tospec.conftest import recovered_from, validated_document

BINARY = {"type": "string", "format": "binary"}


def _bodies(document: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """`METHOD path` -> the request body (None without one)."""
    return {
        f"{method.upper()} {path}": operation.get("requestBody")
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _media(document: dict[str, Any]) -> dict[str, list[str]]:
    """`METHOD path` -> the request body's media types, for operations with a body."""
    return {key: list(body["content"]) for key, body in _bodies(document).items() if body is not None}


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_multipart_bodies_come_back_as_multipart_with_binary_files(
    untagged: dict[str, tuple[Path, Path]], framework: str
) -> None:
    document = validated_document(untagged[framework][1])
    assert _media(document) == {
        "POST /pets": ["multipart/form-data"],
        "PATCH /pets/{petId}": ["application/json-patch+json"],  # the types its 415 check lists
        "PUT /pets/{petId}/form": ["application/x-www-form-urlencoded"],
        "POST /pets/{petId}/notes": ["multipart/form-data"],  # a JSON part only
    }
    upload = document["paths"]["/pets"]["post"]["requestBody"]
    assert upload["required"] is True
    properties = upload["content"]["multipart/form-data"]["schema"]["properties"]
    assert properties["photo"] == BINARY
    assert properties["extra"] == {"type": "array", "items": BINARY}
    assert properties["name"] == {"type": "string"}
    assert properties["meta"]["type"] == "object"


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_round_trip_upload_of_the_test_spec_is_multipart(
    round_trip: dict[tuple[str, str], Path], framework: str
) -> None:
    document = validated_document(round_trip[(framework, "features31")])
    media = _media(document)
    assert media["POST /forms/upload"] == ["multipart/form-data"]
    assert media["POST /forms/contact"] == ["application/x-www-form-urlencoded"]
    schema = document["paths"]["/forms/upload"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    assert schema["properties"]["file"] == BINARY


EXPRESS = {
    "app.js": """
const express = require("express");
const multer = require("multer");
const { z } = require("zod");

const app = express();
const upload = multer({ dest: "uploads/" });
const validate = (schema) => (req, res, next) => next();
const ProfileSchema = z.object({ name: z.string(), avatar: z.any().optional() });

app.post("/avatar", upload.single("avatar"), (req, res) => res.json({ size: req.file.size }));
app.post("/gallery", upload.array("photos", 12), (req, res) => res.json({ n: req.files.length }));
app.post(
  "/profile",
  upload.fields([{ name: "avatar", maxCount: 1 }, { name: "gallery", maxCount: 8 }]),
  validate(ProfileSchema),
  (req, res) => res.json({}),
);
app.post("/text-only", upload.none(), (req, res) => res.json(req.body));
app.post("/import", (req, res) => {
  const { data } = req.files;
  res.json({ name: data.name, more: req.files["extra"] });
});
app.patch("/pets/:id", express.json({ type: "application/json-patch+json" }), (req, res) => res.json(req.body));
app.patch("/docs/:id", (req, res) => {
  if (!req.is("application/merge-patch+json")) return res.sendStatus(415);
  res.type("application/problem+json").json({});
});
app.post("/plain", express.json(), validate(ProfileSchema), (req, res) => {
  res.set("content-type", "application/hal+json").json({});
});
""",
}


@pytest.mark.quick
def test_express_multer_file_reads_and_declared_patch_types(tmp_path: Path) -> None:
    bodies = _bodies(recovered_from(EXPRESS, tmp_path)[0])
    form = "multipart/form-data"
    assert bodies["POST /avatar"] == {
        "required": False,
        "content": {form: {"schema": {"type": "object", "properties": {"avatar": BINARY}}}},
    }
    assert bodies["POST /gallery"] == {
        "required": False,
        "content": {
            form: {
                "schema": {
                    "type": "object",
                    "properties": {"photos": {"type": "array", "items": BINARY, "maxItems": 12}},
                }
            }
        },
    }
    assert bodies["POST /profile"] == {  # the validated fields, with the files multer reads
        "required": True,
        "content": {
            form: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "avatar": BINARY,
                        "gallery": {"type": "array", "items": BINARY, "maxItems": 8},
                    },
                    "required": ["name"],
                }
            }
        },
    }
    assert bodies["POST /text-only"] == {"required": False, "content": {form: {"schema": {"type": "object"}}}}
    assert bodies["POST /import"] == {  # express-fileupload: req.files.<field>
        "required": False,
        "content": {form: {"schema": {"type": "object", "properties": {"data": BINARY, "extra": BINARY}}}},
    }
    assert bodies["PATCH /pets/{id}"] == {
        "required": False,
        "content": {"application/json-patch+json": {"schema": {}}},
    }
    assert bodies["PATCH /docs/{id}"] == {
        "required": False,
        "content": {"application/merge-patch+json": {"schema": {}}},
    }
    assert bodies["POST /plain"] == {  # the response's content type is not the request's
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}},
    }


FASTIFY = {
    "server.ts": """
import Fastify from "fastify";
import multipart from "@fastify/multipart";

const app = Fastify();
app.register(multipart);
const Patch = { type: "array", items: { type: "object", required: ["op", "path"] } } as const;

app.post("/upload", async (request) => {
  const data = await request.file();
  return { name: data?.filename };
});
app.post(
  "/documents",
  {
    schema: {
      consumes: ["multipart/form-data"],
      body: { type: "object", required: ["title"], properties: { title: { type: "string" }, file: { isFile: true } } },
    },
  },
  async () => ({}),
);
app.post(
  "/scans",
  { schema: { body: { type: "object", properties: { scan: { type: "string", format: "binary" } } } } },
  async () => ({}),
);
app.patch("/items/:id", { schema: { consumes: ["application/json-patch+json"], body: Patch } }, async () => ({}));
app.patch(
  "/things/:id",
  { schema: { body: { content: { "application/merge-patch+json": { schema: { type: "object" } } } } } },
  async () => ({}),
);
app.post("/json", { schema: { body: { type: "object", properties: { a: { type: "string" } } } } }, async () => ({}));
""",
}


@pytest.mark.quick
def test_fastify_multipart_consumes_file_schemas_and_body_content(tmp_path: Path) -> None:
    bodies = _bodies(recovered_from(FASTIFY, tmp_path)[0])
    form = "multipart/form-data"
    assert bodies["POST /upload"] == {"required": False, "content": {form: {"schema": {"type": "object"}}}}
    assert bodies["POST /documents"] == {
        "required": True,
        "content": {
            form: {
                "schema": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {"title": {"type": "string"}, "file": BINARY},
                }
            }
        },
    }
    assert bodies["POST /scans"] == {
        "required": True,
        "content": {form: {"schema": {"type": "object", "properties": {"scan": BINARY}}}},
    }
    assert bodies["PATCH /items/{id}"] == {
        "required": True,
        "content": {
            "application/json-patch+json": {
                "schema": {"type": "array", "items": {"type": "object", "required": ["op", "path"]}}
            }
        },
    }
    assert bodies["PATCH /things/{id}"] == {
        "required": True,
        "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
    }
    assert list(bodies["POST /json"]["content"]) == ["application/json"]


KOA = {
    "app.ts": """
import Koa from "koa";
import Router from "@koa/router";
import multer from "@koa/multer";
import { koaBody } from "koa-body";

const app = new Koa();
const router = new Router();
const upload = multer();

router.post("/avatar", upload.single("avatar"), async (ctx) => {
  ctx.body = { size: ctx.file.size };
});
router.post("/attachments", koaBody({ multipart: true }), async (ctx) => {
  const { report } = ctx.request.files ?? {};
  ctx.body = { report };
});
router.patch("/pets/:id", koaBody(), async (ctx) => {
  if (!ctx.is("application/json-patch+json")) ctx.throw(415);
  ctx.type = "application/problem+json";
});
router.put("/docs/:id", async (ctx) => {
  if (ctx.request.headers["content-type"] !== "application/merge-patch+json") ctx.throw(415);
  ctx.body = {};
});
app.use(router.routes());
""",
}


@pytest.mark.quick
def test_koa_multer_koa_body_and_declared_patch_types(tmp_path: Path) -> None:
    bodies = _bodies(recovered_from(KOA, tmp_path)[0])
    form = "multipart/form-data"
    assert bodies["POST /avatar"] == {
        "required": False,
        "content": {form: {"schema": {"type": "object", "properties": {"avatar": BINARY}}}},
    }
    assert bodies["POST /attachments"] == {
        "required": False,
        "content": {form: {"schema": {"type": "object", "properties": {"report": BINARY}}}},
    }
    assert bodies["PATCH /pets/{id}"] == {
        "required": False,
        "content": {"application/json-patch+json": {"schema": {}}},
    }
    assert bodies["PUT /docs/{id}"] == {
        "required": False,
        "content": {"application/merge-patch+json": {"schema": {}}},
    }
