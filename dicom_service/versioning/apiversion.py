"""API version numbers as the service understands them in URLs: `1`, `1.0`, `2.0`, `1.0-prerelease`.

Versions compare by major, minor (a missing minor is 0) and a case-insensitive status label, so `v1` and
`v1.0` name the same version and `v1-PRERELEASE` equals `v1.0-prerelease`. A labelled version sorts before the
release with the same number. Shared by the generator (registry checks) and the runtime (request routing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(\d{1,9})(?:\.(\d{1,9}))?(?:-([A-Za-z][A-Za-z0-9]{0,31}))?$")


@dataclass(frozen=True)
class ApiVersion:
    major: int
    minor: int
    status: str | None

    @classmethod
    def parse(cls, text: str) -> ApiVersion | None:
        """The version written as `text` (no leading `v`), or None when it is not a version at all."""
        match = _VERSION.match(text)
        if match is None:
            return None
        major, minor, status = match.groups()
        return cls(int(major), int(minor or 0), status.lower() if status else None)

    @classmethod
    def from_segment(cls, segment: str) -> ApiVersion | None:
        """The version in a URL segment such as `v1.0`, or None when the segment is not `v<version>`."""
        if len(segment) < 2 or segment[0] not in "vV":
            return None
        return cls.parse(segment[1:])

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.major, self.minor, 0 if self.status else 1, self.status or "")

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + (f"-{self.status}" if self.status else "")
