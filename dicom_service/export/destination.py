"""Where an export may write, and its secret at rest.

Before any connection: the destination must be `https`, unless its host is in `DICOM_EXPORT_ALLOWED_HOSTS`;
when that list is set, only its hosts are reachable at all (so export cannot probe the service's network).
The destination (connection string or SAS URL) is stored with the operation sealed with Fernet
(AES-128-CBC + HMAC-SHA256) under the `secret` key of its spec, which the operation drops when it ends.

The key is `DICOM_SECRET_KEY`, or else one made once and kept in `<DATA_DIR>/secret.key` (mode 0600), which
serves one machine: processes on several machines need `DICOM_SECRET_KEY` set alike.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from cryptography.fernet import Fernet, InvalidToken

from dicom_service.operations.operation import SECRET
from dicom_service.settings import AuthSettings, auth_from_environment

if TYPE_CHECKING:
    from dicom_service.storage.service import DicomService

__all__ = ["SECRET", "DestinationRefused", "DestinationRules", "configure", "rules"]

KEY_FILE = "secret.key"


class DestinationRefused(ValueError):
    """The destination is not one export may reach; the message is shown to the client (400)."""


@dataclass(frozen=True)
class DestinationRules:
    allowed_hosts: frozenset[str]  # empty: any host, over https only
    key: bytes

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.allowed_hosts and host not in self.allowed_hosts:
            raise DestinationRefused(f"Export to the host '{host}' is not allowed by this service.")
        if parts.scheme != "https" and host not in self.allowed_hosts:
            raise DestinationRefused(
                f"The destination must be an https URL; '{parts.scheme}://{host}' is not allowed."
            )

    def seal(self, destination: dict[str, Any]) -> str:
        return Fernet(self.key).encrypt(json.dumps(destination).encode()).decode()

    def unseal(self, sealed: str) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(Fernet(self.key).decrypt(sealed.encode()))
        except InvalidToken:
            raise DestinationRefused(
                "The destination's credentials cannot be read with this service's secret key."
            ) from None
        return opened


_BY_SERVICE: WeakKeyDictionary[DicomService, DestinationRules] = WeakKeyDictionary()


def configure(service: DicomService, auth: AuthSettings) -> None:
    """The rules of the service's process, from its settings, read once at start-up."""
    key = auth.secret_key.encode() if auth.secret_key else _key_file(service.data_dir / KEY_FILE)
    _BY_SERVICE[service] = DestinationRules(auth.export_allowed_hosts, key)


def rules(service: DicomService) -> DestinationRules:
    if service not in _BY_SERVICE:  # a service opened outside the application: the process's environment
        configure(service, auth_from_environment())
    return _BY_SERVICE[service]


def _key_file(path: Path) -> bytes:
    """The key kept under DATA_DIR, made by the first process that needs it (the others read it)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        key = Fernet.generate_key()
        file.write(key)
    return key
