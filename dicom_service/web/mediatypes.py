"""Media types with parameters, as DICOMweb uses them (`multipart/related; type="application/dicom"`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """(essence, parameters) of a media type; parameter names lower-cased, quotes removed."""
    essence, params = _parsed(value)
    return essence, dict(params)


@lru_cache(maxsize=512)  # the same few Accept and Content-Type values, request after request
def _parsed(value: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    essence, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in _split_unquoted(rest, ";"):
        name, sep, raw = part.partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        params[name.strip().lower()] = raw
    return essence.strip().lower(), tuple(params.items())


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split on `separator` outside double quotes; drop empty items."""
    if '"' not in text:  # most values: no quote to step over, character by character
        return [item.strip() for item in text.split(separator) if item.strip()]
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]


@dataclass(frozen=True)
class Representation:
    """One media type an operation can answer with, as its spec declares it."""

    key: str  # the spec's media-type key, e.g. `multipart/related; type="application/dicom"`
    transfer_syntaxes: tuple[str, ...] = ()
    default_transfer_syntax: str | None = None

    @property
    def essence(self) -> str:
        return parse_media_type(self.key)[0]

    @property
    def type_param(self) -> str | None:
        return parse_media_type(self.key)[1].get("type")


@dataclass(frozen=True)
class Choice:
    representation: Representation
    transfer_syntax: str | None

    @property
    def content_type(self) -> str:
        if self.transfer_syntax is None:
            return self.representation.key
        return f"{self.representation.key}; transfer-syntax={self.transfer_syntax}"


def parse_accept(header: str) -> list[tuple[str, dict[str, str]]]:
    """Media ranges of an Accept header, most preferred first; q=0 ranges are dropped."""
    ranges = []
    for position, item in enumerate(_split_unquoted(header, ",")):
        essence, params = parse_media_type(item)
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 0.0
        if essence and quality > 0:
            ranges.append((-quality, position, essence, params))
    return [(essence, params) for _, _, essence, params in sorted(ranges)]


def as_query_accept(value: str, offers: Sequence[Representation]) -> str:
    """An `accept` query parameter as an Accept value (PS3.18 §8.3.3.1): a part's media type (`image/jpeg`)
    on a resource that answers multipart/related messages asks for the message whose parts have that type."""
    if any(offer.essence == value for offer in offers):
        return value
    for offer in offers:
        if offer.essence == "multipart/related" and (offer.type_param or "").lower() == value.lower():
            return f'multipart/related; type="{value}"'
    return value


def negotiate(accept: str | None, offers: Sequence[Representation], accept_required: bool) -> Choice | None:
    """The representation to answer with, or None when nothing acceptable can be produced (406)."""
    if not offers:
        return None
    if accept is None or not accept.strip():
        if accept_required:
            return None
        return Choice(offers[0], offers[0].default_transfer_syntax)
    for essence, params in parse_accept(accept):
        for offer in offers:
            choice = _match(essence, params, offer)
            if choice is not None:
                return choice
    return None


def _match(essence: str, params: dict[str, str], offer: Representation) -> Choice | None:
    if essence == "*/*":
        return Choice(offer, offer.default_transfer_syntax)
    offered = offer.essence
    if essence.endswith("/*"):
        if not offered.startswith(essence[:-1]):
            return None
    elif essence != offered:
        return None
    wanted_type = params.get("type")
    if wanted_type and not _type_matches(wanted_type.lower(), (offer.type_param or "").lower()):
        return None
    syntax = params.get("transfer-syntax")
    if syntax is None:
        return Choice(offer, offer.default_transfer_syntax)
    if offer.transfer_syntaxes and syntax not in offer.transfer_syntaxes:
        return None
    return Choice(offer, syntax)


def _type_matches(wanted: str, offered: str) -> bool:
    """A multipart `type=` parameter may itself be a range: `*/*` (dicomweb-client's default) or `image/*`."""
    if wanted == "*/*":
        return bool(offered)
    if wanted.endswith("/*"):
        return offered.startswith(wanted[:-1])
    return wanted == offered


def find_key(content_type: str, keys: Iterable[str]) -> str | None:
    """The spec key a Content-Type stands for: the same essence and, if the key has one, the same `type=`."""
    essence, params = parse_media_type(content_type)
    fallback = None
    for key in keys:
        key_essence, key_params = parse_media_type(key)
        if key_essence != essence:
            continue
        if "type" in key_params:
            if key_params["type"].lower() == params.get("type", "").lower():
                return key
        elif fallback is None:
            fallback = key
    return fallback
