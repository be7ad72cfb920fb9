"""The service's files (blobs, the SQLite index, temporary files) and folders are its user's alone."""

from __future__ import annotations

import stat

from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}


def test_stored_data_is_readable_by_the_services_user_only(service: LiveService, checked: Validated) -> None:
    answer = checked.session().post(
        f"{service.root}/v2/studies", data=data.part10(data.study(1)[0]), headers=STORE
    )
    assert answer.status_code == 200
    paths = [service.data_dir, *service.data_dir.rglob("*")]
    assert len(paths) > 3
    shared = [f"{p} {stat.filemode(p.stat().st_mode)}" for p in paths if p.stat().st_mode & 0o077]
    assert not shared
