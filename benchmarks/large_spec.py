"""Writes a large, realistic OpenAPI 3.0 spec for the scaffolder benchmark (deterministic).

Each resource gets a CRUD set (list with paging/filter/sort, create, get, replace, patch, delete)
plus a sub-collection, shared error/page schemas, enums, nested objects, allOf and oneOf.

    python benchmarks/large_spec.py --resources 60 --output /tmp/large.yaml
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

WORDS = [
    "user",
    "order",
    "invoice",
    "product",
    "cart",
    "payment",
    "shipment",
    "refund",
    "coupon",
    "review",
    "address",
    "warehouse",
    "supplier",
    "category",
    "brand",
    "tag",
    "ticket",
    "comment",
    "attachment",
    "team",
    "project",
    "task",
    "sprint",
    "release",
    "build",
    "deploy",
    "alert",
    "metric",
    "report",
    "dashboard",
    "plan",
    "subscription",
    "seat",
    "license",
    "device",
    "session",
    "token",
    "webhook",
    "event",
    "export",
    "import",
    "job",
    "queue",
    "worker",
    "region",
    "zone",
    "cluster",
    "node",
    "volume",
    "snapshot",
    "backup",
    "policy",
    "role",
    "permission",
    "audit",
]


def _resource_schemas(name: str, pascal: str) -> dict[str, Any]:
    return {
        pascal: {
            "type": "object",
            "required": ["id", "name", "status", "createdAt"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "readOnly": True},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "status": {"$ref": "#/components/schemas/Status"},
                "quantity": {"type": "integer", "minimum": 0, "maximum": 100000},
                "price": {"type": "number", "minimum": 0},
                "labels": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                "owner": {"$ref": "#/components/schemas/Owner"},
                "notes": {"type": "string", "nullable": True},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "createdAt": {"type": "string", "format": "date-time", "readOnly": True},
            },
        },
        f"New{pascal}": {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "quantity": {"type": "integer", "minimum": 0},
                        "channel": {"$ref": "#/components/schemas/Channel"},
                    },
                },
            ]
        },
        f"{pascal}Page": {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{pascal}"}},
                "meta": {"$ref": "#/components/schemas/PageMeta"},
            },
        },
    }


def build(resources: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Status": {"type": "string", "enum": ["draft", "active", "archived"]},
        "Owner": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "email": {"type": "string", "format": "email"}},
        },
        "Base": {"type": "object", "properties": {"externalId": {"type": "string", "maxLength": 64}}},
        "Email": {
            "type": "object",
            "required": ["kind", "address"],
            "properties": {
                "kind": {"type": "string", "enum": ["email"]},
                "address": {"type": "string", "format": "email"},
            },
        },
        "Sms": {
            "type": "object",
            "required": ["kind", "phone"],
            "properties": {
                "kind": {"type": "string", "enum": ["sms"]},
                "phone": {"type": "string", "pattern": "^[+][0-9]{6,15}$", "example": "+15551234567"},
            },
        },
        "Channel": {
            "oneOf": [{"$ref": "#/components/schemas/Email"}, {"$ref": "#/components/schemas/Sms"}],
            "discriminator": {"propertyName": "kind"},
        },
        "PageMeta": {
            "type": "object",
            "required": ["total"],
            "properties": {"total": {"type": "integer"}, "next": {"type": "string", "nullable": True}},
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
    }
    error = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for index in range(resources):
        word = WORDS[index % len(WORDS)] + ("" if index < len(WORDS) else str(index // len(WORDS)))
        pascal = word[:1].upper() + word[1:]
        schemas.update(_resource_schemas(word, pascal))
        ref = {"$ref": f"#/components/schemas/{pascal}"}
        body = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/New{pascal}"}}},
        }

        def ok(schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
            return {
                code: {"description": "ok", "content": {"application/json": {"schema": schema}}},
                "400": error,
            }

        id_param = {
            "name": f"{word}Id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        paths[f"/{word}s"] = {
            "get": {
                "tags": [word],
                "operationId": f"list{pascal}s",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}},
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["name", "-name", "createdAt"]},
                    },
                ],
                "responses": ok({"$ref": f"#/components/schemas/{pascal}Page"}),
            },
            "post": {
                "tags": [word],
                "operationId": f"create{pascal}",
                "requestBody": body,
                "responses": ok(ref, "201"),
            },
        }
        paths[f"/{word}s/{{{word}Id}}"] = {
            "parameters": [id_param],
            "get": {"tags": [word], "operationId": f"get{pascal}", "responses": {**ok(ref), "404": error}},
            "put": {
                "tags": [word],
                "operationId": f"replace{pascal}",
                "requestBody": body,
                "responses": ok(ref),
            },
            "patch": {
                "tags": [word],
                "operationId": f"update{pascal}",
                "requestBody": body,
                "responses": ok(ref),
            },
            "delete": {
                "tags": [word],
                "operationId": f"delete{pascal}",
                "responses": {"204": {"description": "deleted"}, "404": error},
            },
        }
        paths[f"/{word}s/{{{word}Id}}/events"] = {
            "parameters": [id_param],
            "get": {
                "tags": [word],
                "operationId": f"list{pascal}Events",
                "parameters": [
                    {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
                ],
                "responses": ok({"type": "array", "items": {"$ref": "#/components/schemas/Channel"}}),
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Large benchmark API", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=60)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    args.output.write_text(yaml.safe_dump(build(args.resources), sort_keys=False))


if __name__ == "__main__":
    main()
