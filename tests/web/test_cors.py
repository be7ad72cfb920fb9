"""Cross-origin use by browser viewers: preflights answered before routing, headers exposed, only the
configured origins, never credentials; nothing added when DICOM_CORS_ORIGINS is unset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from dicom_service.app import create_app
from dicom_service.settings import SettingsError, from_environment

Response = httpx.Response
VIEWER = "http://127.0.0.1:3000"


def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, origins: str | None) -> Iterator[TestClient]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    if origins is None:
        monkeypatch.delenv("DICOM_CORS_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("DICOM_CORS_ORIGINS", origins)
    with TestClient(create_app()) as started:
        yield started


@pytest.fixture
def viewer_allowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    yield from client(monkeypatch, tmp_path, f"{VIEWER}, https://viewer.example.org")


def preflight(http: TestClient, path: str, origin: str = VIEWER, headers: str = "authorization") -> Response:
    return http.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_a_preflight_is_answered_before_routing(viewer_allowed: TestClient) -> None:
    answer = preflight(viewer_allowed, "/v2/studies/1.2/series", headers="authorization,accept,if-none-match")
    assert answer.status_code == 200
    headers = answer.headers
    assert headers["access-control-allow-origin"] == VIEWER
    assert "DELETE" in headers["access-control-allow-methods"]
    allowed = headers["access-control-allow-headers"].lower()
    for name in ("authorization", "accept", "content-type", "if-none-match"):
        assert name in allowed
    assert headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in headers


def test_an_answer_exposes_the_headers_a_client_reads(viewer_allowed: TestClient) -> None:
    answer = viewer_allowed.get("/v2/studies", headers={"Origin": VIEWER, "Accept": "application/dicom+json"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == VIEWER
    exposed = answer.headers["access-control-expose-headers"].lower()
    for name in ("api-supported-versions", "api-deprecated-versions", "deprecation", "sunset", "link"):
        assert name in exposed
    for name in ("location", "content-location", "etag", "warning", "erroneous-dicom-attributes"):
        assert name in exposed
    unversioned = viewer_allowed.get("/studies", headers={"Origin": VIEWER})
    assert unversioned.status_code == 404 and unversioned.headers["access-control-allow-origin"] == VIEWER


def test_another_origin_is_refused(viewer_allowed: TestClient) -> None:
    answer = preflight(viewer_allowed, "/v2/studies", origin="https://elsewhere.example.org")
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    plain = viewer_allowed.get("/v2/studies", headers={"Origin": "https://elsewhere.example.org"})
    assert "access-control-allow-origin" not in plain.headers


def test_nothing_cross_origin_without_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for http in client(monkeypatch, tmp_path, None):
        assert preflight(http, "/v2/studies").status_code == 405
        answer = http.get("/v2/studies", headers={"Origin": VIEWER})
        assert "access-control-allow-origin" not in answer.headers


def test_any_origin_is_star_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for http in client(monkeypatch, tmp_path, "*"):
        answer = http.get("/v2/studies", headers={"Origin": VIEWER, "Cookie": "session=1"})
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers


def test_the_setting_is_read_as_origins() -> None:
    settings = from_environment({"DICOM_CORS_ORIGINS": " https://a.example.org:8443 ,http://[::1]:3000"})
    assert settings.cors_origins == ("https://a.example.org:8443", "http://[::1]:3000")
    assert from_environment({}).cors_origins == ()


@pytest.mark.parametrize(
    "value", ["https://a.example.org/viewer", "a.example.org", "*, https://a.example.org"]
)
def test_a_wrong_origin_is_one_line_naming_the_setting(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment({"DICOM_CORS_ORIGINS": value})
    assert str(raised.value).startswith("DICOM_CORS_ORIGINS: ") and "\n" not in str(raised.value)


def test_the_conformance_statements_name_what_is_allowed_and_exposed() -> None:
    from dicom_service.web import cors
    from tests.fixtures import served_segments

    for name in served_segments():
        statement = (Path(__file__).parents[2] / "site" / "conformance" / f"{name}.md").read_text()
        section = statement.split("### Cross-origin requests (CORS)", 1)[1].split("\n### ", 1)[0]
        for header in (*cors.REQUEST_HEADERS, *cors.EXPOSED_HEADERS, *cors.METHODS):
            assert f"`{header}`" in section, (name, header)
        assert f"for {cors.MAX_AGE_SECONDS} seconds" in section
