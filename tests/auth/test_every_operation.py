"""With an authority set, every operation of every version (derived from the specs) refuses a caller
without a valid token (401, before any other check), a reader anything but `read` (403 naming the action),
a partition-scoped caller everything outside its partition; the owner passes the check. In process, against
the hand-made issuer; the real provider's run is tests/auth/test_oidc_provider.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from functools import cache

import pytest
from starlette.testclient import TestClient

from dicom_service.app import create_app
from dicom_service.auth import keys as keys_module
from dicom_service.auth.audit import LOGGER
from generator.model import ApiModel, ApiSpec, Operation
from tests.auth.issuer import AUDIENCE, Issuer, running_issuer
from tests.contract import SpecValidator, exchange
from tests.fixtures import real_model
from tests.service.data import part10, study

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
pytestmark = pytest.mark.e2e  # the service with its storage, every operation: not the quick tier
REFUSED_QUERY = "%3C"  # `<`: a request the service refuses with 400 once the caller has passed the check


@cache
def model() -> ApiModel:
    return real_model()


@cache
def validator(version: str) -> SpecValidator:
    return SpecValidator(model().spec(version))


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as started:
        yield started


@pytest.fixture(scope="module")
def client(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("auth")
    roles = folder / "roles.json"
    roles.write_text(json.dumps(ROLES))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATA_DIR", str(folder / "data"))
        patch.setenv("DICOM_AUTH_AUTHORITY", issuer.url)
        patch.setenv("DICOM_AUTH_AUDIENCE", AUDIENCE)
        patch.setenv("DICOM_AUTH_ROLES_FILE", str(roles))
        for name in ("DICOM_INDEX_URL", "DICOM_BLOB_URL", "DICOM_ALLOWED_HOSTS"):
            patch.delenv(name, raising=False)
        with TestClient(create_app()) as started:
            yield started


CASES = [
    pytest.param(spec, op, id=f"{spec.version.name}-{op.operation_id}")
    for spec in model().specs.values()
    for op in spec.operations
]


def send(client: TestClient, spec: ApiSpec, op: Operation, token: str | None, refused_query: bool = True):  # type: ignore[no-untyped-def]
    sent = exchange(spec, op, model())
    headers = dict(sent.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    url = sent.url + (("&" if "?" in sent.url else "?") + "q=" + REFUSED_QUERY if refused_query else "")
    return sent, client.request(sent.method, url, headers=headers, content=sent.body)


@pytest.mark.parametrize(("spec", "op"), CASES)
def test_every_operation_checks_the_token_and_the_action_first(
    client: TestClient, issuer: Issuer, spec: ApiSpec, op: Operation
) -> None:
    action = op.extensions["x-data-action"]
    sent, anonymous = send(client, spec, op, None)
    assert anonymous.status_code == 401, anonymous.text
    challenge = anonymous.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert 'error_description="no bearer token in the Authorization header"' in challenge
    assert "api-supported-versions" in anonymous.headers
    validator(spec.version.name).validate(
        op, sent, 401, anonymous.headers, anonymous.content, refused_ok=True
    )

    _, garbage = send(client, spec, op, "not.a.token")
    assert garbage.status_code == 401 and "the token is not a JWT" in garbage.headers["www-authenticate"]

    _, reader = send(client, spec, op, issuer.token(sub="reader", roles=["DICOM Data Reader"]))
    if action == "read":
        assert reader.status_code == 400, reader.text  # passed the check, then refused for the `<`
    else:
        assert reader.status_code == 403, reader.text
        assert f"do not grant the data action '{action}'" in reader.text
        assert "api-supported-versions" in reader.headers
        validator(spec.version.name).validate(op, sent, 403, reader.headers, reader.content, refused_ok=True)

    _, owner = send(client, spec, op, issuer.token())
    assert owner.status_code == 400, owner.text

    partition_scoped = issuer.token(sub="cardiologist", roles=["Cardiology Owner"])
    _, scoped = send(client, spec, op, partition_scoped)
    if op.partitioned:
        assert scoped.status_code == 403, scoped.text  # the example partition is not `cardio`
        sent_in_cardio = exchange(spec, op, model())
        url = sent_in_cardio.url.replace("/partitions/Microsoft.Default/", "/partitions/cardio/", 1)
        url = url.replace(f"/partitions/{_example_partition(op)}/", "/partitions/cardio/", 1)
        inside = client.request(
            sent_in_cardio.method,
            url + ("&" if "?" in url else "?") + "q=" + REFUSED_QUERY,
            headers={**sent_in_cardio.headers, "Authorization": f"Bearer {partition_scoped}"},
            content=sent_in_cardio.body,
        )
        assert inside.status_code == 400, (url, inside.text)
    else:
        assert scoped.status_code == 403, scoped.text  # unscoped routes are the default partition
        assert "in partition 'Microsoft.Default'" in scoped.text


def _example_partition(op: Operation) -> str:
    return str(next(p.example for p in op.parameters if p.name == "partitionName"))


def test_a_store_into_another_partition_than_the_tokens_is_refused_and_creates_nothing(
    client: TestClient, issuer: Issuer
) -> None:
    scoped = {"Authorization": f"Bearer {issuer.token(sub='cardiologist', roles=['Cardiology Owner'])}"}
    instance = part10(study(1)[0])
    store = {**scoped, "Content-Type": "application/dicom", "Accept": "application/dicom+json"}
    refused = client.post("/v2/partitions/radiology/studies", content=instance, headers=store)
    assert refused.status_code == 403 and "in partition 'radiology'" in refused.text
    stored = client.post("/v2/partitions/cardio/studies", content=instance, headers=store)
    assert stored.status_code == 200, stored.text
    owner = {"Authorization": f"Bearer {issuer.token()}"}
    names = [p["partitionName"] for p in client.get("/v2/partitions", headers=owner).json()]
    assert "cardio" in names and "radiology" not in names
    assert (
        client.get("/v2/studies", headers={**scoped, "Accept": "application/dicom+json"}).status_code == 403
    )


def test_an_unreachable_issuer_answers_503_with_retry_after(
    client: TestClient, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    kid = issuer.rotate()  # a key the service has not fetched yet
    monkeypatch.setattr(keys_module, "REFRESH_FLOOR", 0.0)
    issuer.down = True
    token = {"Authorization": f"Bearer {issuer.token(kid=kid)}", "Accept": "application/dicom+json"}
    try:
        answer = client.get("/v2/studies", headers=token)
    finally:
        issuer.down = False
    assert answer.status_code == 503 and answer.headers["retry-after"] == "10"
    assert "api-supported-versions" in answer.headers and "issuer cannot be reached" in answer.text
    assert client.get("/v2/studies", headers=token).status_code in (200, 204)  # back once the issuer is


def test_a_foreign_host_is_refused(client: TestClient, issuer: Issuer) -> None:
    answer = client.get(
        "/v2/studies", headers={"Host": "attacker.example", "Authorization": f"Bearer {issuer.token()}"}
    )
    assert answer.status_code == 400 and "attacker.example" in answer.text


def test_each_request_leaves_one_audit_record_without_patient_data(
    client: TestClient, issuer: Issuer
) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    keep = Keep()
    LOGGER.addHandler(keep)
    try:
        study = "1.2.826.0.1.3680043.8.498.1"
        token = issuer.token(sub="reader-7", azp="viewer-app", roles=["DICOM Data Reader"])
        client.get(
            f"/v2/studies/{study}/series?Modality=SECRET",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/dicom+json"},
        )
        client.delete(f"/v2/studies/{study}", headers={"Authorization": f"Bearer {token}"})
    finally:
        LOGGER.removeHandler(keep)
    assert len(records) == 2
    search, delete = (json.loads(r) for r in records)
    assert search["subject"] == "reader-7" and search["client"] == "viewer-app"
    assert search["operation"] == "searchSeriesInStudy" and search["version"] == "2"
    assert search["partition"] == "Microsoft.Default" and search["study"] == study
    assert len(search["request_id"]) == 32 and search["result"] == "allowed"
    assert delete["operation"] == "deleteStudy" and delete["status"] == 403 and delete["result"] == "refused"
    assert not any("SECRET" in r for r in records)
