"""The real service as its own process on a free loopback port, and clients whose every exchange is
validated by openapi-core against the requested version's spec."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from dicomweb_client.api import DICOMwebClient

from dicom_service.versioning.versions import Versions
from generator.model import ApiModel, ApiSpec, Operation
from tests.contract import Exchange, SpecValidator
from tests.fixtures import real_model


def model() -> ApiModel:
    return real_model()


@cache
def versions() -> Versions:
    from dicom_service.generated import manifest

    return Versions(manifest.VERSIONS, manifest.POLICY_URL)


@cache
def validator(version: str) -> SpecValidator:
    return SpecValidator(model().spec(version))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveService:
    """`uvicorn dicom_service.app:app` with its data under `data_dir`; stopped by PID."""

    def __init__(self, data_dir: Path, storage: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.storage = storage or {}  # DICOM_INDEX_URL, DICOM_BLOB_URL, …; none: SQLite and a folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveService:
        # Export may reach Azurite on loopback over plain http (any other host is refused, https or not).
        env = {
            **os.environ,
            "DICOM_EXPORT_ALLOWED_HOSTS": "127.0.0.1",
            "DATA_DIR": str(self.data_dir),
            **self.storage,
        }
        command = [sys.executable, "-m", "uvicorn", "dicom_service.app:app", "--host", "127.0.0.1"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), "--log-level", "warning"],
                env=env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited at start-up: {self.log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.root}/v2/partitions", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers late
                time.sleep(0.1)
        raise RuntimeError("the service did not answer within 30 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def session(self) -> requests.Session:
        return requests.Session()


@dataclass
class Validated:
    """A requests session hook: every exchange is checked against its version's spec."""

    seen: list[str] = field(default_factory=list)  # "<version> <operationId> <status>"

    def session(self) -> requests.Session:
        from tests.service.inprocess import mount

        session = mount(requests.Session())  # reaches the in-process services too
        session.hooks["response"].append(self.check)
        return session

    def check(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        url = urlsplit(request.url or "")
        segment, _, rest = url.path.lstrip("/").partition("/")
        version = versions().resolve(segment)
        if version is None:
            return
        spec = model().spec(version.name)
        op = operation_for(spec, request.method or "GET", "/" + rest)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode() or None
        sent = Exchange(
            request.method or "GET",
            url.path,
            query=dict(parse_qsl(url.query)),
            headers={k: v for k, v in request.headers.items()},
            body=body,
        )
        validator(version.name).validate(
            op, sent, response.status_code, response.headers, response.content, refused_ok=True
        )
        self.seen.append(f"{version.name} {op.operation_id} {response.status_code}")


def operation_for(spec: ApiSpec, method: str, path: str) -> Operation:
    """The spec operation a request path stands for; literal segments win over parameters."""
    parts = path.rstrip("/").split("/")
    best: tuple[int, Operation] | None = None
    for op in spec.operations:
        if op.method.upper() != method.upper():
            continue
        template = op.path.split("/")
        if len(template) != len(parts):
            continue
        literal = 0
        for expected, actual in zip(template, parts, strict=True):
            if expected.startswith("{"):
                continue
            if expected != actual:
                break
            literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, op)
    if best is None:
        raise AssertionError(f"{method} {path} matches no operation of version {spec.version.name}")
    return best[1]


@contextmanager
def running(data_dir: Path, storage: dict[str, str] | None = None) -> Iterator[LiveService]:
    service = LiveService(data_dir, storage).start()
    try:
        yield service
    finally:
        service.stop()


def client(
    service: LiveService, checker: Validated, version: str = "v2", partition: str | None = None
) -> DICOMwebClient:
    url = f"{service.root}/{version}" + (f"/partitions/{partition}" if partition else "")
    return DICOMwebClient(url=url, session=checker.session())
