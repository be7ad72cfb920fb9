"""The roles file, the auth settings and the loopback-only bind without an authority."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dicom_service.auth.roles import RolesError, load_roles
from dicom_service.settings import SettingsError, auth_from_environment

ACTIONS = ("read", "write", "delete", "export", "bulkUpdate", "manageExtendedQueryTags", "manageWorkitems")


def roles_file(tmp_path: Path, *roles: dict[str, object]) -> Path:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"roles": list(roles)}))
    return path


def test_the_default_roles_are_the_managed_services_owner_and_reader() -> None:
    roles = load_roles(None, ACTIONS).by_name
    assert set(roles) == {"DICOM Data Owner", "DICOM Data Reader"}
    assert all(roles["DICOM Data Owner"].grants(a, "any") for a in ACTIONS)
    reader = roles["DICOM Data Reader"]
    assert reader.grants("read", "Microsoft.Default") and reader.grants("read", "other")
    assert not any(reader.grants(a, "Microsoft.Default") for a in ACTIONS if a != "read")


def test_not_data_actions_and_partition_scopes_narrow_a_role(tmp_path: Path) -> None:
    path = roles_file(
        tmp_path,
        {
            "name": "Ward",
            "dataActions": ["*"],
            "notDataActions": ["delete"],
            "scopes": ["/partitions/ward-7"],
        },
    )
    ward = load_roles(path, ACTIONS).by_name["Ward"]
    assert ward.grants("write", "ward-7") and not ward.grants("delete", "ward-7")
    assert not ward.grants("read", "Microsoft.Default")


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ({"name": "A", "dataActions": ["reed"], "scopes": ["/"]}, "role 'A': unknown data action 'reed'"),
        ({"name": "A", "dataActions": ["read"], "scopes": ["/studies"]}, "scope '/studies' is neither"),
        ({"name": "A", "dataActions": [], "scopes": ["/"]}, "dataActions must be a non-empty list"),
        ({"dataActions": ["read"], "scopes": ["/"]}, "roles[0]: a role is an object with a non-empty name"),
    ],
)
def test_a_wrong_roles_file_is_one_line_naming_the_setting_file_and_role(
    tmp_path: Path, role: dict[str, object], message: str
) -> None:
    path = roles_file(tmp_path, role)
    with pytest.raises(RolesError) as caught:
        load_roles(path, ACTIONS)
    text = str(caught.value)
    assert text.startswith(f"DICOM_AUTH_ROLES_FILE: {path}: ") and message in text and "\n" not in text


def test_auth_settings_are_checked_with_one_line_each(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^DICOM_AUTH_AUDIENCE: required"):
        auth_from_environment({"DICOM_AUTH_AUTHORITY": "https://login.example/tenant/v2.0"})
    with pytest.raises(SettingsError, match="must be an https:// URL"):
        auth_from_environment({"DICOM_AUTH_AUTHORITY": "http://login.example", "DICOM_AUTH_AUDIENCE": "a"})
    with pytest.raises(SettingsError, match=r"^DICOM_SECRET_KEY: not a Fernet key"):
        auth_from_environment({"DICOM_SECRET_KEY": "short"})
    settings = auth_from_environment(
        {
            "DICOM_AUTH_AUTHORITY": "https://login.example/tenant/v2.0/",
            "DICOM_AUTH_AUDIENCE": "api://dicom",
            "DICOM_ALLOWED_HOSTS": "dicom.example.org, LOCALHOST",
            "DICOM_EXPORT_ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    assert settings.authority == "https://login.example/tenant/v2.0" and settings.roles_claim == "roles"
    assert settings.allowed_hosts == {"dicom.example.org", "localhost"}
    assert settings.export_allowed_hosts == {"127.0.0.1"}


@pytest.mark.e2e
def test_without_an_authority_serve_refuses_a_non_loopback_bind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dicom_service.serve", "--host", "0.0.0.0", "--port", "1"],
        env={"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "error: --host 0.0.0.0: without DICOM_AUTH_AUTHORITY the service answers anyone who reaches it, "
        "so it binds a loopback address only (127.0.0.1, ::1, localhost)"
    ]
