"""`make serve`: check the settings, migrate the index once, then run WORKERS service processes.

    python -m dicom_service.serve [--host 127.0.0.1] [--port 8080] [--log-level info]

A setting that is wrong or names something unreachable stops here with one line naming it (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys

from dicom_service.ops import settings as ops_settings
from dicom_service.settings import (
    LOOPBACK_HOSTS,
    PRIVATE_FILES,
    SettingsError,
    auth_from_environment,
    from_environment,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dicom_service.serve", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug", "trace"),
        help="the log level; from warning up no line per request is written",
    )
    args = parser.parse_args(argv)
    try:
        auth = auth_from_environment()
        if auth.authority is None and args.host.strip("[]").lower() not in LOOPBACK_HOSTS:
            raise SettingsError(
                f"--host {args.host}: without DICOM_AUTH_AUTHORITY the service answers anyone "
                "who reaches it, so it binds a loopback address only (127.0.0.1, ::1, localhost)"
            )
        settings = from_environment()
        ops = ops_settings.from_environment()
        os.umask(PRIVATE_FILES)  # before the index is created or migrated
        # Imported once the settings are known to be usable: a wrong setting is reported without loading
        # the storage engines.
        from dicom_service.storage.service import DicomService

        DicomService.from_settings(settings).close()  # every setting checked, schema migrated, once
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from dicom_service.ops import serving

    return serving.run("dicom_service.app:app", settings, ops, args.host, args.port, args.log_level)


if __name__ == "__main__":
    sys.exit(main())
