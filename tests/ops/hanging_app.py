"""An ASGI application whose start-up never ends by itself (as one waiting on a database that does not
answer), for the bound on a stop."""

from __future__ import annotations

import sys
import time

from starlette.types import Receive, Scope, Send

STARTING = "hanging app: in its start-up"  # for a test to wait for, however slowly the process imports


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()
        print(STARTING, file=sys.stderr, flush=True)
        time.sleep(3600)  # blocks the event loop, as a synchronous driver's connect does
