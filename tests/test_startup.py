"""A service process whose storage setting is wrong or unreachable stops at start-up with one line naming
the setting, never a traceback: under uvicorn directly and under `make serve`'s launcher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engines import free_port


def _start(tmp_path: Path, command: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), **settings}
    return subprocess.run(
        [sys.executable, *command], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _uvicorn(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    command = ["-m", "uvicorn", "dicom_service.app:app", "--host", "127.0.0.1", "--port", str(free_port())]
    return _start(tmp_path, [*command, "--log-level", "warning"], **settings)


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (
            {"DICOM_INDEX_URL": f"postgresql://dicom@127.0.0.1:{free_port()}/dicom"},
            "DICOM_INDEX_URL: cannot open",
        ),
        ({"DICOM_INDEX_URL": "mysql://db/dicom"}, "DICOM_INDEX_URL: "),
        ({"DICOM_BLOB_URL": "azure://dicom-files"}, "AZURE_STORAGE_CONNECTION_STRING: "),
    ],
)
def test_the_service_process_stops_with_one_line_naming_the_setting(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    result = _uvicorn(tmp_path, **settings)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert [line for line in _lines(result) if named in line], _lines(result)


def test_an_unreachable_blob_account_is_named(tmp_path: Path) -> None:
    closed = free_port()
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;"
    )
    result = _uvicorn(
        tmp_path, DICOM_BLOB_URL="azure://dicom-files", AZURE_STORAGE_CONNECTION_STRING=connection
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert [line for line in _lines(result) if "DICOM_BLOB_URL: cannot reach container" in line]


def test_make_serve_checks_the_settings_before_starting_its_workers(tmp_path: Path) -> None:
    result = _start(tmp_path, ["-m", "dicom_service.serve", "--port", str(free_port())], WORKERS="zero")
    assert result.returncode == 2
    assert _lines(result) == ["error: WORKERS: 'zero' is not a number of processes from 1 to 64"]
    result = _start(
        tmp_path, ["-m", "dicom_service.serve", "--port", str(free_port())], DICOM_INDEX_URL="mysql://db/x"
    )
    assert result.returncode == 2 and len(_lines(result)) == 1
    assert _lines(result)[0].startswith("error: DICOM_INDEX_URL: ")
