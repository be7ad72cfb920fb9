"""Start-up failures as one line: a SettingsError stops the process with its message, not a traceback.

Starlette reports a failed lifespan to the server with the formatted traceback; this ASGI middleware
replaces that text by the error's own message when the error is a SettingsError (uvicorn prints it).
"""

from __future__ import annotations

import sys

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dicom_service.settings import SettingsError


class OneLineStartupErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_one_line(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                error = sys.exc_info()[1]  # Starlette sends this from its `except` block
                if isinstance(error, SettingsError):
                    message = {**message, "message": f"{error}"}
            await send(message)

        await self.app(scope, receive, send_one_line)
