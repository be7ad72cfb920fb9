"""The real service in this process: its ASGI app behind a `requests` transport adapter, so the end-to-end
tests (dicomweb-client, validated `requests` sessions) drive it as they drive a service process, without a
process, a port or a socket. A process stays for what needs one: restarts, kills, several processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from starlette.testclient import TestClient

from dicom_service.app import create_app
from tests.service.live import free_port

# Base URL → the in-process service answering it; `requests` sessions made by the tests mount each.
MOUNTED: dict[str, ASGIAdapter] = {}


class ASGIAdapter(BaseAdapter):
    """Sends a prepared `requests` request to an ASGI app through Starlette's TestClient.

    One adapter per base URL for the whole run: a restart gives it the new app's client, so sessions made
    before the restart reach the restarted service, not the stopped one (whose disposed engine would open
    new connections that nobody closes). While the service is stopped, a request fails as one to a stopped
    process does.
    """

    def __init__(self, client: TestClient | None = None) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.client is None:
            raise requests.ConnectionError(f"the in-process service at {request.url} is stopped")
        body = request.body
        if body is not None and not isinstance(body, bytes | str):
            body = b"".join(part if isinstance(part, bytes) else part.encode() for part in body)
        answer = self.client.request(
            request.method or "GET",
            request.url or "",
            headers=dict(request.headers),
            content=body.encode() if isinstance(body, str) else body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers.multi_items())
        response._content = answer.content
        response._content_consumed = True  # iter_content() then yields the body read above
        response.url = request.url or ""
        response.request = request
        response.reason = answer.reason_phrase
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        pass


class InProcessService:
    """`dicom_service.app:app` with its data under `data_dir`, in this process: `start` runs its lifespan
    (storage, operation worker, housekeeping) as a service process does at start-up, `stop` its shutdown."""

    def __init__(self, data_dir: Path, storage: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.storage = storage or {}  # DICOM_INDEX_URL, DICOM_BLOB_URL, …; none: SQLite and a folder
        self.root = f"http://127.0.0.1:{free_port()}"  # loopback, as a process; no socket
        self.client: TestClient | None = None

    def start(self) -> InProcessService:
        # Export may reach Azurite on loopback over plain http (any other host is refused, https or not).
        environment = {
            "DICOM_EXPORT_ALLOWED_HOSTS": "127.0.0.1",
            "DATA_DIR": str(self.data_dir),
            **self.storage,
        }
        app = create_app(environment=environment)
        # A handler's exception is answered 500 with a request id, as by a process: not raised into the test.
        self.client = TestClient(app, base_url=self.root, raise_server_exceptions=False).__enter__()
        MOUNTED.setdefault(self.root, ASGIAdapter()).client = self.client
        return self

    def stop(self) -> None:
        if self.client is not None:
            MOUNTED[self.root].client = None
            self.client.__exit__(None, None, None)
        self.client = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def session(self) -> requests.Session:
        """A plain `requests` session that reaches every in-process service."""
        return mount(requests.Session())


def mount(session: requests.Session) -> requests.Session:
    for root, adapter in MOUNTED.items():
        session.mount(root, adapter)
    return session


@contextmanager
def running_in_process(data_dir: Path, storage: dict[str, str] | None = None) -> Iterator[InProcessService]:
    service = InProcessService(data_dir, storage).start()
    try:
        yield service
    finally:
        service.stop()
