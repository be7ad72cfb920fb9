"""The `Host` names the service answers: any other gets 400, so a DNS-rebinding page cannot reach a
loopback service and no foreign name is reflected into `Location` or `RetrieveURL`.

`DICOM_ALLOWED_HOSTS` lists them; by default, the address the connection reached (the bound address) and
`localhost`. The list is read at start-up into the application's state (`allowed_hosts`).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_NAMES = frozenset({"localhost"})


def host_name(host: str) -> str:
    """`Example.org:8080` → `example.org`; `[::1]:80` → `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class AllowedHosts:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = getattr(scope.get("app"), "state", None)
            allowed: frozenset[str] | None = getattr(state, "allowed_hosts", None)
            if allowed is None:
                server = scope.get("server")
                allowed = DEFAULT_NAMES | ({str(server[0]).lower()} if server else set())
            given = Headers(scope=scope).get("host", "")
            if host_name(given) not in allowed:
                shown = given[:64].encode("ascii", "replace").decode()
                refusal = PlainTextResponse(f"The Host '{shown}' is not a name this service answers to.", 400)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
