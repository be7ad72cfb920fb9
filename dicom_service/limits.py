"""Every input's limit in one table: its setting, its default, and what a client gets past it.

The service reads the values from the environment at start-up (`Limits.from_environment`, a wrong value is one
line naming the setting); the generator writes the same table, defaults included, into each conformance
statement's limits section and the doc site. Nothing else states a limit's default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


class LimitError(ValueError):
    """A limit setting that is not a number in its range; the message is one line naming it."""


@dataclass(frozen=True)
class Limit:
    field: str  # the attribute of `Limits`
    setting: str  # the environment variable
    default: int
    minimum: int
    maximum: int
    unit: str  # bytes, parts, levels, pixels, seconds, requests, connections
    what: str  # what is limited
    answer: str  # what the client gets past the limit
    operation: str | None = None  # the operationId a version must have for the limit to apply there

    def shown(self, value: int | None = None) -> str:
        """The value as people read it: `2 GiB`, `10,000 parts`."""
        value = self.default if value is None else value
        if self.unit == "bytes":
            for size, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
                if value >= size and value % size == 0:
                    return f"{value // size:,} {name}"
        return f"{value:,} {self.unit}"


LIMITS: tuple[Limit, ...] = (
    Limit(
        "request_bytes",
        "DICOM_MAX_REQUEST_BYTES",
        2 * GIB,
        1 * KIB,
        1 << 40,
        "bytes",
        "a STOW-RS request body",
        "413, from Content-Length before any byte is read, or as soon as the streamed body passes it; "
        "nothing of the request is stored and its temporary files are removed at once",
    ),
    Limit(
        "instance_bytes",
        "DICOM_MAX_INSTANCE_BYTES",
        2 * GIB,
        1 * KIB,
        1 << 40,
        "bytes",
        "one instance (an application/dicom body, or one part of a multipart/related body)",
        "413 naming the part, as soon as the part passes it; nothing of the request is stored",
    ),
    Limit(
        "parts",
        "DICOM_MAX_PARTS",
        10_000,
        1,
        1_000_000,
        "parts",
        "the parts of a multipart/related STOW-RS body",
        "413 as soon as the part past the limit begins; nothing of the request is stored",
    ),
    Limit(
        "json_bytes",
        "DICOM_MAX_JSON_BYTES",
        16 * MIB,
        1 * KIB,
        1 * GIB,
        "bytes",
        "a JSON request body (worklist items, extended query tags, export, bulk update)",
        "413, from Content-Length or as soon as the streamed body passes it",
    ),
    Limit(
        "sequence_depth",
        "DICOM_MAX_SEQUENCE_DEPTH",
        32,
        1,
        80,  # DICOM JSON answers are written by orjson, which stops at 255 levels (3 per sequence)
        "levels",
        "sequences nested in a data set (a stored instance, a DICOM JSON body)",
        "a stored instance fails with reason 272 naming the depth (the request's other instances are "
        "stored); a DICOM JSON body answers 400",
    ),
    Limit(
        "frame_pixels",
        "DICOM_MAX_FRAME_PIXELS",
        40_000_000,
        1,
        1 << 40,
        "pixels",
        "one frame decoded to render or transcode it (rows × columns × samples per pixel, from the header)",
        "406 naming the limit, before any decoding",
    ),
    Limit(
        "decoded_bytes",
        "DICOM_MAX_DECODED_BYTES",
        100_000_000,
        1 * KIB,
        1 << 40,
        "bytes",
        "the pixel data a request holds decoded at once to render or transcode, from the header (an instance"
        " transcoded frame by frame holds one frame)",
        "406 naming the limit, before any decoding",
    ),
    Limit(
        "bulkdata_threshold",
        "DICOM_BULKDATA_THRESHOLD",
        1 * KIB,
        0,
        64 * KIB,
        "bytes",
        "the largest binary value (OB, OD, OF, OL, OV, OW, UN) metadata carries inline, as InlineBinary",
        "the attribute carries a BulkDataURI to its bulk-data resource instead (Pixel Data always does)",
        operation="retrieveInstanceBulkData",
    ),
    Limit(
        "cpu_queue",
        "DICOM_MAX_CPU_QUEUE",
        64,
        0,
        100_000,
        "requests",
        "requests of one process waiting for a CPU worker (parsing, checking, decoding, encoding); "
        "each process runs as many CPU workers at once as the machine has cores",
        "503 with Retry-After, at once rather than after a wait without end",
    ),
    Limit(
        "connections",
        "DICOM_MAX_CONNECTIONS",
        512,
        1,
        100_000,
        "connections",
        "open connections (and requests in progress) of one process",
        "503 with Retry-After, and the connection closed at once",
    ),
    Limit(
        "body_timeout",
        "DICOM_BODY_TIMEOUT_SECONDS",
        60,
        1,
        86_400,
        "seconds",
        "the wait for the next chunk of a request body",
        "408; the request is dropped and its temporary files removed",
    ),
    Limit(
        "send_timeout",
        "DICOM_SEND_TIMEOUT_SECONDS",
        60,
        1,
        86_400,
        "seconds",
        "the wait for a client to take more of an answer",
        "the connection is closed",
    ),
    Limit(
        "keep_alive_timeout",
        "DICOM_KEEP_ALIVE_SECONDS",
        10,
        1,
        3_600,
        "seconds",
        "an idle keep-alive connection, and the wait for a request's line and headers",
        "an idle connection is closed; a request whose headers are late is answered 408 and closed",
    ),
)


@dataclass(frozen=True)
class Limits:
    request_bytes: int
    instance_bytes: int
    parts: int
    json_bytes: int
    sequence_depth: int
    frame_pixels: int
    decoded_bytes: int
    bulkdata_threshold: int
    cpu_queue: int
    connections: int
    body_timeout: int
    send_timeout: int
    keep_alive_timeout: int

    @classmethod
    def defaults(cls) -> Limits:
        return cls(**{limit.field: limit.default for limit in LIMITS})

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        return cls(**{limit.field: _value(limit, env.get(limit.setting)) for limit in LIMITS})


@cache
def current() -> Limits:
    """This process's limits, read from the environment once (start-up checks them: `settings.py`)."""
    return Limits.from_environment()


def describe(field: str) -> Limit:
    return next(limit for limit in LIMITS if limit.field == field)


def _value(limit: Limit, text: str | None) -> int:
    if text is None or not text.strip():
        return limit.default
    digits = text.strip().replace("_", "")
    if not digits.isdigit() or not limit.minimum <= int(digits) <= limit.maximum:
        raise LimitError(
            f"{limit.setting}: {text!r} is not a whole number of {limit.unit} "
            f"from {limit.minimum:,} to {limit.maximum:,}"
        )
    return int(digits)


assert [f.name for f in fields(Limits)] == [limit.field for limit in LIMITS]
