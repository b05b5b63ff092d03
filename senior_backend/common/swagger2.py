"""Upgrading a Swagger 2.0 document to OpenAPI 3.0.3.

Covers what real 2.0 specs use: host/basePath/schemes as servers,
definitions, shared parameters and responses, securityDefinitions, `body`
parameters as request bodies with the `consumes` media types, `formData`
parameters as form-encoded or multipart bodies (`type: file` as binary),
`collectionFormat` as style/explode, `produces` as response media types,
`x-nullable` as `nullable`, and string discriminators.
"""

from __future__ import annotations

import copy
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, warning

_PARAM_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
)
_COLLECTION_FORMATS = {
    "csv": {"style": "form", "explode": False},
    "multi": {"style": "form", "explode": True},
    "ssv": {"style": "spaceDelimited", "explode": False},
    "pipes": {"style": "pipeDelimited", "explode": False},
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}


def upgrade_swagger2(doc: dict[str, Any], source: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Return an OpenAPI 3.0.3 equivalent of a Swagger 2.0 document, plus warnings."""
    return _Upgrader(doc, source).run()


class _Upgrader:
    def __init__(self, doc: dict[str, Any], source: str) -> None:
        self.doc = copy.deepcopy(doc)
        self.source = source
        self.warnings: list[Diagnostic] = []
        self.global_consumes = self.doc.get("consumes") or ["application/json"]
        self.global_produces = self.doc.get("produces") or ["application/json"]
        self.shared_params: dict[str, Any] = self.doc.get("parameters") or {}

    def run(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        doc = self.doc
        out: dict[str, Any] = {"openapi": "3.0.3", "info": doc.get("info", {"title": "API", "version": "0"})}
        servers = self._servers()
        if servers:
            out["servers"] = servers
        for key in ("tags", "externalDocs", "security"):
            if key in doc:
                out[key] = doc[key]
        for key, value in doc.items():
            if key.startswith("x-"):
                out[key] = value
        components: dict[str, Any] = {}
        if doc.get("definitions"):
            components["schemas"] = {name: self._schema(s) for name, s in doc["definitions"].items()}
        params, bodies = {}, {}
        for name, param in self.shared_params.items():
            if param.get("in") == "body":
                bodies[name] = self._body_from_param(param, self.global_consumes)
            elif param.get("in") != "formData":
                params[name] = self._parameter(param)
        if params:
            components["parameters"] = params
        if bodies:
            components["requestBodies"] = bodies
        if doc.get("responses"):
            components["responses"] = {
                name: self._response(r, self.global_produces) for name, r in doc["responses"].items()
            }
        if doc.get("securityDefinitions"):
            components["securitySchemes"] = {
                name: self._security_scheme(s) for name, s in doc["securityDefinitions"].items()
            }
        if components:
            out["components"] = components
        out["paths"] = {path: self._path_item(path, item) for path, item in (doc.get("paths") or {}).items()}
        return _rewrite_refs(out, set(bodies)), self.warnings

    def _servers(self) -> list[dict[str, str]]:
        host = self.doc.get("host")
        base_path = self.doc.get("basePath", "") or ""
        if not host:
            return [{"url": base_path}] if base_path and base_path != "/" else []
        schemes = self.doc.get("schemes") or ["https"]
        return [{"url": f"{scheme}://{host}{base_path}"} for scheme in schemes]

    def _schema(self, schema: Any) -> Any:
        if isinstance(schema, list):
            return [self._schema(item) for item in schema]
        if not isinstance(schema, dict):
            return schema
        result: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "x-nullable":
                result["nullable"] = value
            elif key == "discriminator" and isinstance(value, str):
                result["discriminator"] = {"propertyName": value}
            elif key == "type" and value == "file":
                result["type"] = "string"
                result["format"] = "binary"
            elif key in ("properties", "definitions", "patternProperties"):
                result[key] = {name: self._schema(sub) for name, sub in value.items()}
            else:
                result[key] = self._schema(value)
        return result

    def _resolve_param(self, param: dict[str, Any]) -> dict[str, Any]:
        ref = param.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/parameters/"):
            return self.shared_params.get(ref.rsplit("/", 1)[-1], param)
        return param

    def _parameter(self, param: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in param:
            return param
        out = {k: v for k, v in param.items() if k not in _PARAM_SCHEMA_KEYS and k != "collectionFormat"}
        schema = {k: self._schema(param[k]) for k in _PARAM_SCHEMA_KEYS if k in param}
        if schema.get("type") == "array" and "items" in schema:
            schema["items"] = self._schema(schema["items"])
        out["schema"] = schema
        fmt = param.get("collectionFormat")
        if fmt in _COLLECTION_FORMATS and param.get("in") in ("query", "cookie"):
            out.update(_COLLECTION_FORMATS[fmt])
        elif fmt == "tsv":
            self.warnings.append(
                warning(
                    "tsv-collection", "collectionFormat tsv has no OpenAPI 3 equivalent", where=self.source
                )
            )
        if param.get("in") == "path":
            out["required"] = True
        return out

    def _body_from_param(self, param: dict[str, Any], consumes: list[str]) -> dict[str, Any]:
        schema = self._schema(param.get("schema", {}))
        body: dict[str, Any] = {"content": {mt: {"schema": schema} for mt in consumes}}
        if param.get("description"):
            body["description"] = param["description"]
        if param.get("required"):
            body["required"] = True
        return body

    def _form_body(self, params: list[dict[str, Any]], consumes: list[str]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        has_file = False
        for param in params:
            prop = {k: self._schema(param[k]) for k in _PARAM_SCHEMA_KEYS if k in param}
            if param.get("type") == "file":
                has_file = True
                prop = {"type": "string", "format": "binary"}
            if param.get("description"):
                prop["description"] = param["description"]
            properties[param["name"]] = prop
            if param.get("required"):
                required.append(param["name"])
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        form_types = [
            mt for mt in consumes if mt in ("multipart/form-data", "application/x-www-form-urlencoded")
        ]
        if has_file or not form_types:
            form_types = ["multipart/form-data"] if has_file else ["application/x-www-form-urlencoded"]
        return {"content": {mt: {"schema": schema} for mt in form_types}, "required": bool(required)}

    def _response(self, response: dict[str, Any], produces: list[str]) -> dict[str, Any]:
        if "$ref" in response:
            return response
        out: dict[str, Any] = {"description": response.get("description", "")}
        if "schema" in response:
            schema = self._schema(response["schema"])
            examples = response.get("examples") or {}
            content: dict[str, Any] = {}
            for mt in produces:
                entry: dict[str, Any] = {"schema": schema}
                if mt in examples:
                    entry["example"] = examples[mt]
                content[mt] = entry
            out["content"] = content
        if response.get("headers"):
            out["headers"] = {
                name: {
                    "schema": {k: v for k, v in header.items() if k in _PARAM_SCHEMA_KEYS},
                    **({"description": header["description"]} if "description" in header else {}),
                }
                for name, header in response["headers"].items()
            }
        return out

    def _security_scheme(self, scheme: dict[str, Any]) -> dict[str, Any]:
        kind = scheme.get("type")
        out: dict[str, Any]
        if kind == "basic":
            out = {"type": "http", "scheme": "basic"}
        elif kind == "apiKey":
            out = {"type": "apiKey", "name": scheme.get("name"), "in": scheme.get("in")}
        elif kind == "oauth2":
            flow: dict[str, Any] = {"scopes": scheme.get("scopes", {})}
            if "authorizationUrl" in scheme:
                flow["authorizationUrl"] = scheme["authorizationUrl"]
            if "tokenUrl" in scheme:
                flow["tokenUrl"] = scheme["tokenUrl"]
            out = {"type": "oauth2", "flows": {_FLOWS.get(scheme.get("flow", ""), "implicit"): flow}}
        else:
            out = dict(scheme)
        if scheme.get("description"):
            out["description"] = scheme["description"]
        return out

    def _path_item(self, path: str, item: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        shared = [self._resolve_param(p) for p in item.get("parameters", [])]
        for key, value in item.items():
            if key in _METHODS:
                out[key] = self._operation(value, shared)
            elif key != "parameters":
                out[key] = value
        path_level = [p for p in shared if p.get("in") not in ("body", "formData")]
        if path_level:
            out["parameters"] = [self._parameter(p) for p in path_level]
        return out

    def _operation(self, op: dict[str, Any], shared: list[dict[str, Any]]) -> dict[str, Any]:
        consumes = op.get("consumes") or self.global_consumes
        produces = op.get("produces") or self.global_produces
        out = {
            k: v
            for k, v in op.items()
            if k not in ("parameters", "responses", "consumes", "produces", "schemes")
        }
        raw_params = op.get("parameters", [])
        own = [self._resolve_param(p) for p in raw_params]
        own_keys = {(p.get("name"), p.get("in")) for p in own}
        inherited_body = [
            p
            for p in shared
            if p.get("in") in ("body", "formData") and (p.get("name"), p.get("in")) not in own_keys
        ]
        params = []
        form = [p for p in [*inherited_body, *own] if p.get("in") == "formData"]
        body = [p for p in [*inherited_body, *own] if p.get("in") == "body"]
        for raw, resolved in zip(raw_params, own, strict=True):
            if resolved.get("in") in ("body", "formData"):
                continue
            params.append(self._parameter(raw if "$ref" in raw else resolved))
        if params:
            out["parameters"] = params
        body_refs = [
            raw for raw in raw_params if self._resolve_param(raw).get("in") == "body" and "$ref" in raw
        ]
        if body_refs:
            out["requestBody"] = {"$ref": body_refs[0]["$ref"]}
        elif body:
            out["requestBody"] = self._body_from_param(body[0], consumes)
        elif form:
            out["requestBody"] = self._form_body(form, consumes)
        out["responses"] = {
            str(code): self._response(r, produces) for code, r in (op.get("responses") or {}).items()
        }
        return out


def _rewrite_refs(node: Any, body_params: set[str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return {**node, "$ref": _new_ref(ref, body_params)}
        return {key: _rewrite_refs(value, body_params) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(item, body_params) for item in node]
    return node


def _new_ref(ref: str, body_params: set[str]) -> str:
    if ref.startswith("#/definitions/"):
        return "#/components/schemas/" + ref[len("#/definitions/") :]
    if ref.startswith("#/parameters/"):
        name = ref[len("#/parameters/") :]
        section = "requestBodies" if name in body_params else "parameters"
        return f"#/components/{section}/{name}"
    if ref.startswith("#/responses/"):
        return "#/components/responses/" + ref[len("#/responses/") :]
    return ref
