"""One running service per test module, on loopback, with its data in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.live import LiveService, Validated, running


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with running(Path(tmp_path_factory.mktemp("service")) / "data") as live:
        yield live


@pytest.fixture
def checked() -> Validated:
    return Validated()
