"""Requests built from a spec, and openapi-core validation of real exchanges against that spec.

openapi-core matches a media-type key by exact string, so a real `Content-Type` carrying `boundary=` or
`transfer-syntax=` is mapped to the spec key it stands for (same essence, same `type=`) before validation,
and multipart bodies, which the specs deliberately leave without a schema, are checked part by part here.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.testing import MockRequest, MockResponse

from dicom_service.web import multipart
from dicom_service.web.mediatypes import find_key, parse_media_type
from generator.model import ApiModel, ApiSpec, MediaType, Operation, Parameter

HOST = "http://testserver"
FALLBACK_VALUES = {"integer": "1", "number": "1", "boolean": "false", "string": "x"}


@dataclass
class Exchange:
    """A request built from an operation's examples."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def url(self) -> str:
        return self.path + ("?" + urlencode(self.query) if self.query else "")


def parameter_value(parameter: Parameter) -> str:
    value = parameter.example
    schema = parameter.schema
    if value is None:
        value = schema.get("default", (schema.get("enum") or [None])[0])
    if value is None:
        value = FALLBACK_VALUES.get(str(schema.get("type", "string")), "x")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def body_of(media: MediaType, model: ApiModel) -> tuple[bytes, str]:
    """(body, Content-Type) from the media type's first example."""
    example = media.examples[0]
    if example.external is not None:
        data = model.example_files[example.external]
        if media.essence.startswith("multipart/"):
            boundary = "contract-test-boundary"
            part = multipart.Part(media.parameters["type"], data)
            return multipart.build([part], boundary), f"{media.name}; boundary={boundary}"
        return data, media.name
    if media.essence.startswith("text/"):
        return str(example.value).encode(), media.name
    return json.dumps(example.value).encode(), media.name


def exchange(spec: ApiSpec, op: Operation, model: ApiModel) -> Exchange:
    path = op.path
    for parameter in op.parameters:
        if parameter.location == "path":
            path = path.replace("{" + parameter.name + "}", quote(parameter_value(parameter), safe=""))
    sent = Exchange(op.method.upper(), f"/{spec.version.segment}{path}")
    for parameter in op.parameters:
        if parameter.location == "query" and (parameter.required or parameter.example is not None):
            sent.query[parameter.name] = parameter_value(parameter)
        elif parameter.location == "header" and parameter.required:
            sent.headers[parameter.name] = parameter_value(parameter)
    answer = expected_answer(op)
    if answer is not None and answer.content:
        sent.headers["Accept"] = answer.content[0].name
    elif op.extensions.get("x-accept-required"):
        sent.headers["Accept"] = "*/*"
    if op.request_body is not None and op.request_body.content:
        sent.body, sent.headers["Content-Type"] = body_of(op.request_body.content[0], model)
    return sent


def expected_answer(op: Operation) -> Any:
    """The response the mock gives: the first 2xx, or the first documented one that is not the shared 400."""
    return op.success or next((r for r in op.responses if r.status not in ("400", "default")), None)


def closed(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every object schema a response uses closed: where a schema lists `properties` and
    says nothing of others, a property it does not declare fails validation (JSON Schema would allow it).

    Schemas with `additionalProperties` (DICOM JSON data sets, keyed by tag) keep it; members of an `allOf` of
    several schemas stay open, as each lists only its own share of the properties."""
    document = copy.deepcopy(document)
    schemas = (document.get("components") or {}).get("schemas") or {}
    seen: set[int] = set()

    def walk(node: Any, shared: bool = False) -> None:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            walk(schemas.get(ref.rsplit("/", 1)[-1]), shared)
            return
        if "properties" in node and "additionalProperties" not in node and not shared:
            node["additionalProperties"] = False
        for child in (node.get("properties") or {}).values():
            walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("anyOf", "oneOf", "allOf"):
            members = node.get(key) or []
            for member in members:
                walk(member, shared=key == "allOf" and len(members) > 1)

    for item in (document.get("paths") or {}).values():
        for op in item.values() if isinstance(item, dict) else ():
            for response in ((op or {}).get("responses") or {}).values() if isinstance(op, dict) else ():
                for media in (response.get("content") or {}).values():
                    walk(media.get("schema"))
    for response in ((document.get("components") or {}).get("responses") or {}).values():
        for media in (response.get("content") or {}).values():
            walk(media.get("schema"))
    return document


class SpecValidator:
    """openapi-core for one version's document, loaded once, its response objects closed (`closed`)."""

    def __init__(self, spec: ApiSpec) -> None:
        # The loader has already checked the document against the OpenAPI schema: not again (1-2 s a spec).
        config = Config(
            extra_media_type_deserializers={"application/dicom+json": json_loads}, spec_validator_cls=None
        )
        self.spec = spec
        self.api = OpenAPI.from_dict(closed(spec.document), config=config)

    def validate(
        self, op: Operation, sent: Exchange, status: int, headers: Any, body: bytes, refused_ok: bool = False
    ) -> None:
        """Raise when the request or the response breaks the version's contract.

        With `refused_ok`, a request outside the contract is accepted when the service refused it (4xx):
        then only the answer is checked. A request outside the contract that got a success still fails.
        """
        refused = refused_ok and 400 <= status < 500
        request = self._request(op, sent, lenient=refused)
        try:
            self.api.validate_request(request)
        except Exception:
            if not refused:
                raise
        documented = op.response(str(status))
        response_type = headers.get("content-type", "application/json")
        if documented is not None and documented.content and body:
            response_type = self._spec_key(response_type, [m.name for m in documented.content], body)
        self.api.validate_response(request, MockResponse(body, status, dict(headers), response_type))

    def _request(self, op: Operation, sent: Exchange, lenient: bool) -> MockRequest:
        request_type = sent.headers.get("Content-Type", "application/json")
        if op.request_body is not None and "Content-Type" in sent.headers:
            try:
                request_type = self._spec_key(
                    request_type, [m.name for m in op.request_body.content], sent.body or b""
                )
            except (AssertionError, multipart.MultipartError):
                if not lenient:
                    raise
        headers = dict(sent.headers)
        if not any(k.lower() == "authorization" for k in headers):
            # The mock and a service without an authority check no token (tests/service/test_auth_*.py
            # check tokens); openapi-core would refuse the request for its security requirement alone.
            headers["Authorization"] = "Bearer not-checked"
        return MockRequest(
            HOST,
            sent.method,
            sent.path,
            args=dict(sent.query),
            headers=headers,
            data=sent.body,
            content_type=request_type,
        )

    @staticmethod
    def _spec_key(content_type: str, keys: list[str], body: bytes) -> str:
        key = find_key(content_type, keys)
        if key is None:
            raise AssertionError(f"Content-Type {content_type!r} matches none of the documented {keys}")
        essence, params = parse_media_type(key)
        if essence.startswith("multipart/"):
            parts = multipart.parse(content_type, body)
            assert parts, f"{content_type}: a multipart body without parts"
            for part in parts:
                assert parse_media_type(part.content_type)[0] == params["type"], (
                    f"part {part.content_type!r} is not the declared type {params['type']!r}"
                )
        return key
