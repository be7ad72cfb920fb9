"""The service's log as JSON lines on standard error: one object per record, tracebacks as a field.

Request lines (`dicom_service.access`) carry their fields in `extra={"fields": {...}}`; uvicorn's own access
log is off (its lines hold the raw query string, patient data included), its other records come through
the same formatter.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker, with several
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def log_config(level: str = "info") -> dict[str, Any]:
    """A logging.config dictionary for uvicorn (`log_config=`): every logger of the service as JSON lines."""
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "dicom_service": {"handlers": ["stderr"], "level": upper, "propagate": False},
        },
    }
