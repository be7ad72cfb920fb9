"""Export (v1 and v2) into Azurite: instances written at `<operation>/results/<study>/<series>/<sop>.dcm`,
byte for byte as stored; what could not be exported in `errors.log`; bad specifications answer 400."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from tests.engines import AZURITE_ACCOUNT as ACCOUNT
from tests.engines import AZURITE_KEY as KEY
from tests.engines import Azurite, Engines
from tests.service import data
from tests.service.live import LiveService, Validated
from tests.service.operations import started, wait

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
AS_STORED = {"Accept": "application/dicom; transfer-syntax=*"}


@pytest.fixture
def azurite(engines: Engines) -> Azurite:
    """The destination: the Azurite the suite started (PostgreSQL + Azure runs use other containers)."""
    return engines.azurite


def stored(service: LiveService, checked: Validated, count: int, series: int = 1) -> list[object]:
    instances = data.study(count, series_count=series)
    session = checked.session()
    for ds in instances:
        assert (
            session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
        )
    return list(instances)


def test_export_by_connection_string_writes_every_instance_as_stored(
    service: LiveService, checked: Validated, azurite: Azurite
) -> None:
    session = checked.session()
    study = stored(service, checked, 3, series=2)
    other = stored(service, checked, 2)
    one = other[0]
    missing = "1.2.3.4.5"
    identifiers = [
        study[0].StudyInstanceUID,
        f"{one.StudyInstanceUID}/{one.SeriesInstanceUID}/{one.SOPInstanceUID}",
    ]
    container = azurite.container("exports")
    body = {
        "source": {"type": "identifiers", "settings": {"values": [*identifiers, missing]}},
        "destination": {
            "type": "azureBlob",
            "settings": {"connectionString": azurite.connection_string, "blobContainerName": "exports"},
        },
    }
    href = started(session.post(f"{service.root}/v2/export", json=body))
    op_id = href.rsplit("/", 1)[1]
    state = wait(session, href)
    assert state["type"] == "export" and state["status"] == "succeeded"
    assert state["results"]["exported"] == 4 and state["results"]["skipped"] == 1
    assert state["results"]["errorHref"] == f"{azurite.endpoint}/exports/{op_id}/errors.log"

    for ds in [*study, one]:
        name = f"{op_id}/results/{ds.StudyInstanceUID}/{ds.SeriesInstanceUID}/{ds.SOPInstanceUID}.dcm"
        url = f"{service.root}/v2/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        url += f"/instances/{ds.SOPInstanceUID}"
        assert container.download_blob(name).readall() == session.get(url, headers=AS_STORED).content
    names = [b.name for b in container.list_blobs(name_starts_with=f"{op_id}/results/")]
    assert len(names) == 4
    errors = [
        json.loads(line) for line in container.download_blob(f"{op_id}/errors.log").readall().splitlines()
    ]
    assert [e["identifier"] for e in errors] == [missing] and errors[0]["error"] and errors[0]["timestamp"]


@pytest.mark.behaviour_change("operation-status-succeeded")
def test_export_in_v1_to_a_sas_container_url(
    service: LiveService, checked: Validated, azurite: Azurite
) -> None:
    session = checked.session()
    ds = stored(service, checked, 1)[0]
    container = azurite.container("v1export")
    sas = generate_container_sas(
        ACCOUNT,
        "v1export",
        account_key=KEY,
        permission=ContainerSasPermissions(write=True, create=True),
        expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    body = {
        "source": {"type": "identifiers", "settings": {"values": [ds.StudyInstanceUID]}},
        "destination": {"type": "azureBlob", "settings": {"blobContainerUri": f"{container.url}?{sas}"}},
    }
    href = started(session.post(f"{service.root}/v1/export", json=body))
    state = wait(session, href)
    assert state["status"] == "completed" and state["results"]["exported"] == 1
    assert (
        state["results"]["errorHref"].startswith(container.url) and "?" not in state["results"]["errorHref"]
    )


def test_an_unreachable_destination_fails_the_operation(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    ds = stored(service, checked, 1)[0]
    body = {
        "source": {"type": "identifiers", "settings": {"values": [ds.StudyInstanceUID]}},
        "destination": {
            "type": "azureBlob",
            "settings": {"blobContainerUri": "http://127.0.0.1:9/account/box"},
        },
    }
    state = wait(session, started(session.post(f"{service.root}/v2/export", json=body)))
    assert state["status"] == "failed" and state["results"]["errors"] == [
        "The destination could not be reached."
    ]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "https://account.blob.example.org/box?sv=1",
            "Export to the host 'account.blob.example.org' is not allowed",
        ),
        ("http://10.0.0.7:10000/account/box", "Export to the host '10.0.0.7' is not allowed"),
    ],
)
def test_export_outside_the_allowed_hosts_is_refused_before_any_connection(
    service: LiveService, checked: Validated, uri: str, message: str
) -> None:
    body = {
        "source": {"type": "identifiers", "settings": {"values": ["1.2.3"]}},
        "destination": {"type": "azureBlob", "settings": {"blobContainerUri": uri}},
    }
    answer = checked.session().post(f"{service.root}/v2/export", json=body)
    assert answer.status_code == 400 and message in answer.text


def test_no_export_secret_is_readable_in_the_index(
    service: LiveService, checked: Validated, azurite: Azurite
) -> None:
    if service.storage:
        pytest.skip("the index file is read on the SQLite configuration")
    session = checked.session()
    ds = stored(service, checked, 1)[0]
    azurite.container("sealed")
    settings = {"connectionString": azurite.connection_string, "blobContainerName": "sealed"}
    body = {
        "source": {"type": "identifiers", "settings": {"values": [ds.StudyInstanceUID]}},
        "destination": {"type": "azureBlob", "settings": settings},
    }
    op_id = started(session.post(f"{service.root}/v2/export", json=body))
    index = [service.data_dir / "index.sqlite", service.data_dir / "index.sqlite-wal"]
    while_running = b"".join(p.read_bytes() for p in index if p.exists())
    assert KEY.encode() not in while_running
    assert wait(session, op_id)["status"] == "succeeded"
    with sqlite3.connect(service.data_dir / "index.sqlite") as db:
        specs = [
            json.loads(spec) for (spec,) in db.execute("SELECT spec FROM operation WHERE type = 'export'")
        ]
    assert specs and all("secret" not in spec for spec in specs)  # erased once each operation ended


def test_export_does_not_exist_in_the_prerelease(service: LiveService) -> None:
    # Not through the validating session: the operation is not in the prerelease's spec.
    answer = service.session().post(f"{service.root}/v1.0-prerelease/export", json={}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "UnsupportedApiVersion"


SETTINGS = {"connectionString": "UseDevelopmentStorage=true", "blobContainerName": "box"}
SOURCE = {"type": "identifiers", "settings": {"values": ["1.2.3"]}}
DESTINATION = {"type": "azureBlob", "settings": SETTINGS}
BAD = [
    {},
    {"source": SOURCE},
    {"source": {"type": "files", "settings": {"values": ["1.2.3"]}}, "destination": DESTINATION},
    {"source": {"type": "identifiers", "settings": {"values": []}}, "destination": DESTINATION},
    {"source": {"type": "identifiers", "settings": {"values": ["1.2.3/"]}}, "destination": DESTINATION},
    {
        "source": {"type": "identifiers", "settings": {"values": ["1.2/3.4/5.6/7.8"]}},
        "destination": DESTINATION,
    },
    {"source": {"type": "identifiers", "settings": {"values": [7]}}, "destination": DESTINATION},
    {"source": SOURCE, "destination": {"type": "s3", "settings": SETTINGS}},
    {"source": SOURCE, "destination": {"type": "azureBlob", "settings": {}}},
    {"source": SOURCE, "destination": {"type": "azureBlob", "settings": {"blobContainerName": "box"}}},
    {
        "source": SOURCE,
        "destination": {"type": "azureBlob", "settings": {**SETTINGS, "blobContainerName": "No_Way"}},
    },
    {
        "source": SOURCE,
        "destination": {"type": "azureBlob", "settings": {**SETTINGS, "connectionString": "x"}},
    },
    {
        "source": SOURCE,
        "destination": {"type": "azureBlob", "settings": {**SETTINGS, "useManagedIdentity": True}},
    },
    {"source": SOURCE, "destination": {"type": "azureBlob", "settings": {"blobContainerUri": "not a url"}}},
]


@pytest.mark.parametrize("body", BAD)
def test_bad_specifications_answer_400(service: LiveService, checked: Validated, body: object) -> None:
    answer = checked.session().post(f"{service.root}/v2/export", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
