"""The mock service: answers from the spec's examples, so clients can start before the handlers exist."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Protocol

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dicom_service.versioning.versions import ServiceVersion
from dicom_service.web import multipart
from dicom_service.web.contracts import GENERATED, Contract, ExampleBody
from dicom_service.web.mediatypes import Choice


class Asked(Protocol):
    """What the mock reads of a request (an `OperationContext` is one); the context calls the mock."""

    @property
    def request(self) -> Request: ...
    @property
    def version(self) -> ServiceVersion: ...
    @property
    def contract(self) -> Contract: ...
    @property
    def representation(self) -> Choice | None: ...
    @property
    def operation_id(self) -> str: ...


async def answer(ctx: Asked) -> Response:
    mock = ctx.contract.mock
    if mock is None:
        return not_implemented(ctx, "its success response has no example in the spec")
    headers = dict(mock.headers)
    if mock.not_modified and "etag" in {k.lower() for k in headers}:
        etag = next(v for k, v in headers.items() if k.lower() == "etag")
        if ctx.request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
    if ctx.representation is None:
        return Response(status_code=mock.status, headers=headers)
    key = ctx.representation.representation.key
    body = mock.bodies.get(key)
    if body is None:
        return not_implemented(ctx, f"the spec has no example of {key}")
    content_type = ctx.representation.content_type
    if body.part_type is not None:
        boundary = multipart.new_boundary()
        part_type = body.part_type
        if ctx.representation.transfer_syntax:
            part_type += f"; transfer-syntax={ctx.representation.transfer_syntax}"
        content = multipart.build([multipart.Part(part_type, example_file(body))], boundary)
        return Response(content, mock.status, headers, f"{content_type}; boundary={boundary}")
    if body.file is not None:
        return Response(example_file(body), mock.status, headers, content_type)
    if body.text is not None:
        return Response(body.text.encode(), mock.status, headers, content_type)
    return Response(json.dumps(body.json).encode(), mock.status, headers, content_type)


def not_implemented(ctx: Asked, reason: str) -> Response:
    handler = f"dicom_service/handlers/{ctx.contract.handler}.py"
    return PlainTextResponse(
        f"Operation {ctx.operation_id} (API version {ctx.version.name}) is not implemented: {reason}. "
        f"Implement it in {handler}.",
        status_code=501,
    )


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


def example_file(body: ExampleBody) -> bytes:
    assert body.file is not None
    return _read(GENERATED / body.file)
