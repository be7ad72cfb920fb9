"""The attributes a search returns by default are the ones its version's spec lists (x-dicom queryLevels):
change the spec's list, generate the contracts, and the service follows with no code edited."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import dicom_service.app
from dicom_service.app import create_app
from dicom_service.web.contracts import load_contracts
from generator.model import ApiModel
from generator.render.service import contracts, contracts_json
from tests.fixtures import real_model
from tests.service import data

STUDY_DATE, PATIENT_NAME, STUDY_UID, RETRIEVE_URL = "00080020", "00100010", "0020000D", "00081190"


def with_study_defaults(model: ApiModel, version: str, defaults: list[dict[str, str]]) -> ApiModel:
    spec = model.spec(version)
    dicom: dict[str, Any] = {**spec.dicom, "queryLevels": {**spec.dicom["queryLevels"]}}
    dicom["queryLevels"]["study"] = {**dicom["queryLevels"]["study"], "default": defaults}
    return dataclasses.replace(model, specs={**model.specs, version: dataclasses.replace(spec, dicom=dicom)})


def search_once(tmp_path: Path, model: ApiModel) -> dict[str, Any]:
    """Store one instance in a service built from the model's contracts and search its study in v2."""
    tmp_path.mkdir()
    path = tmp_path / "contracts.json"
    path.write_bytes(contracts_json(contracts(model)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dicom_service.app, "load_contracts", lambda: load_contracts(path))
        app = create_app(environment={"DATA_DIR": str(tmp_path / "data")})
    ds = data.instance(PatientName="Doe^Jane", StudyDate="20240101")
    body, content_type = data.multipart([data.part10(ds)])
    with TestClient(app) as client:
        stored = client.post("/v2/studies", content=body, headers={"content-type": content_type})
        assert stored.status_code == 200, stored.text
        found = client.get("/v2/studies", params={"StudyInstanceUID": ds.StudyInstanceUID})
    assert found.status_code == 200, found.text
    [study] = found.json()
    return dict(study)


def test_the_study_search_returns_what_the_spec_lists_by_default(tmp_path: Path) -> None:
    real = search_once(tmp_path / "real", real_model())
    assert STUDY_DATE in real and PATIENT_NAME in real  # both listed by version 2's spec
    changed = with_study_defaults(real_model(), "2", [{"keyword": "StudyInstanceUID", "tag": STUDY_UID}])
    narrowed = search_once(tmp_path / "changed", changed)
    assert STUDY_DATE not in narrowed and PATIENT_NAME not in narrowed
    assert set(narrowed) == {STUDY_UID, RETRIEVE_URL}  # the match key, and the link every result carries
