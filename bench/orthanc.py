"""Orthanc with its DICOMweb plugin as the bench's own process: Debian's `orthanc` and `orthanc-dicomweb`,
installed with apt when missing, run on a free loopback port with its storage and index in our folder, or
with its index in a PostgreSQL database through Debian's `orthanc-postgresql` plugin when that is installed
(or apt can install it); its files stay in a folder (Debian has no object-storage plugin for Orthanc)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.servers import Server, free_port

PACKAGES = ("orthanc", "orthanc-dicomweb")
POSTGRES_PACKAGE = "orthanc-postgresql"  # optional: the PostgreSQL index plugin
BINARY = "/usr/sbin/Orthanc"
APT_TIMEOUT = 600


class Unavailable(RuntimeError):
    """Orthanc is not installed and cannot be installed here; the peer figures are skipped."""


@dataclass(frozen=True)
class Orthanc:
    binary: Path
    dicomweb: Path  # the DICOMweb plugin
    postgres_index: Path | None  # the PostgreSQL index plugin; None when orthanc-postgresql is missing


def _plugin(package: str = "orthanc-dicomweb", name: str = "") -> Path | None:
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        return None
    libraries = [
        Path(line) for line in listing.stdout.splitlines() if ".so" in Path(line).name and name in line
    ]
    present = [p for p in libraries if p.is_file()]
    return min(present, key=lambda p: len(p.name)) if present else None


def _binary() -> Path | None:
    found = shutil.which("Orthanc") or (BINARY if Path(BINARY).is_file() else None)
    return Path(found) if found else None


def _found() -> Orthanc | None:
    binary, plugin = _binary(), _plugin()
    if not (binary and plugin):
        return None
    return Orthanc(binary, plugin, _plugin(POSTGRES_PACKAGE, "PostgreSQLIndex"))


def install() -> Orthanc:
    """Orthanc and its plugins, installing the packages with apt when one is missing (the PostgreSQL index
    plugin is optional: without it, Orthanc runs on its default SQLite index everywhere)."""
    found = _found()
    if found and found.postgres_index:
        return found
    problem = _apt_install((*PACKAGES, POSTGRES_PACKAGE))
    found = _found()
    if found:
        return found
    raise Unavailable(
        problem or f"apt installed {', '.join(PACKAGES)} but the Orthanc binary or plugin is missing"
    )


def _apt_install(packages: tuple[str, ...]) -> str | None:
    """Why apt could not install `packages`, or None when it did."""
    if shutil.which("apt-get") is None:
        return "Orthanc is not installed and this machine has no apt-get to install it"
    if os.geteuid() != 0:
        return (
            f"Orthanc is not installed; run the bench as root, or `sudo apt-get install {' '.join(packages)}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for command in (
        ["apt-get", *lock, "update", "-q"],
        ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` took over {APT_TIMEOUT} s"
        if result.returncode != 0:
            return f"`{' '.join(command)}` failed:\n{(result.stderr or result.stdout)[-1500:]}"
    return None


def server(orthanc: Orthanc, scratch: Path, index_url: str | None = None) -> Server:
    """Orthanc on a free 127.0.0.1 port, storage under `scratch` (an empty folder per round), its index there
    too, or in the PostgreSQL database of `index_url` (postgresql://user@host:port/database, no password)."""
    port = free_port()
    plugins = [str(orthanc.dicomweb)]
    config: dict[str, object] = {
        "Name": "BENCH",
        "StorageDirectory": str(scratch / "storage"),
        "IndexDirectory": str(scratch / "index"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    if index_url is not None:
        if orthanc.postgres_index is None:
            raise Unavailable(f"{POSTGRES_PACKAGE} is not installed: no PostgreSQL index for Orthanc")
        url = urlsplit(index_url)
        plugins.append(str(orthanc.postgres_index))
        config["PostgreSQL"] = {
            "EnableIndex": True,
            "EnableStorage": False,
            "Host": url.hostname,
            "Port": url.port,
            "Database": url.path.lstrip("/"),
            "Username": url.username,
            "Password": url.password or "",
            "EnableSsl": False,
            "Lock": False,
        }
    config["Plugins"] = plugins
    path = scratch / "orthanc.json"
    path.write_text(json.dumps(config, indent=2))
    base = f"http://127.0.0.1:{port}"
    return Server(
        "Orthanc",
        [str(orthanc.binary), str(path)],
        base,
        "/dicom-web",
        "/system",
        scratch / "orthanc.log",
        ready=lambda response: response.status_code == 200,
    )
