"""The blob store as the service uses it, with its failures and the bytes it stores counted in the metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from dicom_service.ops.metrics import BLOB_ERRORS, STORED_BYTES
from dicom_service.storage.blobs import BlobStore

T = TypeVar("T")


class ObservedBlobStore:
    """Delegates to `inner`; every exception it raises is counted under its action, then raised again."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.concurrent_writes = inner.concurrent_writes

    def _counted(self, action: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception:
            BLOB_ERRORS.labels(action).inc()
            raise

    def new_key(self) -> str:
        return self.inner.new_key()

    def staging_path(self, key: str) -> Path | None:
        return self.inner.staging_path(key)

    def put_file(self, key: str, source: Path) -> int:
        size = self._counted("write", lambda: self.inner.put_file(key, source))
        STORED_BYTES.inc(size)
        return size

    def read(self, key: str) -> bytes:
        return self._counted("read", lambda: self.inner.read(key))

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        return self._counted("read", lambda: self.inner.read_range(key, offset, length))

    def stream(self, key: str) -> Iterator[bytes]:
        chunks = self._counted("read", lambda: iter(self.inner.stream(key)))
        while True:
            chunk = self._counted("read", lambda: next(chunks, None))
            if chunk is None:
                return
            yield chunk

    def local_path(self, key: str) -> str | None:
        return self.inner.local_path(key)

    def delete(self, key: str) -> None:
        self._counted("delete", lambda: self.inner.delete(key))

    def keys_older_than(self, moment: dt.datetime) -> Iterator[str]:
        return self.inner.keys_older_than(moment)

    def remove_staged_older_than(self, moment: dt.datetime) -> int:
        return self._counted("delete", lambda: self.inner.remove_staged_older_than(moment))
