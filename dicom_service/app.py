"""The ASGI applications: generated routes bound to handlers, plus each version's served OpenAPI document.

- `app` is the real DICOMweb service (`make serve`): the handlers answer from stored data.
- `mock` answers every operation from the spec's examples (`make mock`), for client teams.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import pkgutil
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dicom_service import handlers
from dicom_service.auth.hosts import AllowedHosts
from dicom_service.ops.access import ObservedRequests
from dicom_service.versioning.versions import Versions
from dicom_service.web import binding
from dicom_service.web.contracts import GENERATED, load_contracts
from dicom_service.web.cors import Cors
from dicom_service.web.routing import versioned_routes
from dicom_service.web.startup import OneLineStartupErrors

SPEC_MEDIA_TYPES = {"yaml": "application/yaml", "json": "application/json"}


class HandlerError(RuntimeError):
    """The handlers folder does not match the generated route table."""


def present_handlers() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(handlers.__path__) if not m.name.startswith("_")]


def create_app(mock: bool = False, environment: Mapping[str, str] | None = None) -> Starlette:
    """The service; with `mock=True`, every operation answers from its spec's examples instead.

    `environment` replaces the process environment as the source of the settings (the tests run services
    with their own data folders in one process).
    """
    from dicom_service.generated import manifest

    present = present_handlers()
    problems = [*binding.missing(manifest.HANDLERS, present), *binding.orphaned(manifest.HANDLERS, present)]
    if problems:
        raise HandlerError("\n".join(problems))
    for name in manifest.HANDLERS:
        if not callable(getattr(importlib.import_module(f"dicom_service.handlers.{name}"), "handle", None)):
            raise HandlerError(f"dicom_service/handlers/{name}.py must define `async def handle(ctx)`")
    from dicom_service.generated import operations

    versions = Versions(manifest.VERSIONS, manifest.POLICY_URL, manifest.RETIRED, manifest.RECOMMENDED)
    contracts = load_contracts()
    routes: list[BaseRoute] = [
        *versioned_routes(operations.ROUTES, versions, contracts, mock=mock),
        Route("/{api_version:apiversion}/api.{ext:str}", served_spec(versions)),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found},
        lifespan=None if mock else functools.partial(_open_storage, environment=environment),
        middleware=[]
        if mock
        else [
            Middleware(OneLineStartupErrors),
            Middleware(ObservedRequests),
            Middleware(AllowedHosts),
            Middleware(Cors),
        ],
    )
    app.state.data_actions = frozenset(c.action for v in contracts.values() for c in v.values() if c.action)
    return app


@contextlib.asynccontextmanager
async def _open_storage(app: Starlette, environment: Mapping[str, str] | None) -> AsyncIterator[None]:
    """The service's data, where the settings say (dicom_service/settings.py), its operation
    worker and its housekeeping."""
    from dicom_service.auth.audit import log_to_stderr
    from dicom_service.auth.guard import Guard
    from dicom_service.export import destination
    from dicom_service.housekeeping.housekeeper import Housekeeper
    from dicom_service.operations.jobs import start_worker
    from dicom_service.ops.allocator import keep_freed_buffers
    from dicom_service.ops.blobs import ObservedBlobStore
    from dicom_service.ops.collector import freeze_startup_objects
    from dicom_service.ops.metrics import watch_pool
    from dicom_service.settings import PRIVATE_FILES, auth_from_environment, from_environment
    from dicom_service.storage.service import DicomService

    os.umask(PRIVATE_FILES)
    keep_freed_buffers()  # instance bytes go through the same few buffer sizes: no page faults per request
    auth = auth_from_environment(environment)
    app.state.guard = Guard.from_settings(auth, app.state.data_actions)
    app.state.allowed_hosts = auth.allowed_hosts
    log_to_stderr()
    settings = from_environment(environment)
    service = DicomService.from_settings(settings)
    service.blobs = ObservedBlobStore(service.blobs)  # its failures and bytes stored in the metrics
    watch_pool(service.index.engine)
    app.state.dicom = service
    destination.configure(service, auth)  # where export may write, the key of its secrets
    app.state.cors_origins = settings.cors_origins
    worker = start_worker(service)  # runs long-running operations, taking over those of stopped processes
    housekeeper = Housekeeper(service)  # removes orphan blobs now and then
    housekeeper.start()
    freeze_startup_objects()  # the collector walks only what requests make from now on
    try:
        yield
    finally:
        housekeeper.stop()
        worker.stop()
        service.close()


def served_spec(service_versions: Versions) -> Callable[[Request], Awaitable[Response]]:
    """Each version's document at /<segment>/api.yaml and api.json, for every alias of the version."""
    documents = {
        (v.name, ext): (GENERATED / "specs" / f"{v.segments[0]}.{ext}").read_bytes()
        for v in service_versions.all
        for ext in SPEC_MEDIA_TYPES
    }

    async def served_spec(request: Request) -> Response:
        version = service_versions.resolve(request.path_params["api_version"])
        ext = request.path_params["ext"]
        if version is None or ext not in SPEC_MEDIA_TYPES:
            return Response(status_code=404)
        return Response(documents[(version.name, ext)], media_type=SPEC_MEDIA_TYPES[ext])

    return served_spec


async def _not_found(request: Request, exc: Exception) -> Response:
    # No route matched (no version segment, or not a version): 404 with no body, as the service does.
    if isinstance(exc, HTTPException) and exc.status_code != 404:
        return Response(status_code=exc.status_code)
    return Response(status_code=404)


app = create_app()


@functools.cache
def _mock() -> Starlette:
    return create_app(mock=True)


def __getattr__(name: str) -> Starlette:
    """`mock` is built on first use (`make mock`): a service process does not pay for it at start."""
    if name == "mock":
        return _mock()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
