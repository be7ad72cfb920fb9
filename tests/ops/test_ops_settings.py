"""The operator's settings: each wrong value stops start-up with one line naming it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dicom_service.ops.settings import OpsSettings, from_environment
from dicom_service.settings import SettingsError
from dicom_service.settings import from_environment as storage_settings


def test_the_admin_listener_is_off_unless_a_port_is_given() -> None:
    assert from_environment({}) == OpsSettings(None, "127.0.0.1", 30)
    assert from_environment({"ADMIN_PORT": "9090", "DICOM_SHUTDOWN_SECONDS": "5"}) == OpsSettings(
        9090, "127.0.0.1", 5
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADMIN_PORT", "http", "ADMIN_PORT: 'http' is not a port number from 1 to 65535"),
        ("ADMIN_PORT", "70000", "ADMIN_PORT: '70000' is not a port number from 1 to 65535"),
        ("DICOM_SHUTDOWN_SECONDS", "-1", "DICOM_SHUTDOWN_SECONDS: '-1' is not a whole number of seconds"),
    ],
)
def test_a_wrong_operator_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_environment({name: value})


def test_the_index_timeout_is_a_number_of_seconds(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path)}
    assert storage_settings(env).index_timeout_seconds == 30
    assert storage_settings({**env, "DICOM_INDEX_TIMEOUT_SECONDS": "2.5"}).index_timeout_seconds == 2.5
    with pytest.raises(SettingsError, match="DICOM_INDEX_TIMEOUT_SECONDS: '0' is not a number of seconds"):
        storage_settings({**env, "DICOM_INDEX_TIMEOUT_SECONDS": "0"})


@pytest.mark.e2e
def test_an_admin_port_in_use_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "dicom_service.serve", "--port", "0"],
            env={"DATA_DIR": str(tmp_path), "ADMIN_PORT": str(port), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr == f"error: ADMIN_PORT: cannot listen on 127.0.0.1:{port}: Address already in use\n"
