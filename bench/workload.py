"""The DICOMweb workload both servers get: the same instances, the same requests, the same HTTP client.

Data: STUDIES studies × INSTANCES instances, copies of pydicom's CT_small.dcm with fresh Study, Series and
SOP Instance UIDs and one PatientID per study. The first half of the studies is stored one instance per
request, the second half one study (INSTANCES instances) per request, so each round ends with the whole set
stored and the reads see STUDIES studies. Every request's time covers sending it and reading the whole answer;
every answer's status is checked (a non-2xx aborts the bench) and its content outside the timed span.
"""

from __future__ import annotations

import io
import json
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.filewriter import dcmwrite
from pydicom.uid import generate_uid
from requests.adapters import HTTPAdapter

STUDIES = 20
INSTANCES = 10
READS = 40  # requests per read measure and round
LISTINGS = 15  # the listing of every study is the slowest read; fewer requests keep the run short
READ_BUDGET = 4.0  # seconds per read measure, server and round; past it, the measure stops after MIN_READS
MIN_READS = 10
DICOM_JSON = "application/dicom+json"
INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
STUDY_UID, SOP_UID = "0020000D", "00080018"
REFERENCED_SOPS, FAILED_SOPS = "00081199", "00081198"


class BenchError(RuntimeError):
    """A server answered a measured request wrongly: the figures would measure an error, not the work."""


@dataclass(frozen=True)
class Study:
    uid: str
    series_uid: str
    patient_id: str
    instances: tuple[tuple[str, bytes], ...]  # (SOP Instance UID, Part 10 file)


def make_studies(count: int = STUDIES, per_study: int = INSTANCES) -> list[Study]:
    path = get_testdata_file("CT_small.dcm")
    if path is None:
        raise BenchError("pydicom's bundled CT_small.dcm is missing")
    template = dcmread(path)
    studies = []
    for s in range(count):
        study_uid, series_uid, patient_id = generate_uid(), generate_uid(), f"BENCH-{s:03d}"
        instances = []
        for i in range(per_study):
            sop_uid = generate_uid()
            template.StudyInstanceUID, template.SeriesInstanceUID = study_uid, series_uid
            template.SOPInstanceUID = template.file_meta.MediaStorageSOPInstanceUID = sop_uid
            template.PatientID, template.InstanceNumber = patient_id, i + 1
            buffer = io.BytesIO()
            dcmwrite(buffer, template, enforce_file_format=True)
            instances.append((sop_uid, buffer.getvalue()))
        studies.append(Study(study_uid, series_uid, patient_id, tuple(instances)))
    return studies


def multipart(files: list[bytes]) -> tuple[bytes, str]:
    """A STOW-RS body: one application/dicom part per file (Orthanc's STOW takes nothing else)."""
    boundary = "bench-" + secrets.token_hex(12)
    chunks = []
    for data in files:
        chunks += [f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/related; type="application/dicom"; boundary={boundary}'


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str  # "inst/s" (higher is better) or "ms" (lower is better)
    run: Callable[[Client, str, list[Study]], float]

    @property
    def higher_is_better(self) -> bool:
        return self.unit == "inst/s"


class Client:
    """One keep-alive HTTP client for every server; each request timed and its status checked."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: no proxy, no .netrc
        self.adapter = HTTPAdapter()
        self.session.mount("http://", self.adapter)
        self.server = ""

    def close(self) -> None:
        self.session.close()

    def connections(self, url: str) -> tuple[int, int]:
        """(connections opened, requests sent) to the host of `url`; keep-alive holds when few are opened."""
        pools = self.adapter.poolmanager.pools
        netloc = urlsplit(url)
        for key in pools.keys():  # noqa: SIM118 (the container refuses plain iteration)
            if (key.key_host, key.key_port) == (netloc.hostname, netloc.port):
                pool = pools[key]
                return pool.num_connections, pool.num_requests
        return 0, 0

    def request(
        self, method: str, url: str, accept: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[float, requests.Response]:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, data=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            raise BenchError(f"{self.server}: {method} {url} failed: {exc}") from exc
        elapsed = time.perf_counter() - started
        if not 200 <= response.status_code < 300:
            raise BenchError(
                f"{self.server}: {method} {url} (Accept: {accept}) answered {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        return elapsed, response

    def fail(self, what: str, response: requests.Response) -> BenchError:
        request = response.request
        return BenchError(
            f"{self.server}: {request.method} {request.url} answered {response.status_code} but {what}: "
            f"{response.content[:160]!r}"
        )


def _json(client: Client, response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise client.fail("its body is not JSON", response) from None


def _check_stored(client: Client, response: requests.Response, sops: list[str]) -> None:
    answer = _json(client, response)
    if not isinstance(answer, dict) or answer.get(FAILED_SOPS, {}).get("Value"):
        raise client.fail("it reports failed instances", response)
    referenced = answer.get(REFERENCED_SOPS, {}).get("Value", [])
    if {item.get("00081155", {}).get("Value", [None])[0] for item in referenced} != set(sops):
        raise client.fail(f"it does not reference the {len(sops)} stored instances", response)


def _store(client: Client, root: str, batches: list[list[tuple[str, bytes]]], warm_up: int = 0) -> float:
    """Instances per second over the requests after the first `warm_up` (stored, checked, not counted)."""
    total, count = 0.0, 0
    for number, instances in enumerate(batches):
        body, content_type = multipart([data for _, data in instances])
        elapsed, response = client.request("POST", f"{root}/studies", DICOM_JSON, body, content_type)
        _check_stored(client, response, [sop for sop, _ in instances])
        if number >= warm_up:
            total, count = total + elapsed, count + len(instances)
    return count / total


def store_single(client: Client, root: str, studies: list[Study]) -> float:
    """The first half of the studies, one instance per request; the first request of a fresh server (it
    opens its index, a Python server imports its lazy modules) is a warm-up, not counted."""
    return _store(client, root, [[i] for s in studies[: len(studies) // 2] for i in s.instances], warm_up=1)


def store_batch(client: Client, root: str, studies: list[Study]) -> float:
    """The second half of the studies, one study (all its instances) per request."""
    return _store(client, root, [list(s.instances) for s in studies[len(studies) // 2 :]])


def _reads(
    client: Client, count: int, request: Callable[[int], tuple[str, str]], check: Callable[[int, Any], None]
) -> float:
    """Median ms of `count` GETs (fewer, not under MIN_READS, once READ_BUDGET is spent: a loaded machine
    keeps the run short); request(i) gives (url, accept), check(i, response) reads the answer."""
    times: list[float] = []
    for i in range(count):
        if len(times) >= MIN_READS and sum(times) > READ_BUDGET:
            break
        url, accept = request(i)
        elapsed, response = client.request("GET", url, accept)
        check(i, response)
        times.append(elapsed)
    return statistics.median(times) * 1000


def search_by_uid(client: Client, root: str, studies: list[Study]) -> float:
    def check(i: int, response: requests.Response) -> None:
        answer = _json(client, response)
        uid = studies[i % len(studies)].uid
        if [m.get(STUDY_UID, {}).get("Value", [None])[0] for m in answer] != [uid]:
            raise client.fail(f"it does not answer exactly study {uid}", response)

    return _reads(
        client,
        READS,
        lambda i: (f"{root}/studies?StudyInstanceUID={studies[i % len(studies)].uid}", DICOM_JSON),
        check,
    )


def search_all(client: Client, root: str, studies: list[Study]) -> float:
    expected = {s.uid for s in studies}

    def check(i: int, response: requests.Response) -> None:
        if i == 0:
            found = {m.get(STUDY_UID, {}).get("Value", [None])[0] for m in _json(client, response)}
            if found != expected:
                raise client.fail(f"it lists {len(found)} studies, not the {len(expected)} stored", response)

    return _reads(client, LISTINGS, lambda i: (f"{root}/studies", DICOM_JSON), check)


def _instance(studies: list[Study], i: int) -> tuple[Study, str, bytes]:
    study = studies[i % len(studies)]
    sop, data = study.instances[(i // len(studies)) % len(study.instances)]
    return study, sop, data


def _instance_url(root: str, studies: list[Study], i: int) -> str:
    study, sop, _ = _instance(studies, i)
    return f"{root}/studies/{study.uid}/series/{study.series_uid}/instances/{sop}"


def retrieve_instance(client: Client, root: str, studies: list[Study]) -> float:
    def check(i: int, response: requests.Response) -> None:
        _, sop, data = _instance(studies, i)
        if sop.encode() not in response.content or len(response.content) < len(data) // 2:
            raise client.fail(f"its body ({len(response.content)} bytes) is not instance {sop}", response)

    return _reads(client, READS, lambda i: (_instance_url(root, studies, i), INSTANCE_ACCEPT), check)


def study_metadata(client: Client, root: str, studies: list[Study]) -> float:
    def check(i: int, response: requests.Response) -> None:
        study = studies[i % len(studies)]
        found = {m.get(SOP_UID, {}).get("Value", [None])[0] for m in _json(client, response)}
        if found != {sop for sop, _ in study.instances}:
            raise client.fail(f"it does not describe the {len(study.instances)} instances stored", response)

    return _reads(
        client,
        READS,
        lambda i: (f"{root}/studies/{studies[i % len(studies)].uid}/metadata", DICOM_JSON),
        check,
    )


def one_frame(client: Client, root: str, studies: list[Study]) -> float:
    minimum = 128 * 128 * 2  # CT_small: 128 × 128, 16 bits allocated, uncompressed

    def check(i: int, response: requests.Response) -> None:
        if len(response.content) < minimum:
            raise client.fail(f"its body ({len(response.content)} bytes) is smaller than one frame", response)

    return _reads(
        client, READS, lambda i: (_instance_url(root, studies, i) + "/frames/1", FRAME_ACCEPT), check
    )


MEASURES = (
    Measure("store, 1 instance per request", "inst/s", store_single),
    Measure(f"store, {INSTANCES} instances per request", "inst/s", store_batch),
    Measure("search by StudyInstanceUID", "ms", search_by_uid),
    Measure(f"search listing all {STUDIES} studies", "ms", search_all),
    Measure("retrieve one instance", "ms", retrieve_instance),
    Measure(f"metadata of a {INSTANCES}-instance study", "ms", study_metadata),
    Measure("one frame", "ms", one_frame),
)
