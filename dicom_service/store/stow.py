"""STOW-RS: store received instance files, each whole or not at all, and describe the outcome (stored,
failed, multi-valued indexed attributes) and its response data set; the HTTP glue chooses the status code
and the `Warning` header from it.

Order per instance: read and check it, move its file into the blob store, then index it in one
transaction (on SQLite shared by up to GROUP instances of the request). A crash before the commit leaves
at most unreferenced files, which no client can see.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dicom_service import limits
from dicom_service.kernel import instance as reading
from dicom_service.kernel.behaviour import Behaviour
from dicom_service.kernel.instance import Instance, Rejected
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.storage.faults import commit_uncertain
from dicom_service.storage.service import DicomService, utc_now
from dicom_service.store import group_commit
from dicom_service.store.repository import DuplicateInstance, add, add_group

log = logging.getLogger("dicom_service.store")

RetrieveUrl = Callable[..., str]  # (study, series=None, sop=None) → URL


@dataclass
class Outcome:
    stored: list[Instance] = field(default_factory=list)
    failed: list[Rejected] = field(default_factory=list)

    @property
    def multi_valued(self) -> list[str]:
        return sorted({tag for item in self.stored for tag in item.multi_valued})


GROUP = 50  # instances of one request indexed in one SQLite transaction: one commit for them, not one each


def store_files(
    service: DicomService,
    partition: str,
    files: list[Path],
    behaviour: Behaviour,
    study_uid: str | None,
    keys: list[str] | None = None,
) -> Outcome:
    """Store each file whole or not at all, read and indexed one after the other in the order received;
    each under its key in `keys` (the one it was staged for), else a new one.

    Where a write is a network round trip (`blobs.concurrent_writes` > 1), the uploads of a request's
    files overlap, up to that many at once, while the next files are read and checked. On SQLite, up to
    GROUP instances written to the blob store are indexed in one transaction."""
    outcome = Outcome()
    width = service.blobs.concurrent_writes if len(files) > 1 else 1
    group = GROUP if service.index.dialect_name == "sqlite" and len(files) > 1 else 1
    uploads: deque[Upload] = deque()
    with contextlib.ExitStack() as stack:
        pool = None
        if width > 1:
            pool = stack.enter_context(
                ThreadPoolExecutor(max_workers=width, thread_name_prefix="stow-upload")
            )
        try:
            for number, path in enumerate(files):
                try:
                    item = _check(path, behaviour, study_uid)
                except Rejected as rejected:
                    _flush(outcome, service, partition, uploads)  # keep the outcome in the order received
                    outcome.failed.append(rejected)
                    continue
                key = keys[number] if keys is not None else service.blobs.new_key()
                uploads.append(Upload(item, key, _write(service, pool, key, path)))
                # bounded: at most `width` uploads in flight and `group` instances held before indexing
                while len(uploads) >= max(width, group):
                    _index(outcome, service, partition, [uploads.popleft() for _ in range(group)])
            _flush(outcome, service, partition, uploads)
        except BaseException:
            for upload in uploads:  # written, never indexed: no client can see them; remove them
                _discard(service, upload)
            raise
    return outcome


@dataclass
class Upload:
    """An instance read and checked, its file being written to the blob store under `key`."""

    item: Instance
    key: str
    size: Future[int]


def _write(service: DicomService, pool: ThreadPoolExecutor | None, key: str, path: Path) -> Future[int]:
    """The file written to the blob store under `key`: on the pool when there is one, else here and now
    (a failure is then kept in the future, as a concurrent write's would be)."""
    if pool is not None:
        return pool.submit(service.blobs.put_file, key, path)
    size: Future[int] = Future()
    try:
        size.set_result(service.blobs.put_file(key, path))
    except Exception as exc:
        size.set_exception(exc)
    return size


def _record(outcome: Outcome, store: Callable[[], Instance]) -> None:
    try:
        outcome.stored.append(store())
    except Rejected as rejected:
        outcome.failed.append(rejected)
    except Exception as exc:
        if not outcome.stored:
            raise  # nothing is stored yet: the request's own answer (500, or 503 for an engine away) is true
        # An earlier instance is committed: the client must hear so, with this one failed, never a 500.
        log.error("storing an instance failed after %d were stored", len(outcome.stored), exc_info=exc)
        outcome.failed.append(
            Rejected(reading.PROCESSING_FAILURE, f"The instance could not be stored ({type(exc).__name__}).")
        )


def _flush(outcome: Outcome, service: DicomService, partition: str, uploads: deque[Upload]) -> None:
    while uploads:
        _index(outcome, service, partition, [uploads.popleft() for _ in range(min(GROUP, len(uploads)))])


def _check(path: Path, behaviour: Behaviour, study_uid: str | None) -> Instance:
    """The instance read and checked, its preamble zeroed: ready to be written to the blob store."""
    current = limits.current()
    limit = current.sequence_depth
    try:
        item = reading.read(str(path), behaviour, current.bulkdata_threshold)
    except RecursionError:
        raise Rejected(reading.PROCESSING_FAILURE, _too_deep(f"over {limit}", limit)) from None
    depth = sequence_depth(item.metadata)
    if depth > limit:
        raise Rejected(
            reading.PROCESSING_FAILURE, _too_deep(str(depth), limit), item.sop_class_uid, item.sop_uid
        )
    if study_uid is not None and item.study_uid != study_uid:
        raise Rejected(
            reading.STUDY_MISMATCH,
            f"The StudyInstanceUID {item.study_uid} differs from the study in the URL, {study_uid}.",
            item.sop_class_uid,
            item.sop_uid,
        )
    _zero_preamble(path)
    return item


def _too_deep(depth: str, limit: int) -> str:
    return (
        f"The instance nests sequences {depth} levels deep; the limit is {limit} (DICOM_MAX_SEQUENCE_DEPTH)."
    )


def sequence_depth(dataset: JsonDataset) -> int:
    """How deep sequences nest in a DICOM JSON data set (0: no sequence), walked without recursion."""
    deepest = 0
    pending: list[tuple[JsonDataset, int]] = [(dataset, 0)]
    while pending:
        current, depth = pending.pop()
        deepest = max(deepest, depth)
        for attribute in current.values():
            if isinstance(attribute, dict) and attribute.get("vr") == "SQ":
                items = attribute.get("Value") or []
                pending.extend((item, depth + 1) for item in items if isinstance(item, dict))
                deepest = max(deepest, depth + 1)
    return deepest


def _index(outcome: Outcome, service: DicomService, partition: str, uploads: list[Upload]) -> None:
    """Index the uploaded instances and record each one's outcome, in the order received."""
    if len(uploads) == 1 or service.index.dialect_name != "sqlite":
        for upload in uploads:
            _record(outcome, partial(_finish, service, partition, upload))
        return
    results: list[Instance | Rejected] = []
    written: list[tuple[int, Upload, int]] = []  # (place in results, upload, size)
    for upload in uploads:
        try:
            size = _size(service, upload)
        except Rejected as rejected:
            results.append(rejected)
            continue
        written.append((len(results), upload, size))
        results.append(upload.item)
    try:
        added = add_group(service.index, partition, [(u.item, u.key, n) for _, u, n in written], utc_now())
    except Exception as exc:
        for _, upload, _ in written:
            if not commit_uncertain(exc):  # else the index may reference them: left to the orphan sweep
                service.blobs.delete(upload.key)
        if not outcome.stored:
            raise  # nothing is stored yet: the request's own answer (500, or 503 for an engine away) is true
        log.error("storing instances failed after %d were stored", len(outcome.stored), exc_info=exc)
        failure = f"The instance could not be stored ({type(exc).__name__})."
        for place, _, _ in written:
            results[place] = Rejected(reading.PROCESSING_FAILURE, failure)
    else:
        for (place, upload, _), fresh in zip(written, added, strict=True):
            if not fresh:
                service.blobs.delete(upload.key)
                results[place] = _duplicate(upload.item)
    for result in results:
        if isinstance(result, Rejected):
            outcome.failed.append(result)
        else:
            outcome.stored.append(result)


def _size(service: DicomService, upload: Upload) -> int:
    """The size of the uploaded file; a failed upload fails its instance only (272), its blob removed."""
    try:
        return upload.size.result()
    except Exception as exc:
        _discard(service, upload)
        item = upload.item
        raise Rejected(
            reading.PROCESSING_FAILURE,
            f"The instance {item.sop_uid} could not be written to the blob store ({type(exc).__name__}).",
            item.sop_class_uid,
            item.sop_uid,
        ) from None


def _duplicate(item: Instance) -> Rejected:
    return Rejected(
        reading.DUPLICATE, f"The instance {item.sop_uid} is already stored.", item.sop_class_uid, item.sop_uid
    )


def _finish(service: DicomService, partition: str, upload: Upload) -> Instance:
    """Index the uploaded instance: the blob is written before the index commit, and removed when the
    commit does not happen."""
    item, key = upload.item, upload.key
    size = _size(service, upload)
    try:
        if service.index.dialect_name == "sqlite":
            if not group_commit.of(service.index).add(partition, (item, key, size)):
                raise DuplicateInstance(item.sop_uid)
        else:
            add(service.index, partition, item, key, size, utc_now())
    except DuplicateInstance:
        service.blobs.delete(key)
        raise _duplicate(item) from None
    except BaseException as exc:
        if not commit_uncertain(exc):  # else the index may reference it: left to the orphan sweep
            service.blobs.delete(key)
        raise
    return item


def _discard(service: DicomService, upload: Upload) -> None:
    """Wait for the upload to end, then remove whatever it wrote (a failed upload may have written it)."""
    with contextlib.suppress(Exception):
        upload.size.result()
    with contextlib.suppress(Exception):
        service.blobs.delete(upload.key)


def _zero_preamble(path: Path) -> None:
    """The 128-byte preamble may carry anything (even an executable); the service keeps zeros."""
    with path.open("r+b") as file:
        head = file.read(132)
        if len(head) == 132 and head[128:] == b"DICM" and any(head[:128]):
            file.seek(0)
            file.write(bytes(128))


def response(
    outcome: Outcome, behaviour: Behaviour, retrieve_url: RetrieveUrl, study_uid: str | None
) -> JsonDataset:
    """The STOW-RS response dataset (PS3.18 Table 10.5.3-1)."""
    body: JsonDataset = {}
    if study_uid is not None and outcome.stored:
        body["00081190"] = _attribute("UR", retrieve_url(study_uid))
    if outcome.failed:
        body["00081198"] = {"vr": "SQ", "Value": [_failure(item) for item in outcome.failed]}
    if outcome.stored:
        body["00081199"] = {
            "vr": "SQ",
            "Value": [_reference(item, behaviour, retrieve_url) for item in outcome.stored],
        }
    return body


def _attribute(vr: str, value: object) -> dict[str, object]:
    return {"vr": vr, "Value": [value]}


def _failure(item: Rejected) -> JsonDataset:
    dataset: JsonDataset = {}
    if item.sop_class_uid:
        dataset["00081150"] = _attribute("UI", item.sop_class_uid)
    if item.sop_uid:
        dataset["00081155"] = _attribute("UI", item.sop_uid)
    dataset["00081197"] = _attribute("US", item.reason)
    dataset["00741048"] = {"vr": "SQ", "Value": [{"00000902": _attribute("LO", str(item))}]}
    return dataset


def _reference(item: Instance, behaviour: Behaviour, retrieve_url: RetrieveUrl) -> JsonDataset:
    dataset: JsonDataset = {
        "00081150": _attribute("UI", item.sop_class_uid),
        "00081155": _attribute("UI", item.sop_uid),
        "00081190": _attribute("UR", retrieve_url(item.study_uid, item.series_uid, item.sop_uid)),
    }
    if item.warnings:
        dataset["00081196"] = _attribute("US", reading.WARNING_VALIDATION)
        if behaviour.lenient_store:
            dataset["00741048"] = {
                "vr": "SQ",
                "Value": [{"00000902": _attribute("LO", message)} for message in item.warnings],
            }
    return dataset
