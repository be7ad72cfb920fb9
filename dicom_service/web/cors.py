"""Cross-origin requests from browser viewers, for the origins of `DICOM_CORS_ORIGINS` (none by default).

Starlette's CORSMiddleware answers preflights before routing (a route without a version is 404 and OPTIONS
is not an operation) and adds the allow/expose headers to every other answer. The origins come from
the settings the lifespan reads at start-up (`app.state.cors_origins`); until then, and with none,
nothing is added.
Credentials (cookies) are never allowed: a viewer's bearer token travels in `Authorization`, which is an
allowed request header, so `*` never meets credentials.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
REQUEST_HEADERS = ("Authorization", "Accept", "Content-Type", "If-None-Match", "msdicom-request-original")
EXPOSED_HEADERS = (
    "api-supported-versions",
    "api-deprecated-versions",
    "Deprecation",
    "Sunset",
    "Link",
    "Location",
    "Content-Location",
    "ETag",
    "Warning",
    "erroneous-dicom-attributes",
)
MAX_AGE_SECONDS = 600  # how long a browser may reuse a preflight's answer


class Cors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._origins: tuple[str, ...] = ()
        self._cors: ASGIApp = app

    def _for(self, origins: tuple[str, ...]) -> ASGIApp:
        if origins != self._origins:
            self._origins = origins
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=origins,
                allow_methods=METHODS,
                allow_headers=REQUEST_HEADERS,
                expose_headers=EXPOSED_HEADERS,
                allow_credentials=False,
                max_age=MAX_AGE_SECONDS,
            )
        return self._cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origins: tuple[str, ...] = ()
        if scope["type"] == "http" and "app" in scope:
            origins = getattr(scope["app"].state, "cors_origins", ())
        await (self._for(origins) if origins else self.app)(scope, receive, send)
