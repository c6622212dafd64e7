"""GitHub's vendored REST description as the fake uses it: routes, validators, example objects.

The description is tests/fixtures/github/openapi-subset.json, written by scripts/vendor_github.py.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4
from werkzeug.serving import WSGIRequestHandler

SUBSET = Path(__file__).parent / "fixtures" / "github" / "openapi-subset.json"
SPEC_URI = "urn:github:openapi-subset"
TIMESTAMP = "2026-01-02T03:04:05Z"
JsonDict = dict[str, Any]


def allow_null(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` spelled as JSON Schema (a "null" type), recursively."""
    if isinstance(node, list):
        return [allow_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: allow_null(value) for key, value in node.items()}
    if out.pop("nullable", None) is not True:
        return out
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def pointer(*parts: str) -> str:
    """A JSON pointer fragment from its unescaped parts."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Operation:
    """One method + path template of the subset."""

    method: str
    template: str
    regex: re.Pattern[str]
    spec: JsonDict


@dataclass
class Failure:
    """An injected answer for the next `times` requests that match."""

    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    message: str
    times: int


class Spec:
    """The vendored description: routes, validators and schema-shaped example objects."""

    def __init__(self, path: Path = SUBSET) -> None:
        self.doc: JsonDict = allow_null(json.loads(path.read_text(encoding="utf-8")))
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(self.doc))
        self.operations: list[Operation] = []
        for template, item in self.doc["paths"].items():
            regex = re.escape(template).replace(r"\{path\}", "(?P<path>.+)")
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
            for method, spec in item.items():
                if method != "parameters":
                    self.operations.append(
                        Operation(method.upper(), template, re.compile(regex + "$"), spec))
        self._validators: dict[str, Draft4Validator] = {}

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation serving method + path, and the path's parameters."""
        for operation in self.operations:
            found = operation.regex.match(path)
            if found and operation.method == method:
                return operation, found.groupdict()
        return None

    def validator(self, ref: str) -> Draft4Validator:
        """A validator of the schema at the pointer `ref` of the document."""
        if ref not in self._validators:
            self._validators[ref] = Draft4Validator({"$ref": SPEC_URI + ref},
                                                    registry=self.registry)
        return self._validators[ref]

    def errors(self, ref: str, instance: Any) -> list[str]:
        """Why instance does not match the schema at `ref` (empty when it does)."""
        return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"[:300]
                for e in self.validator(ref).iter_errors(instance)]

    def resolve(self, node: Any) -> Any:
        """The node with a top-level `$ref` followed."""
        while isinstance(node, dict) and "$ref" in node:
            for part in node["$ref"][2:].split("/"):
                node = (self.doc if part == "components" else node)[part]
        return node

    def example(self, schema: Any, top: bool = True) -> Any:
        """A minimal valid instance of schema: required fields only, nulls inside where allowed."""
        schema = self.resolve(schema)
        types = schema.get("type")
        if "allOf" in schema:
            merged: JsonDict = {}
            for part in schema["allOf"]:
                merged.update(self.example(part, top))
            return merged
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            if {"type": "null"} in options and not top:
                return None
            return self.example(options[0], top)
        if isinstance(types, list) and "null" in types:
            if not top or len(types) != 2:
                return None
            types = next(t for t in types if t != "null")
        if "enum" in schema:
            return schema["enum"][0]
        return self._typed_example(schema, types)

    def _typed_example(self, schema: JsonDict, kind: Any) -> Any:
        """The example of a schema with a plain type."""
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {name: self.example(props.get(name, {}), top=False)
                    for name in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "string":
            fmt = schema.get("format")
            return {"date-time": TIMESTAMP, "uri": "https://fake.invalid/"}.get(str(fmt), "")
        return {"integer": 1, "number": 0, "boolean": False}.get(kind, "")

    def path_errors(self, operation: Operation, params: dict[str, str]) -> list[str]:
        """Why the path's parameters do not fit their schemas (integers are all we check)."""
        item = self.doc["paths"][operation.template]
        declared = [self.resolve(p) for p in [*item.get("parameters", []),
                                              *operation.spec.get("parameters", [])]]
        return [f"path parameter {p['name']} must be an integer, not {params[p['name']]!r}"
                for p in declared if p.get("in") == "path" and p["name"] in params
                and p.get("schema", {}).get("type") == "integer"
                and not params[p["name"]].isdigit()]

    def request_errors(self, operation: Operation, body: Any) -> list[str]:
        """Why the request body does not fit the operation (empty when it does)."""
        request_body = self.resolve(operation.spec.get("requestBody"))
        if not request_body:
            return [] if body is None else ["this operation takes no body"]
        if body is None:
            return ["a JSON body is required"] if request_body.get("required") else []
        ref = pointer("paths", operation.template, operation.method.lower(), "requestBody",
                      "content", "application/json", "schema")
        return self.errors(ref, body)

    def response_ref(self, operation: Operation, status: int) -> str | None:
        """The pointer to the JSON schema of the operation's answer with status, if any."""
        where = pointer("paths", operation.template, operation.method.lower(), "responses",
                        str(status))
        response = operation.spec.get("responses", {}).get(str(status))
        while isinstance(response, dict) and "$ref" in response:
            where, response = response["$ref"], self.resolve(response)
        if not isinstance(response, dict) or "application/json" not in response.get("content", {}):
            return None
        return where + "/content/application~1json/schema"

def deep_merge(base: Any, overlay: Any) -> Any:
    """base with overlay's keys written over it, recursively."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        return {**base, **{k: deep_merge(base.get(k), v) for k, v in overlay.items()}}
    return overlay


def diff_lines(patch: str) -> set[int]:
    """The new-side line numbers a unified-diff patch shows (the lines GitHub can comment on)."""
    lines: set[int] = set()
    for found in re.finditer(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", patch, re.M):
        start, count = int(found[1]), int(found[2] if found[2] is not None else 1)
        lines.update(range(start, start + count))
    return lines


def paginate(items: list[JsonDict], args: Any, url: str) -> tuple[list[JsonDict], dict[str, str]]:
    """One page of items (per_page, page query arguments) and its Link header, as GitHub pages."""
    per_page = min(int(args.get("per_page", 30)), 100)
    number = max(int(args.get("page", 1)), 1)
    chunk = items[(number - 1) * per_page: number * per_page]
    headers: dict[str, str] = {}
    if number * per_page < len(items):
        query = urlencode({"per_page": per_page, "page": number + 1})
        headers["Link"] = f'<{url}?{query}>; rel="next"'
    return copy.deepcopy(chunk), headers


def github_base64(data: bytes) -> str:
    """Base64 as GitHub serves file contents (lines of 60 characters)."""
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 60] for i in range(0, len(text), 60)) + "\n"


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""
