"""Orthanc with its DICOMweb plugin as the bench's own process: Debian's `orthanc` and `orthanc-dicomweb`,
installed with apt when missing, run on a free loopback port with its storage and index in our folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench.servers import Server, free_port

PACKAGES = ("orthanc", "orthanc-dicomweb")
BINARY = "/usr/sbin/Orthanc"
APT_TIMEOUT = 600


class Unavailable(RuntimeError):
    """Orthanc is not installed and cannot be installed here; the peer figures are skipped."""


def _plugin() -> Path | None:
    listing = subprocess.run(["dpkg", "-L", "orthanc-dicomweb"], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        return None
    libraries = [Path(line) for line in listing.stdout.splitlines() if ".so" in Path(line).name]
    present = [p for p in libraries if p.is_file()]
    return min(present, key=lambda p: len(p.name)) if present else None


def _binary() -> Path | None:
    found = shutil.which("Orthanc") or (BINARY if Path(BINARY).is_file() else None)
    return Path(found) if found else None


def install() -> tuple[Path, Path]:
    """(Orthanc binary, DICOMweb plugin), installing both packages with apt when either is missing."""
    binary, plugin = _binary(), _plugin()
    if binary and plugin:
        return binary, plugin
    if shutil.which("apt-get") is None:
        raise Unavailable("Orthanc is not installed and this machine has no apt-get to install it")
    if os.geteuid() != 0:
        packages = " ".join(PACKAGES)
        raise Unavailable(
            f"Orthanc is not installed; run the bench as root, or `sudo apt-get install {packages}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for command in (
        ["apt-get", *lock, "update", "-q"],
        ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    ):
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"`{' '.join(command)}` took over {APT_TIMEOUT} s") from exc
        if result.returncode != 0:
            raise Unavailable(f"`{' '.join(command)}` failed:\n{(result.stderr or result.stdout)[-1500:]}")
    binary, plugin = _binary(), _plugin()
    if not (binary and plugin):
        raise Unavailable(f"apt installed {', '.join(PACKAGES)} but the Orthanc binary or plugin is missing")
    return binary, plugin


def server(binary: Path, plugin: Path, scratch: Path) -> Server:
    """Orthanc on a free 127.0.0.1 port, storage and index under `scratch` (an empty folder per round)."""
    port = free_port()
    config = {
        "Name": "BENCH",
        "StorageDirectory": str(scratch / "storage"),
        "IndexDirectory": str(scratch / "index"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": [str(plugin)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    path = scratch / "orthanc.json"
    path.write_text(json.dumps(config, indent=2))
    base = f"http://127.0.0.1:{port}"
    return Server(
        "Orthanc",
        [str(binary), str(path)],
        base,
        "/dicom-web",
        "/system",
        scratch / "orthanc.log",
        ready=lambda response: response.status_code == 200,
    )
