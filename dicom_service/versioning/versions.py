"""API versioning as the service reports it.

- A handler declares the versions it exists in with `@api_version("2")`, or
  `@api_version("1.0-prerelease", deprecated=True)` for a deprecated one (the original's
  `[ApiVersion("1.0-prerelease", Deprecated = true)]`).
- The version is the first URL segment (`/v2/studies`); aliases such as `v2.0` and any letter case name the
  same version. A segment that parses as a version but names none the service has, or names one in which
  the endpoint does not exist, answers 400 with `{"error": {"code": "UnsupportedApiVersion", ...}}`; for a
  retired version the message also says when it was retired and which version to move to.
- Every response of a versioned endpoint carries `api-supported-versions` (its versions that are not
  deprecated) and, when it has any, `api-deprecated-versions`; ascending, a prerelease before its release,
  joined by ", ", printed as declared. Requests to a deprecated version also get `Deprecation`, `Sunset`
  and `Link: <policy>; rel="deprecation"` when the registry gives them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any, TypeVar

from dicom_service.versioning.apiversion import ApiVersion

SUPPORTED_HEADER = "api-supported-versions"
DEPRECATED_HEADER = "api-deprecated-versions"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declared:
    """One `@api_version(...)` annotation."""

    name: str
    deprecated: bool = False

    @property
    def number(self) -> ApiVersion:
        number = ApiVersion.parse(self.name)
        if number is None:
            raise ValueError(f"{self.name!r} is not an API version")
        return number


def api_version(name: str, deprecated: bool = False) -> Callable[[F], F]:
    """Declare that the decorated handler exists in API version `name`."""
    declared = Declared(name, deprecated)
    declared.number  # noqa: B018 -- fail at import time on a typo, not at request time

    def annotate(handler: F) -> F:
        versions: list[Declared] = handler.__dict__.setdefault("__api_versions__", [])
        versions.insert(0, declared)  # decorators apply bottom-up; keep the order they are written in
        return handler

    return annotate


def declared_versions(handler: Callable[..., Any]) -> tuple[Declared, ...]:
    return tuple(getattr(handler, "__api_versions__", ()))


def format_versions(versions: Iterable[Declared]) -> str:
    ordered = sorted(versions, key=lambda v: v.number.sort_key)
    return ", ".join(v.name for v in ordered)


@dataclass(frozen=True)
class VersionHeaders:
    """The versioning headers of one endpoint, computed once from its annotations."""

    supported: str
    deprecated: str

    @classmethod
    def of(cls, declared: Iterable[Declared]) -> VersionHeaders:
        declared = list(declared)
        return cls(
            format_versions(v for v in declared if not v.deprecated),
            format_versions(v for v in declared if v.deprecated),
        )

    def items(self) -> list[tuple[str, str]]:
        headers = [(SUPPORTED_HEADER, self.supported)]
        if self.deprecated:
            headers.append((DEPRECATED_HEADER, self.deprecated))
        return headers


@dataclass(frozen=True)
class ServiceVersion:
    """A version the service has (from the registry)."""

    name: str
    segments: tuple[str, ...]
    prerelease: bool
    deprecated: bool
    deprecation: dt.date | None = None
    sunset: dt.date | None = None
    lifecycle_headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def number(self) -> ApiVersion:
        number = ApiVersion.parse(self.name)
        assert number is not None
        return number


@dataclass(frozen=True)
class RetiredVersion:
    """A version the service no longer serves (the registry keeps its entry)."""

    name: str
    segments: tuple[str, ...]
    retired: dt.date | None = None


class Versions:
    """Resolves URL segments to the service's versions."""

    def __init__(
        self,
        versions: Sequence[ServiceVersion],
        policy_url: str,
        retired: Sequence[RetiredVersion] = (),
        recommended: str = "",
    ) -> None:
        self.all = tuple(_with_lifecycle(v, policy_url) for v in versions)
        named = [v for v in self.all if v.name == recommended] or list(self.all[-1:])
        self.recommended: ServiceVersion | None = named[0] if named else None
        self._retired = {segment.lower(): v for v in retired for segment in v.segments}
        self._retired_by_number = {n: v for v in retired if (n := ApiVersion.parse(v.name)) is not None}
        self._by_number = {v.number: v for v in self.all}
        self._by_segment = {segment.lower(): v for v in self.all for segment in v.segments}

    def resolve(self, segment: str) -> ServiceVersion | None:
        """The version a URL segment names, or None when it names no version the service has."""
        found = self._by_segment.get(segment.lower())
        if found is None:
            number = ApiVersion.from_segment(segment)
            found = self._by_number.get(number) if number else None
        return found

    def retired_version(self, segment: str) -> RetiredVersion | None:
        """The retired version a URL segment names, if any."""
        found = self._retired.get(segment.lower())
        if found is None:
            number = ApiVersion.from_segment(segment)
            found = self._retired_by_number.get(number) if number else None
        return found

    def get(self, name: str) -> ServiceVersion:
        return next(v for v in self.all if v.name == name)


def _with_lifecycle(version: ServiceVersion, policy_url: str) -> ServiceVersion:
    if not version.deprecated:
        return version
    headers: list[tuple[str, str]] = []
    if version.deprecation:
        # RFC 9745: a Structured Field Date, seconds since the epoch.
        midnight = dt.datetime.combine(version.deprecation, dt.time(), dt.UTC)
        headers.append(("deprecation", f"@{int(midnight.timestamp())}"))
    if version.sunset:
        midnight = dt.datetime.combine(version.sunset, dt.time(), dt.UTC)
        headers.append(("sunset", format_datetime(midnight, usegmt=True)))  # RFC 8594: an HTTP-date
    headers.append(("link", f'<{policy_url}>; rel="deprecation"; type="text/html"'))
    return ServiceVersion(
        version.name,
        version.segments,
        version.prerelease,
        version.deprecated,
        version.deprecation,
        version.sunset,
        tuple(headers),
    )


def unsupported_version_body(
    url: str, segment: str, retired: RetiredVersion | None = None, move_to: ServiceVersion | None = None
) -> bytes:
    """The body of a 400 for a version the endpoint does not have, as the original service writes it.

    A retired version's clients also learn when it went and where to go, the policy's promise to them."""
    requested = segment[1:] if segment[:1] in "vV" else segment
    resource = f"The HTTP resource that matches the request URI '{url}'"
    message = f"{resource} does not support the API version '{requested}'."
    if retired is not None:
        when = f" on {retired.retired.isoformat()}" if retired.retired else ""
        message += f" Version {retired.name} was retired{when}"
        message += f"; use version {move_to.name} (/{move_to.segments[0]}/)." if move_to else "."
    body = {"error": {"code": "UnsupportedApiVersion", "message": message}}
    return json.dumps(body, separators=(",", ":")).encode()  # compact, as the service writes it
