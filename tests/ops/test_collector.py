"""Start-up's objects are frozen out of the cycle collector once per process: a started service's
collections walk only what requests make, and an app started again (as tests do) freezes nothing more."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import gc, tempfile
from starlette.testclient import TestClient
from dicom_service.app import create_app
with tempfile.TemporaryDirectory() as data:
    with TestClient(create_app(environment={"DATA_DIR": data})):
        first = gc.get_freeze_count()
        made = [[n] for n in range(50_000)]  # objects of requests, say
    with TestClient(create_app(environment={"DATA_DIR": data})):
        again = gc.get_freeze_count()
print(first, again)
"""


@pytest.mark.e2e  # starts the app twice in a process of its own
def test_startup_objects_are_frozen_once_per_process() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    first, again = map(int, done.stdout.split()[-2:])
    assert first > 50_000  # the specs, validators, routes and libraries of a started app
    assert again < first + 50_000  # a second freeze would have taken the 50,000 lists made meanwhile too
