"""Media types with parameters, as DICOMweb uses them (`multipart/related; type="application/dicom"`)."""

from __future__ import annotations


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """(essence, parameters) of a media type; parameter names lower-cased, quotes removed."""
    essence, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in _split_params(rest):
        name, sep, raw = part.partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        params[name.strip().lower()] = raw
    return essence.strip().lower(), params


def _split_params(text: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]
