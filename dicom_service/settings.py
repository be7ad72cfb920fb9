"""The service's storage settings, read from the environment once at start-up.

- `DATA_DIR`: the local data folder (default `build/data`): temporary files, and the defaults below.
- `DICOM_INDEX_URL`: the index database; default `sqlite:///<DATA_DIR>/index.sqlite`;
  `postgresql://user:password@host:port/database` selects PostgreSQL (driver psycopg 3).
- `DICOM_BLOB_URL`: where instance files live; default the folder `<DATA_DIR>/blobs`; a folder path, or
  `azure://<container>` for Azure Blob Storage with the account of `AZURE_STORAGE_CONNECTION_STRING`.
- `WORKERS`: service processes started by `make serve` (default: one per core the process may use, at most
  `DEFAULT_MAX_WORKERS`); they share the one index, SQLite's included (WAL: readers never wait, writers
  take turns).
- `DICOM_OPERATION_LEASE_SECONDS`: how long a running operation's owner may go silent before another
  process takes the operation over (default `operations.LEASE_SECONDS`).
- `DICOM_INDEX_TIMEOUT_SECONDS`: PostgreSQL only: the longest a statement, or the wait for a pooled
  connection, may take before the request is answered 503 (default 30; a new connection gets at most 10).
- `DICOM_CORS_ORIGINS`: the browser origins (`https://viewer.example.org`, comma-separated, or `*`) whose
  pages may call the service cross-origin; none by default.

- The limits on every input (`dicom_service/limits.py`: `DICOM_MAX_*` and the timeouts).

A setting that is wrong raises `SettingsError`, whose message is one line naming the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dicom_service.limits import LimitError, Limits
from dicom_service.operations.operation import LEASE_SECONDS
from dicom_service.storage.dialect import INDEX_TIMEOUT_SECONDS

AZURE_SCHEME = "azure://"
CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
MAX_WORKERS = 64
DEFAULT_MAX_WORKERS = 8  # each process holds its own caches and connections: more is a deliberate choice
MAX_LEASE_SECONDS = 3600.0
MAX_INDEX_TIMEOUT_SECONDS = 3600.0


class SettingsError(Exception):
    """A start-up setting that is malformed or names something unreachable; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_url: URL
    blob_folder: Path | None  # one of blob_folder / azure_container
    azure_container: str | None
    azure_connection_string: str | None
    workers: int
    operation_lease_seconds: float = LEASE_SECONDS
    cors_origins: tuple[str, ...] = ()
    index_timeout_seconds: float = INDEX_TIMEOUT_SECONDS
    limits: Limits = field(default_factory=Limits.defaults)

    @property
    def index_engine(self) -> str:
        return "postgresql" if self.index_url.get_backend_name() == "postgresql" else "sqlite"

    def shown_index_url(self) -> str:
        """The index URL with its password hidden, for messages."""
        shown = self.index_url.set(drivername=self.index_url.get_backend_name())
        return shown.render_as_string(hide_password=True)


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("DATA_DIR") or "build/data")
    index_url = _index_url(env.get("DICOM_INDEX_URL"), data_dir)
    blob_url = env.get("DICOM_BLOB_URL") or str(data_dir / "blobs")
    container = connection = None
    folder: Path | None = None
    if blob_url.startswith(AZURE_SCHEME):
        container = blob_url.removeprefix(AZURE_SCHEME).strip("/")
        if not CONTAINER_NAME.match(container):
            raise SettingsError(
                f"DICOM_BLOB_URL: {blob_url!r} does not name a valid Azure container "
                "(3 to 63 lowercase letters, digits and single hyphens)"
            )
        connection = env.get("AZURE_STORAGE_CONNECTION_STRING")
        if not connection:
            raise SettingsError("AZURE_STORAGE_CONNECTION_STRING: required when DICOM_BLOB_URL is azure://")
    elif "://" in blob_url:
        raise SettingsError(f"DICOM_BLOB_URL: {blob_url!r} is neither a folder nor azure://<container>")
    else:
        folder = Path(blob_url)
    workers = _workers(env.get("WORKERS"))
    lease = _seconds(
        "DICOM_OPERATION_LEASE_SECONDS",
        env.get("DICOM_OPERATION_LEASE_SECONDS"),
        LEASE_SECONDS,
        0.5,
        MAX_LEASE_SECONDS,
    )
    cors = cors_origins(env.get("DICOM_CORS_ORIGINS"))
    timeout = _seconds(
        "DICOM_INDEX_TIMEOUT_SECONDS",
        env.get("DICOM_INDEX_TIMEOUT_SECONDS"),
        INDEX_TIMEOUT_SECONDS,
        1,
        MAX_INDEX_TIMEOUT_SECONDS,
    )
    try:
        limits = Limits.from_environment(env)
    except LimitError as exc:
        raise SettingsError(str(exc)) from None
    return Settings(data_dir, index_url, folder, container, connection, workers, lease, cors, timeout, limits)


def cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _index_url(text: str | None, data_dir: Path) -> URL:
    if not text:
        return make_url(f"sqlite:///{data_dir / 'index.sqlite'}")
    try:
        url = make_url(text)
    except ArgumentError:
        raise SettingsError(
            "DICOM_INDEX_URL: not a database URL (expected postgresql://… or sqlite:///…)"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database:
        return url
    raise SettingsError(
        f"DICOM_INDEX_URL: {url.render_as_string(hide_password=True)!r} is not a postgresql:// "
        "or sqlite:///<file> URL"
    )


def _workers(text: str | None) -> int:
    if not text:
        return min(cores(), DEFAULT_MAX_WORKERS)
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise SettingsError(f"WORKERS: {text!r} is not a number of processes from 1 to {MAX_WORKERS}")
    return int(text)


def _seconds(name: str, text: str | None, default: float, low: float, high: float) -> float:
    """A number of seconds from `low` to `high`, `default` when unset."""
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = low - 1
    if not low <= seconds <= high:  # (NaN fails too)
        raise SettingsError(f"{name}: {text!r} is not a number of seconds from {low:g} to {high:g}")
    return seconds


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# The service's umask: blobs, the SQLite index, temporary files and folders are its user's alone (0600, 0700).
PRIVATE_FILES = 0o077


@dataclass(frozen=True)
class AuthSettings:
    """Who may call the service (`DICOM_AUTH_*`), which `Host` names it answers, where export may write.

    - `DICOM_AUTH_AUTHORITY`: the token issuer's URL (OpenID Connect discovery under it); unset, the service
      checks no token and serves loopback clients only.
    - `DICOM_AUTH_AUDIENCE`: the `aud` tokens must carry (required with an authority).
    - `DICOM_AUTH_ROLES_FILE`: the roles file (default: "DICOM Data Owner" and "DICOM Data Reader").
    - `DICOM_AUTH_ROLES_CLAIM`: the claim that lists the caller's roles (default `roles`).
    - `DICOM_ALLOWED_HOSTS`: comma-separated `Host` names answered (default: bound address, localhost).
    - `DICOM_EXPORT_ALLOWED_HOSTS`: comma-separated hosts export may reach over plain http (default none).
    - `DICOM_SECRET_KEY`: the key (Fernet, 32 url-safe base64 bytes) export destinations' secrets are
      encrypted with at rest (default: a key made once, kept under DATA_DIR readable by its owner only).
    """

    authority: str | None = None
    audience: str | None = None
    roles_file: Path | None = None
    roles_claim: str = "roles"
    allowed_hosts: frozenset[str] | None = None  # None: the bound address and localhost
    export_allowed_hosts: frozenset[str] = frozenset()
    secret_key: str | None = None


def auth_from_environment(environ: Mapping[str, str] | None = None) -> AuthSettings:
    env = os.environ if environ is None else environ
    authority = (env.get("DICOM_AUTH_AUTHORITY") or "").strip().rstrip("/") or None
    audience = (env.get("DICOM_AUTH_AUDIENCE") or "").strip() or None
    if authority is not None:
        scheme, _, rest = authority.partition("://")
        host = rest.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if scheme != "https" and not (scheme == "http" and host in LOOPBACK_HOSTS):
            raise SettingsError(
                f"DICOM_AUTH_AUTHORITY: {authority!r} must be an https:// URL (http:// only on loopback)"
            )
        if audience is None:
            raise SettingsError("DICOM_AUTH_AUDIENCE: required when DICOM_AUTH_AUTHORITY is set")
    roles_file = env.get("DICOM_AUTH_ROLES_FILE")
    if roles_file and not Path(roles_file).is_file():
        raise SettingsError(f"DICOM_AUTH_ROLES_FILE: {roles_file!r} is not a file")
    claim = (env.get("DICOM_AUTH_ROLES_CLAIM") or "roles").strip()
    key = env.get("DICOM_SECRET_KEY") or None
    if key is not None:
        from cryptography.fernet import Fernet

        try:
            Fernet(key.encode())
        except ValueError:
            raise SettingsError(
                "DICOM_SECRET_KEY: not a Fernet key (32 bytes, url-safe base64; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from None
    return AuthSettings(
        authority=authority,
        audience=audience,
        roles_file=Path(roles_file) if roles_file else None,
        roles_claim=claim,
        allowed_hosts=_hosts(env.get("DICOM_ALLOWED_HOSTS")) or None,
        export_allowed_hosts=_hosts(env.get("DICOM_EXPORT_ALLOWED_HOSTS")),
        secret_key=key,
    )


def _hosts(text: str | None) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in (text or "").split(",") if h.strip())


def cors_origins(text: str | None) -> tuple[str, ...]:
    """`*`, or origins as a browser sends them: scheme, host and optional port, no path."""
    origins = tuple(o.strip() for o in (text or "").split(",") if o.strip())
    if origins == ("*",):
        return origins
    for origin in origins:
        if not ORIGIN.match(origin):
            raise SettingsError(
                f"DICOM_CORS_ORIGINS: {origin!r} is not an origin such as https://viewer.example.org:8443"
                " (scheme, host, optional port; no path; or * alone)"
            )
    return origins
