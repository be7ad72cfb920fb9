"""The service with a real OpenID Connect issuer (oidc-provider on loopback), as a process, on each storage
configuration: tokens from the client-credentials grant, the owner does everything, the reader only reads,
a partition-scoped client sees only its partition, and no version answers a caller without a valid token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.auth.provider import Provider, running_provider
from tests.fixtures import real_model
from tests.service import data
from tests.service.live import LiveService, running

AUDIENCE = "https://dicom.example.test"
ROLES = {
    "roles": [
        {"name": "DICOM Data Owner", "dataActions": ["*"], "notDataActions": [], "scopes": ["/"]},
        {"name": "DICOM Data Reader", "dataActions": ["read"], "notDataActions": [], "scopes": ["/"]},
        {
            "name": "Cardiology Owner",
            "dataActions": ["*"],
            "notDataActions": [],
            "scopes": ["/partitions/cardio"],
        },
    ]
}
STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
JSON = {"Accept": "application/dicom+json"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider(AUDIENCE) as started:
        yield started


@pytest.fixture(scope="module")
def secured(
    provider: Provider, storage: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    folder = Path(tmp_path_factory.mktemp("secured"))
    roles = folder / "roles.json"
    roles.write_text(json.dumps(ROLES))
    settings = {
        **storage,
        "DICOM_AUTH_AUTHORITY": provider.url,
        "DICOM_AUTH_AUDIENCE": AUDIENCE,
        "DICOM_AUTH_ROLES_FILE": str(roles),
    }
    with running(folder / "data", settings) as live:
        yield live


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def test_every_version_refuses_a_caller_without_a_valid_token(
    secured: LiveService, provider: Provider
) -> None:
    versions = [v.segment for v in real_model().registry.versions if not v.retired]
    assert versions
    for segment in versions:
        for headers in ({}, bearer("garbage"), bearer(provider.token("owner") + "x")):
            answer = requests.get(
                f"{secured.root}/{segment}/studies", headers={**headers, **JSON}, timeout=10
            )
            assert answer.status_code == 401, (segment, answer.text)
            assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
            assert "api-supported-versions" in answer.headers


def test_the_owner_stores_reads_and_deletes_and_the_reader_only_reads(
    secured: LiveService, provider: Provider
) -> None:
    owner, reader = provider.token("owner"), provider.token("reader")
    ds = data.study(1)[0]
    body = data.part10(ds)
    root = f"{secured.root}/v2"
    refused = requests.post(f"{root}/studies", data=body, headers=bearer(reader, **STORE), timeout=30)
    assert refused.status_code == 403 and "'write'" in refused.text
    stored = requests.post(f"{root}/studies", data=body, headers=bearer(owner, **STORE), timeout=30)
    assert stored.status_code == 200, stored.text
    study = f"{root}/studies/{ds.StudyInstanceUID}"
    found = requests.get(
        f"{root}/studies?StudyInstanceUID={ds.StudyInstanceUID}", headers=bearer(reader, **JSON)
    )
    assert found.status_code == 200 and len(found.json()) == 1
    assert requests.get(f"{study}/metadata", headers=bearer(reader, **JSON), timeout=30).status_code == 200
    for method, url, payload, action in [
        ("DELETE", study, None, "delete"),
        ("POST", f"{root}/studies/$bulkUpdate", {"studyInstanceUids": [ds.StudyInstanceUID]}, "bulkUpdate"),
        ("POST", f"{root}/export", {"source": {}, "destination": {}}, "export"),
        ("POST", f"{root}/extendedquerytags", [], "manageExtendedQueryTags"),
    ]:
        answer = requests.request(method, url, json=payload, headers=bearer(reader), timeout=30)
        assert answer.status_code == 403 and f"'{action}'" in answer.text, (url, answer.text)
    assert requests.delete(study, headers=bearer(owner), timeout=30).status_code == 204


def test_a_partition_scoped_client_sees_nothing_outside_its_partition(
    secured: LiveService, provider: Provider
) -> None:
    cardio, owner = provider.token("cardio"), provider.token("owner")
    ds = data.study(1)[0]
    body = data.part10(ds)
    root = f"{secured.root}/v2"
    inside = requests.post(f"{root}/partitions/cardio/studies", data=body, headers=bearer(cardio, **STORE))
    assert inside.status_code == 200, inside.text
    elsewhere = requests.post(
        f"{root}/partitions/oncology/studies", data=body, headers=bearer(cardio, **STORE)
    )
    assert elsewhere.status_code == 403  # no partition created outside the token's scope
    names = [p["partitionName"] for p in requests.get(f"{root}/partitions", headers=bearer(owner)).json()]
    assert "cardio" in names and "oncology" not in names
    for url in (f"{root}/studies", f"{root}/partitions/Microsoft.Default/studies", f"{root}/changefeed"):
        assert requests.get(url, headers=bearer(cardio, **JSON), timeout=30).status_code == 403, url
    found = requests.get(f"{root}/partitions/cardio/studies", headers=bearer(cardio, **JSON), timeout=30)
    assert found.status_code == 200 and len(found.json()) == 1
