"""Test tiers: `make check` runs the unit tests (not `e2e`); `make test` runs everything, unit tests first.

A test is end to end (`e2e`) when it drives the whole service (in this process or as a process), an engine,
a browser, a site build or a fuzzer: it is marked here from the fixtures it uses, the storage it is
parametrized with, or its module when the whole module is end to end.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from tests.schedule import LongestFileFirst, longest_first

# Fixtures that run the service, PostgreSQL, Azurite, a browser or a MkDocs build.
E2E_FIXTURES = frozenset(
    {
        "service",
        "service_process",
        "engines",
        "storage",
        "opened_service",
        "built_project",
        "built_site",
        "site_url",
    }
)
# Modules that are end to end as a whole (by file name): `-m "not e2e"` does not even import them.
E2E_MODULES = frozenset(
    {
        "test_browser.py",
        "test_fuzz.py",
        "test_make_targets.py",
        "test_concurrency.py",
        "test_durability.py",
        "test_load.py",
        "test_startup.py",
        "test_ohif.py",
        "test_auth_issuer.py",
        "test_faults.py",
        "test_admin_port.py",
        "test_disk_full.py",
        "test_graceful_stop.py",
        "test_version_life.py",
    }
)
# Tests that render the whole project or review every real spec with planted defects (several seconds each):
# end to end so `make check` stays under a minute; `make test` still runs them.
E2E_TESTS = frozenset(
    {
        "test_a_changed_parameter_bound_changes_the_conformance_page",
        "test_real_documents_with_every_defect_are_compared_with_warnings_not_refused",
    }
)
# The service's fixtures (service, service_process, engines, storage, checked, opened_service), for every
# folder of the suite.
pytest_plugins = ("tests.service.fixtures",)


def _module(path: Path) -> str:
    return path.name


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("markexpr", "") == "not e2e" and _module(collection_path) in E2E_MODULES:
        return True
    return None


def _uses_e2e_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    for name in E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
        definitions = info.name2fixturedefs.get(name, ()) if info is not None else ()
        # web/test_request_checks.py has a `service` of its own: a TestClient of a small app.
        if not definitions or definitions[-1].func.__module__ != "tests.web.test_request_checks":
            return True
    return False


def _is_e2e(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(name) for name in ("e2e", "slow", "browser")):
        return True
    if _module(item.path) in E2E_MODULES or getattr(item, "originalname", item.name) in E2E_TESTS:
        return True
    if _uses_e2e_fixture(item):
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
        if not item.get_closest_marker("e2e") and _is_e2e(item):
            item.add_marker(pytest.mark.e2e)
    # Unit tests first, then end to end, the slowest last; a stable sort keeps pytest's grouping of items that
    # share a module- or session-scoped fixture.
    items.sort(key=_tier)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers: whole files, the longest handed out first
        longest_first(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LongestFileFirst | None:
    return LongestFileFirst(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The doc site as `make generate && make docs` builds it (root/build/site): one MkDocs build per run,
    shared by the workers (the first to ask builds it, under a lock; the others read it)."""
    from tests.docs.pages import build_site

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's, not the worker's
    root = shared / "built-site"
    with (shared / "built-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "build" / "site").is_dir():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed in another worker
            root.mkdir()
            result = build_site(root)
            output = result.stdout + result.stderr
            if result.returncode != 0 or "WARNING" in output:
                shutil.rmtree(root / "build", ignore_errors=True)
            assert result.returncode == 0, output
            assert "WARNING" not in output, output
    return root
