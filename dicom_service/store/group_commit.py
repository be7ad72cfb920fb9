"""SQLite: the single-instance stores of one process that reach the index together share one write
transaction, written by whichever of their threads gets its turn first.

SQLite has one writer: every process's stores take turns on the index's write lock, and a turn costs a
wait, a transaction's begin and a commit whatever it writes. Storing one CT slice per request with four
clients, each store held the lock 1.0-1.6 ms and waited 0.6-1.1 ms for it. A thread whose turn comes
takes, once it holds the lock, the stores that queued meanwhile and writes them with its own: they wait
once and commit once (`site/maintainers/storage.md` has the figures). An instance that is a duplicate
fails alone; any other failure of a shared transaction is retried one instance per transaction, so no
store fails because of another's instance.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from dicom_service.storage.database import Database
from dicom_service.storage.faults import commit_uncertain
from dicom_service.storage.service import utc_now
from dicom_service.store.repository import Entry, Rows, add_rows

LARGEST = 50  # instances written in one shared transaction at most


@dataclass(eq=False)
class _Waiting:
    partition: str
    rows: Rows
    added: bool | None = None  # False: the partition already held the instance
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.added is not None or self.error is not None


class GroupCommit:
    """One index's stores of this process; `add` is called from many threads."""

    def __init__(self, db: Database) -> None:
        self._db = weakref.ref(db)
        self._turn = threading.Lock()  # one shared transaction at a time
        self._guard = threading.Lock()  # guards `_waiting`
        self._waiting: list[_Waiting] = []

    def add(self, partition: str, entry: Entry) -> bool:
        """Index the instance `entry`; False when the partition already holds it. Raises what its
        transaction raised."""
        me = _Waiting(partition, Rows.of(*entry, utc_now()))
        with self._guard:
            self._waiting.append(me)
        with self._turn:
            if not me.done:  # no thread wrote it with its own: write it, with those that wait beside it
                self._write(me)
        if me.error is not None:
            raise me.error
        return bool(me.added)

    def _write(self, me: _Waiting) -> None:
        taken: list[_Waiting] = []

        def take() -> list[Rows]:  # once the write lock is held: this store and those that queued meanwhile
            with self._guard:
                others = [w for w in self._waiting if w.partition == me.partition and w is not me]
                taken.extend([me, *others[: LARGEST - 1]])
                self._waiting = [w for w in self._waiting if w not in taken]
            return [w.rows for w in taken]

        try:
            self._record(taken, add_rows(self._index(), me.partition, take, utc_now()))
        except Exception as exc:
            group = taken or [me]
            if len(group) == 1 or commit_uncertain(exc):
                for waiting in group:
                    waiting.error = exc
                return
            for waiting in group:  # one instance's failure must not fail the others: one at a time
                self._alone(waiting)
        except BaseException as exc:
            for waiting in taken or [me]:
                waiting.error = exc
            raise

    def _alone(self, waiting: _Waiting) -> None:
        try:
            self._record(
                [waiting], add_rows(self._index(), waiting.partition, lambda: [waiting.rows], utc_now())
            )
        except Exception as failure:
            waiting.error = failure

    @staticmethod
    def _record(group: list[_Waiting], added: list[bool]) -> None:
        for waiting, fresh in zip(group, added, strict=True):
            waiting.added = fresh

    def _index(self) -> Database:
        db = self._db()
        assert db is not None  # the index outlives the requests that store into it
        return db


_groups: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()
_groups_guard = threading.Lock()


def of(db: Database) -> GroupCommit:
    """The index's group commit in this process."""
    with _groups_guard:
        found = _groups.get(db)
        if found is None:
            found = _groups[db] = GroupCommit(db)
        return found
