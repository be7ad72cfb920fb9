"""The operator's settings, read from the environment by `make serve` at start-up.

- `ADMIN_PORT`: the port of the admin listener (health, readiness, metrics); unset: no admin listener.
- `ADMIN_HOST`: the address it listens on (default 127.0.0.1: metrics are not for the public).
- `DICOM_SHUTDOWN_SECONDS`: on SIGTERM, how long requests in flight may take to finish (default 30); the
  whole service has ended `ops.bounded_stop.APPLICATION_STOP_SECONDS` later at the latest.

A setting that is wrong raises `SettingsError`, whose message is one line naming the setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from dicom_service.settings import SettingsError

SHUTDOWN_SECONDS = 30
MAX_SHUTDOWN_SECONDS = 3600


@dataclass(frozen=True)
class OpsSettings:
    admin_port: int | None = None
    admin_host: str = "127.0.0.1"
    shutdown_seconds: int = SHUTDOWN_SECONDS


def from_environment(environ: Mapping[str, str] | None = None) -> OpsSettings:
    env = os.environ if environ is None else environ
    return OpsSettings(
        _port(env.get("ADMIN_PORT")),
        env.get("ADMIN_HOST") or "127.0.0.1",
        _seconds(env.get("DICOM_SHUTDOWN_SECONDS")),
    )


def _port(text: str | None) -> int | None:
    if not text:
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise SettingsError(f"ADMIN_PORT: {text!r} is not a port number from 1 to 65535")
    return int(text)


def _seconds(text: str | None) -> int:
    if not text:
        return SHUTDOWN_SECONDS
    if not text.strip().isdigit() or not 0 <= int(text) <= MAX_SHUTDOWN_SECONDS:
        raise SettingsError(
            f"DICOM_SHUTDOWN_SECONDS: {text!r} is not a whole number of seconds"
            f" from 0 to {MAX_SHUTDOWN_SECONDS}"
        )
    return int(text)
