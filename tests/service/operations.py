"""Polling long-running operations the way a client does: follow the 202's Location until a 200."""

from __future__ import annotations

import time
from typing import Any

import requests


def wait(session: requests.Session, href: str, timeout: float = 60) -> dict[str, Any]:
    """The operation's final state; every 202 on the way carries a Location to poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = session.get(href)
        if answer.status_code == 200:
            state: dict[str, Any] = answer.json()
            return state
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"].endswith(answer.json()["operationId"])
        assert answer.json()["status"] in ("notStarted", "running")
        time.sleep(0.1)
    raise AssertionError(f"the operation {href} did not end within {timeout} s")


def started(answer: requests.Response) -> str:
    """The operation a 202 started: its href, which is also the Location."""
    assert answer.status_code == 202, answer.text
    reference = answer.json()
    assert answer.headers["Location"] == reference["href"]
    assert len(reference["id"]) == 32 and reference["href"].endswith(f"/operations/{reference['id']}")
    return str(reference["href"])
