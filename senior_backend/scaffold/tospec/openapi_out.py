"""The API model rendered as an OpenAPI 3.1 document (a plain dict, ready for YAML or JSON)."""

from __future__ import annotations

from typing import Any

from senior_backend.scaffold.ir import ApiModel, Operation
from senior_backend.scaffold.tospec.opnames import RecoveredOperation

GENERATED_BY = "api-scaffolder --generate-spec"
_DELIMITED = {",": ("form", False), " ": ("spaceDelimited", False), "|": ("pipeDelimited", False)}


def to_openapi(model: ApiModel) -> dict[str, Any]:
    """OpenAPI 3.1: one path item per path, the model's schemas and security schemes under components,
    each protected operation's `security`, the base path the routes are mounted under (if any) as the
    server URL. An operation has `tags` only where the code gave it some (tospec/opnames.py).

    `info.x-generated-by` marks the file as ours, so rewriting it later needs no `--force`."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in model.operations:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": model.title, "version": model.version or "0.0.0", "x-generated-by": GENERATED_BY},
        **({"servers": [{"url": model.base_path}]} if model.base_path else {}),
        "paths": paths,
    }
    components: dict[str, Any] = {}
    if model.schemas:
        components["schemas"] = model.schemas
    if model.security.schemes:
        components["securitySchemes"] = {name: scheme.spec for name, scheme in model.security.schemes.items()}
    if components:
        document["components"] = components
    return document


def _operation(operation: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": operation.operation_id}
    if isinstance(operation, RecoveredOperation) and operation.tags:
        out["tags"] = operation.tags
    if operation.summary:
        out["summary"] = operation.summary
    parameters = []
    for param in operation.parameters:
        entry: dict[str, Any] = {
            "name": param.name,
            "in": param.location,
            "required": param.required,
            "schema": param.schema,
        }
        if param.delimiter is not None and param.location in ("query", "cookie"):
            style, explode = _DELIMITED.get(param.delimiter, ("form", False))
            entry.update({"style": style, "explode": explode})
        if param.deep_object:
            entry.update({"style": "deepObject", "explode": True})
        parameters.append(entry)
    if parameters:
        out["parameters"] = parameters
    if operation.body is not None:
        out["requestBody"] = {
            "required": operation.body.required,
            "content": {media: {"schema": schema} for media, schema in operation.body.content.items()},
        }
    responses: dict[str, Any] = {}
    for response in operation.responses:
        entry = {"description": response.description or f"Status {response.status}"}
        if response.schema is not None:
            entry["content"] = {response.media or "application/json": {"schema": response.schema}}
        responses[response.status] = entry
    if responses:
        out["responses"] = responses
    if operation.security is not None and operation.security != []:  # `[]`: public, as the default is
        out["security"] = operation.security
    return out
