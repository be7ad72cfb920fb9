"""Test tiers: `make check` runs the unit tests (not `e2e`); `make test` runs everything, unit tests first.

A test is end to end when it needs a process, an engine, a browser or a site build: it is marked `e2e` here
from the fixtures it uses and the storage it is parametrized with, or by its module's `pytestmark`.
"""

from __future__ import annotations

import pytest

# Fixtures that start the service, PostgreSQL, Azurite, a browser or a MkDocs build.
E2E_FIXTURES = frozenset({"service", "engines", "storage", "opened_service", "built_site", "site_url"})


def _is_e2e(item: pytest.Item) -> bool:
    if (
        item.get_closest_marker("e2e")
        or item.get_closest_marker("slow")
        or item.get_closest_marker("browser")
    ):
        return True
    if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(value, str) and value.startswith("postgresql") for value in params)


def _tier(item: pytest.Item) -> int:
    if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
        return 2
    return 1 if item.get_closest_marker("e2e") else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_e2e(item) and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.e2e)
    # Unit tests first, then end to end, the slowest last; a stable sort keeps pytest's grouping of items that
    # share a module- or session-scoped fixture.
    items.sort(key=_tier)
