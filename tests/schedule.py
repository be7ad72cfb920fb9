"""How pytest-xdist hands test files to its workers: the longest first, and short files behind long ones.

With `--dist loadfile`, xdist orders files by their number of tests and tops a worker up with the next file
whenever two or fewer of its tests are left, so a long file of few tests ran alone at the end while the
other workers sat idle (measured: the last 2% of the suite took 5 of its 9 minutes). Here files go out by
the seconds each took in a measured run, longest first; a worker still busy for a while (a long file's last
tests) is topped up with the shortest file left, so no long file waits behind another. A file not listed
counts as short. Refresh the table when a file's time changes by much:

    make test PYTEST_ARGS=--junitxml=build/junit.xml && .venv/bin/python -m tests.schedule build/junit.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

ROOT = Path(__file__).resolve().parent.parent

# Seconds per file (its tests summed, setup and teardown included) in `make test` on 4 workers, over 5 s.
SECONDS = {
    "tests/ops/test_bounded_stop.py": 95,
    "tests/load/test_faults.py": 74,
    "tests/test_version_life.py": 59,
    "tests/service/test_bounded_memory.py": 51,
    "tests/test_browser.py": 50,
    "tests/operations/test_operations.py": 30,
    "tests/test_contract.py": 30,
    "tests/viewer/test_ohif.py": 29,
    "tests/load/test_load.py": 26,
    "tests/storage/test_concurrency.py": 25,
    "tests/export/test_export.py": 20,
    "tests/ops/test_admin_port.py": 18,
    "tests/web/test_input_limits.py": 14,
    "tests/auth/test_every_operation.py": 12,
    "tests/worklist/test_worklist.py": 12,
    "tests/test_engines.py": 12,
    "tests/operations/test_operation_leases.py": 11,
    "tests/docs/test_conformance_pages.py": 11,
    "tests/ops/test_graceful_stop.py": 10,
    "tests/storage/test_durability.py": 9,
    "tests/test_startup.py": 9,
    "tests/service/test_auth_issuer.py": 8,
    "tests/test_generate.py": 8,
    "tests/retrieve/test_retrieve_delete.py": 8,
    "tests/worklist/test_worklist_bodies.py": 8,
    "tests/test_lifecycle.py": 7,
    "tests/test_loader.py": 7,
    "tests/docs/test_site_build.py": 7,
    "tests/test_make_targets.py": 7,
    "tests/review/test_corpus.py": 7,
    "tests/search/test_study_results.py": 6,
    "tests/query_tags/test_extended_query_tags.py": 6,
    "tests/store/test_bad_input.py": 6,
    "tests/bench/test_dicomweb_sections.py": 6,
    "tests/bulk_update/test_bulk_update.py": 6,
    "tests/store/test_store_uploads.py": 5,
}


# A worker with more than this many seconds of work still pending gets the shortest file left.
BUSY_SECONDS = 5.0


def seconds(item: pytest.Item) -> int:
    try:
        name = item.path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return 0
    return SECONDS.get(name, 0)


def longest_first(items: list[pytest.Item]) -> None:
    """Sort in place by file, longest first; stable, so a file's items keep their order."""
    items.sort(key=lambda item: -seconds(item))


class LongestFileFirst(LoadFileScheduling):  # type: ignore[misc]
    """`--dist loadfile` in collection order (longest first), topping busy workers up from the short end."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False  # keep collection order, which `longest_first` chose
        self._per_test: dict[str, float] = {}

    def _item_seconds(self, nodeid: str) -> float:
        if not self._per_test and self.collection:
            counts: dict[str, int] = {}
            for each in self.collection:
                scope = self._split_scope(each)
                counts[scope] = counts.get(scope, 0) + 1
            self._per_test = {scope: SECONDS.get(scope, 0) / n for scope, n in counts.items()}
        return self._per_test.get(self._split_scope(nodeid), 0.0)

    def _assign_work_unit(self, node: Any) -> None:
        pending = [
            nodeid
            for unit in self.assigned_work.get(node, {}).values()
            for nodeid, done in unit.items()
            if not done
        ]
        if sum(self._item_seconds(nodeid) for nodeid in pending) > BUSY_SECONDS:
            shortest = next(reversed(self.workqueue))
            self.workqueue.move_to_end(shortest, last=False)
        super()._assign_work_unit(node)


def measured(report: Path) -> Counter[str]:
    """Seconds per test file in a JUnit XML report (`pytest --junitxml`)."""
    totals: Counter[str] = Counter()
    for case in ElementTree.parse(report).iter("testcase"):
        module = case.get("classname", "").split(".")
        while module and not module[-1].startswith("test_"):
            module.pop()  # a class inside the module
        totals["/".join(module) + ".py"] += float(case.get("time", 0))
    return totals


if __name__ == "__main__":
    for name, total in measured(Path(sys.argv[1])).most_common():
        if total >= 5:
            print(f'    "{name}": {round(total)},')
