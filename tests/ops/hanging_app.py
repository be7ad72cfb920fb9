"""An ASGI application whose start-up never ends by itself (as one waiting on a database that does not
answer), for the bound on a stop."""

from __future__ import annotations

import time

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()
        time.sleep(3600)  # blocks the event loop, as a synchronous driver's connect does
