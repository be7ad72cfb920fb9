"""Search Workitems: the worklist's searchable attributes, the search keys a workitem is indexed under, and
the parsing of a query string into filters (the QIDO-RS rules of `query.py`, plus sequence paths and
date-time ranges). Raises `QueryError` with a sentence for the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from dicom_service.kernel import tags, values
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.kernel.tags import Match
from dicom_service.search.query import QueryError, attribute_pairs, includefield
from dicom_service.worklist.attributes import RETURNED

# Searchable attribute path (tags joined by `.`) → how it matches.
SEARCHABLE: dict[str, Match] = {
    tags.tag_of("PatientName"): Match.PERSON_NAME,
    tags.tag_of("PatientID"): Match.TEXT,
    "0040A370.00080050": Match.TEXT,  # ReferencedRequestSequence.AccessionNumber
    "0040A370.00401001": Match.TEXT,  # ReferencedRequestSequence.RequestedProcedureID
    tags.tag_of("ScheduledProcedureStepStartDateTime"): Match.DATE,
    "00404025.00080100": Match.TEXT,  # ScheduledStationNameCodeSequence.CodeValue
    "00404026.00080100": Match.TEXT,  # ScheduledStationClassCodeSequence.CodeValue
    "00404027.00080100": Match.TEXT,  # ScheduledStationGeographicLocationCodeSequence.CodeValue
    tags.tag_of("ProcedureStepState"): Match.TEXT,
    tags.tag_of("StudyInstanceUID"): Match.UID,
}
_NAMES = ", ".join(".".join(tags.keyword(t) for t in path.split(".")) for path in SEARCHABLE)

_DATE_TIME = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?")


@dataclass(frozen=True)
class KeyFilter:
    key: str  # a SEARCHABLE path
    match: Match
    values: tuple[str, ...] = ()  # exact match on any of these (folded)
    low: str | None = None  # date-time range bounds, inclusive, 14 digits
    high: str | None = None
    words: tuple[str, ...] = ()  # fuzzy person-name match: each word prefixes a name word


@dataclass
class WorkitemQuery:
    partition: str
    filters: list[KeyFilter] = field(default_factory=list)
    include: set[str] = field(default_factory=set)
    include_all: bool = False
    limit: int = field(kw_only=True)  # paging comes from the spec's parameter defaults and bounds
    offset: int = field(kw_only=True)

    def returned(self, dataset: JsonDataset) -> JsonDataset:
        """The part of a workitem's data set a result carries."""
        if self.include_all:
            return dataset
        wanted = RETURNED | self.include | {f.key.split(".")[0] for f in self.filters}
        return {tag: value for tag, value in dataset.items() if tag in wanted}


def search_keys(dataset: JsonDataset) -> list[tuple[str, str]]:
    """The (path, comparison form) pairs a workitem is found by; a sequence path once per item's value."""
    keys = []
    for path, match in SEARCHABLE.items():
        for value in _values_at(dataset, path.split(".")):
            if isinstance(value, dict):
                value = value.get("Alphabetic") or ""
            if not isinstance(value, str) or not value.strip():
                continue
            keys.append((path, _fold(match, value)))
    return keys


def parse(
    partition: str,
    pairs: Iterable[tuple[str, str]],
    limit: int,
    offset: int,
    fuzzy: bool,
    control: frozenset[str] = frozenset(),
) -> WorkitemQuery:
    query = WorkitemQuery(partition, limit=limit, offset=offset)
    seen: set[str] = set()
    for key, value in attribute_pairs(pairs, partial(_include, query), control):
        path = _path(key)
        if path is None:
            raise QueryError(f"The query parameter '{key}' is not a known attribute keyword, tag or path.")
        if path not in SEARCHABLE:
            raise QueryError(
                f"The attribute '{key}' is not searchable on workitems; searchable are {_NAMES}."
            )
        if path in seen:
            raise QueryError(f"The attribute '{key}' is given more than once; each may appear at most once.")
        seen.add(path)
        query.filters.append(_filter(key, path, value, fuzzy))
    return query


def _path(key: str) -> str | None:
    parts = [tags.parse_attribute(part) for part in key.split(".")]
    if any(part is None for part in parts):
        return None
    return ".".join(part for part in parts if part is not None)


def _include(query: WorkitemQuery, value: str) -> None:
    include_all, found = includefield(value, " (workitem searches include top-level attributes only)")
    query.include_all |= include_all
    query.include |= found


def _filter(key: str, path: str, value: str, fuzzy: bool) -> KeyFilter:
    match = SEARCHABLE[path]
    if value == "":
        raise QueryError(f"The attribute '{key}' has an empty value; give a value to match.")
    if match is Match.DATE:
        return _date_time_filter(key, path, value)
    if match is Match.UID:
        uids = tuple(v for v in value.replace("\\", ",").split(",") if v)
        for uid in uids:
            if values.problem("UI", uid):
                raise QueryError(f"The attribute '{key}' value '{uid}' is not a valid UID.")
        return KeyFilter(path, match, values=uids)
    if len(value) > 64:
        raise QueryError(f"The attribute '{key}' value is longer than 64 characters.")
    if match is Match.PERSON_NAME and fuzzy:
        return KeyFilter(path, match, words=tuple(values.fold_name(value).split()))
    return KeyFilter(path, match, values=(_fold(match, value),))


def _date_time_filter(key: str, path: str, value: str) -> KeyFilter:
    start, dash, end = value.partition("-")
    bounds = [start, end] if dash else [value]
    if (dash and not start and not end) or any(b and not _DATE_TIME.fullmatch(b) for b in bounds):
        raise QueryError(
            f"The attribute '{key}' value '{value}' is not a date-time (YYYYMMDDHHMMSS, later parts "
            "optional, no time zone offset) or a range of them ({from}-{to}, {from}- or -{to})."
        )
    if not dash:
        return KeyFilter(path, Match.DATE, low=_bound(value, "0"), high=_bound(value, "9"))
    low, high = (_bound(start, "0") if start else None), (_bound(end, "9") if end else None)
    if low and high and low > high:
        raise QueryError(f"The attribute '{key}' range '{value}' ends before it starts.")
    return KeyFilter(path, Match.DATE, low=low, high=high)


def _bound(value: str, fill: str) -> str:
    return value.split(".")[0].ljust(14, fill)


def _fold(match: Match, value: str) -> str:
    if match is Match.PERSON_NAME:
        return values.fold_name(value)
    if match is Match.DATE:
        digits = re.match(r"\d*", value)
        return (digits.group() if digits else "")[:14].ljust(14, "0")
    if match is Match.UID:
        return value.strip()
    return values.fold_text(value)


def _values_at(dataset: JsonDataset, path: list[str]) -> list[object]:
    attribute = dataset.get(path[0])
    if not isinstance(attribute, dict):
        return []
    items = attribute.get("Value") or []
    if len(path) == 1:
        return list(items)
    return [v for item in items if isinstance(item, dict) for v in _values_at(item, path[1:])]
