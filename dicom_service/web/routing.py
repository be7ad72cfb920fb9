"""Versioned routes: `/{version}/<path>` dispatched to the operation stubs the generator wrote.

One `VersionedPath` serves every method of one path template. It resolves the version segment, answers
400 UnsupportedApiVersion / 405 / 406 / 415 itself, checks the request against the operation's contract
(the `<` rule, parameters with their formats' bounds, a JSON body against its schema: 400 naming the fault),
calls the operation's stub (or the mock) otherwise, answers 500 with a request id when that raises, and stamps
the versioning headers on every response, errors included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import cast

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from dicom_service.auth import audit
from dicom_service.versioning.apiversion import ApiVersion
from dicom_service.versioning.versions import (
    ServiceVersion,
    VersionHeaders,
    Versions,
    declared_versions,
    unsupported_version_body,
)
from dicom_service.web import body, cpu
from dicom_service.web.body import BodyRefused
from dicom_service.web.body_validation import BodyError, BodyValidator, compile_validators
from dicom_service.web.context import OperationContext
from dicom_service.web.contracts import Contract
from dicom_service.web.cpu import Saturated
from dicom_service.web.failures import internal_error
from dicom_service.web.mediatypes import as_query_accept, find_key, negotiate
from dicom_service.web.parameters import ParameterError, bind
from dicom_service.web.unavailable import engine_unavailable, unavailable

Stub = Callable[[OperationContext], Awaitable[Response]]
DICOM_JSON = "application/dicom+json"


class ApiVersionConvertor(Convertor[str]):
    """A first segment that may be a version (`v2`, `v1.0-prerelease`, `vfoo`).

    Deliberately loose: this pattern runs once per route tried, so it is kept cheap, and VersionedPath
    answers a segment that is not a version at all (`vfoo`) with the same empty 404 as an unmatched route.
    """

    regex = r"[vV][^/]{0,48}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("apiversion", ApiVersionConvertor())


@dataclass(frozen=True)
class OperationRoute:
    """One row of the generated route table."""

    operation_id: str
    method: str
    path: str
    stub: Stub


@dataclass(frozen=True)
class _Bound:
    route: OperationRoute
    versions: frozenset[str]
    headers: list[tuple[bytes, bytes]]


def _raw(headers: VersionHeaders) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class VersionedPath:
    """The ASGI endpoint of one path template, for every method and version."""

    def __init__(
        self,
        path: str,
        routes: Sequence[OperationRoute],
        versions: Versions,
        contracts: dict[str, dict[str, Contract]],
        mock: bool = False,
        schema_cache: dict[str, object] | None = None,
    ) -> None:
        self.path = path
        self.mock = mock
        self.versions = versions
        self.contracts = contracts
        self.methods: dict[str, _Bound] = {}
        # JSON body schemas, compiled once at start-up: (version, operationId) → media-type key → validator.
        # DICOM JSON bodies are the service's own DICOM JSON reader's (kernel/json_reader.py: tag
        # keys, VRs against the data dictionary, values per VR), stricter than the spec's schema; the mock,
        # which has no reader, checks them against the schema.
        self.bodies: dict[tuple[str, str], dict[str, BodyValidator]] = {}
        compiled = schema_cache if schema_cache is not None else {}
        for route in routes:
            for version_name, by_operation in contracts.items():
                contract = by_operation.get(route.operation_id)
                schemas = {
                    media_type: schema
                    for media_type, schema in (contract.body_schemas if contract is not None else {}).items()
                    if mock or media_type.split(";")[0].strip().lower() != DICOM_JSON
                }
                if schemas:
                    self.bodies[(version_name, route.operation_id)] = compile_validators(schemas, compiled)
            declared = declared_versions(route.stub)
            if not declared:
                raise ValueError(f"stub of {route.operation_id} declares no @api_version")
            self.methods[route.method] = _Bound(
                route, frozenset(d.name for d in declared), _raw(VersionHeaders.of(declared))
            )
        # For a method the path does not have: report the versions of the path's endpoints together.
        every = dict.fromkeys(d for r in routes for d in declared_versions(r.stub))
        self.path_headers = _raw(VersionHeaders.of(every))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        segment = request.path_params["api_version"]
        version = self.versions.resolve(segment)
        if version is None and ApiVersion.from_segment(segment) is None:
            await Response(status_code=404)(scope, receive, send)  # not a version: no versioned endpoint
            return
        bound = self.methods.get(request.method)
        headers = bound.headers if bound else self.path_headers
        _name_in_state(scope, f"/{segment}{self.path}", version, bound)
        if version is None or (bound is not None and version.name not in bound.versions):
            response = Response(
                unsupported_version_body(
                    str(request.url),
                    segment,
                    self.versions.retired_version(segment) if version is None else None,
                    self.versions.recommended,
                ),
                400,
                media_type="application/json; charset=utf-8",
            )
        elif bound is None:
            allowed = [m for m, b in self.methods.items() if version.name in b.versions]
            response = PlainTextResponse("Method Not Allowed", 405, {"Allow": ", ".join(allowed)})
        else:
            try:
                response = await self.dispatch(request, version, bound.route)
            except Saturated as exc:  # every CPU worker busy and the queue full: back off, retry
                response = unavailable(str(exc))
            except BodyRefused as exc:  # a body over its limit, too slow, or its client gone
                response = PlainTextResponse(str(exc), exc.status)
            except ClientDisconnect:
                raise  # the client went away: nobody to answer (logged as aborted by ops.access)
            except Exception as exc:  # an engine away for a moment (503), else a bug: no traceback leaves
                response = engine_unavailable(request, exc) or internal_error(request, exc)
        response.raw_headers.extend(headers)
        if version is not None and version.lifecycle_headers:
            response.raw_headers.extend((k.encode(), v.encode()) for k, v in version.lifecycle_headers)
        audit.record(
            scope,
            bound.route.operation_id if bound else None,
            version.name if version else None,
            response.status_code,
        )
        await response(scope, receive, send)

    async def dispatch(self, request: Request, version: ServiceVersion, route: OperationRoute) -> Response:
        contract = self.contracts[version.name][route.operation_id]
        guard = getattr(getattr(request.scope.get("app"), "state", None), "guard", None)
        if guard is not None:  # the service with an authority: every operation needs a token and its action
            refused = await guard.check(
                request.scope, contract.action, request.path_params.get("partitionName")
            )
            if refused is not None:
                return cast(Response, refused)
        query = request.scope.get("query_string", b"")
        if b"<" in query or b"%3c" in query.lower():
            return PlainTextResponse("The query string contains '<', which is not allowed.", 400)
        try:
            params = bind(contract.parameters, request.path_params, request.query_params, request.headers)
        except ParameterError as exc:
            return PlainTextResponse(str(exc), 400)
        if contract.body_media_types:
            content_type = request.headers.get("content-type")
            if content_type is None:
                if contract.body_required:
                    return PlainTextResponse(
                        "The request has no body; a Content-Type and a body are required.", 400
                    )
            elif (key := find_key(content_type, contract.body_media_types)) is None:
                accepted = ", ".join(contract.body_media_types)
                return PlainTextResponse(
                    f"The Content-Type '{content_type}' is not supported; use one of: {accepted}.", 415
                )
            elif (validator := self.bodies.get((version.name, route.operation_id), {}).get(key)) is not None:
                refused = await _check_json_body(request, validator, contract.body_required)
                if refused is not None:
                    return refused
        choice = None
        if contract.accept_required and not request.headers.get("accept", "").strip():
            # The service's Accept filter runs before the action, whatever the answer's content.
            return PlainTextResponse("The request has no Accept header; this resource requires one.", 406)
        if contract.offers:
            # PS3.18 §8.3.3.1: an `accept` query parameter, where the spec declares one, wins over the header.
            asked = params.get("accept")
            accept = as_query_accept(asked, contract.offers) if asked else request.headers.get("accept")
            choice = negotiate(accept, contract.offers, contract.accept_required)
            if choice is None:
                offered = ", ".join(o.key for o in contract.offers)
                return PlainTextResponse(
                    f"The requested media type is not acceptable. This resource provides: {offered}.", 406
                )
        ctx = OperationContext(request, version, contract, params, choice)
        if self.mock:
            return await ctx.answer_from_examples()
        return await route.stub(ctx)


def _name_in_state(scope: Scope, route: str, version: ServiceVersion | None, bound: _Bound | None) -> None:
    """What the request matched, for its log line and metrics (the path template: no UID is logged)."""
    state = scope.setdefault("state", {})
    state["route"] = route
    if version is not None:
        state["api_version"] = version.name
    if bound is not None:
        state["operation_id"] = bound.route.operation_id


async def _check_json_body(request: Request, validator: BodyValidator, required: bool) -> Response | None:
    """400 for a JSON body that is missing, not JSON or not what the schema allows; None when it is fine.

    The body is read here within DICOM_MAX_JSON_BYTES (kept on the request, so the handler reads it again
    for free) and checked on the CPU pool.
    """
    raw = await body.read(request, "json_bytes")
    request._body = raw  # Starlette's own cache of the body: request.body() and stream() return it
    if not raw.strip():
        if required:
            message = f"The request body is empty; a {validator.media_type} body is required."
            return PlainTextResponse(message, 400)
        return None
    try:
        await cpu.run(validator.check, raw)
    except BodyError as exc:
        return PlainTextResponse(str(exc), 400)
    return None


def versioned_routes(
    table: Sequence[OperationRoute],
    versions: Versions,
    contracts: dict[str, dict[str, Contract]],
    mock: bool = False,
) -> list[Route]:
    """Starlette routes for a generated route table: one per path template, every method on it.

    With `mock`, every operation answers from its spec's examples instead of calling its handler.
    """
    by_path: dict[str, list[OperationRoute]] = {}
    for route in table:
        by_path.setdefault(route.path, []).append(route)
    compiled: dict[str, object] = {}  # one compiled validator per distinct body schema
    return [
        Route(
            "/{api_version:apiversion}" + path,
            VersionedPath(path, routes, versions, contracts, mock, schema_cache=compiled),
        )
        for path, routes in by_path.items()
    ]
