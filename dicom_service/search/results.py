"""QIDO-RS results: which attributes each match carries, by level, version defaults and includefield."""

from __future__ import annotations

from typing import Any

import orjson

from dicom_service.kernel import tags
from dicom_service.kernel.behaviour import Behaviour
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.kernel.tags import Level
from dicom_service.query_tags import repository as query_tags
from dicom_service.search import repository
from dicom_service.search.query import Query
from dicom_service.storage.database import Database

_ONLINE = {"vr": "CS", "Value": ["ONLINE"]}
_COLUMN = {Level.STUDY: "study", Level.SERIES: "series", Level.INSTANCE: "instance"}
_STUDY_COMPUTED = {tags.MODALITIES_IN_STUDY, tags.STUDY_SERIES_COUNT, tags.STUDY_INSTANCE_COUNT}


def search(index: Database, query: Query, behaviour: Behaviour) -> list[JsonDataset]:
    rows = repository.search(index, query)
    if not rows:
        return []
    levels = query.resource.returned_levels
    wanted = {level: _wanted(query, behaviour, level) for level in levels}
    study_counts = {}
    if Level.STUDY in levels and wanted[Level.STUDY] & _STUDY_COMPUTED:
        study_counts = repository.study_counts(index, sorted({row["study_id"] for row in rows}))
    series_counts = {}
    if Level.SERIES in levels and tags.SERIES_INSTANCE_COUNT in wanted[Level.SERIES]:
        series_counts = repository.series_counts(index, sorted({row["series_id"] for row in rows}))
    extended = _extended_match_keys(index, query, rows)
    from_url = _from_url(query)
    own = query.resource.level
    results = []
    for row in rows:
        result: JsonDataset = dict(from_url)
        for level in levels:
            source = orjson.loads(row[_COLUMN[level]])
            result.update({tag: source[tag] for tag in wanted[level] if tag in source})
        for tag, key, elements in extended:
            if row[key] in elements:
                result[tag] = elements[row[key]]
        if study_counts:
            _add_study_computed(result, wanted[Level.STUDY], study_counts[row["study_id"]])
        if series_counts:
            result[tags.SERIES_INSTANCE_COUNT] = {
                "vr": "IS",
                "Value": [series_counts.get(row["series_id"], 0)],
            }
        if tags.INSTANCE_AVAILABILITY in wanted[own] and own is not Level.SERIES:
            result[tags.INSTANCE_AVAILABILITY] = _ONLINE
        results.append(dict(sorted(result.items())))
    return results


def _wanted(query: Query, behaviour: Behaviour, level: Level) -> set[str]:
    """The tags a result carries at `level`: the version's defaults, match keys and includefield."""
    known = set(tags.LEVEL_ATTRIBUTES[level]) | set(tags.COMPUTED[level])
    wanted = set(behaviour.qido_defaults.get(level, ()))
    wanted |= {f.tag for f in query.filters if f.level is level}
    if query.include_all:
        wanted |= known
    if level is Level.INSTANCE:  # any attribute of the instance, read from its metadata
        wanted |= query.include - _upper_level_only()
    else:
        wanted |= query.include & known
    return wanted


def _extended_match_keys(
    index: Database, query: Query, rows: list[dict[str, Any]]
) -> list[tuple[str, str, dict[int, JsonDataset]]]:
    """The study- and series-level extended query tags searched on, with their values by row (instance-level
    ones are in the instance's metadata): (tag, row key, row id → attribute)."""
    found = []
    for item in query.filters:
        if item.extended_tag is None or item.level is Level.INSTANCE:
            continue
        key = "study_id" if item.level is Level.STUDY else "series_id"
        ids = sorted({row[key] for row in rows})
        found.append((item.tag, key, query_tags.level_elements(index, item.extended_tag, item.level, ids)))
    return found


def _upper_level_only() -> set[str]:
    upper = set(tags.LEVEL_ATTRIBUTES[Level.STUDY]) | set(tags.LEVEL_ATTRIBUTES[Level.SERIES])
    return upper - set(tags.LEVEL_ATTRIBUTES[Level.INSTANCE]) | _STUDY_COMPUTED | {tags.SERIES_INSTANCE_COUNT}


def _from_url(query: Query) -> JsonDataset:
    """The UIDs a study- or series-scoped resource names in its URL, returned with every match."""
    found: JsonDataset = {}
    if query.study_uid is not None:
        found[tags.STUDY_INSTANCE_UID] = {"vr": "UI", "Value": [query.study_uid]}
    if query.series_uid is not None:
        found[tags.SERIES_INSTANCE_UID] = {"vr": "UI", "Value": [query.series_uid]}
    return found


def _add_study_computed(result: JsonDataset, wanted: set[str], counts: tuple[int, int, list[str]]) -> None:
    series, instances, modalities = counts
    values: dict[str, Any] = {
        tags.MODALITIES_IN_STUDY: {"vr": "CS", "Value": modalities} if modalities else {"vr": "CS"},
        tags.STUDY_SERIES_COUNT: {"vr": "IS", "Value": [series]},
        tags.STUDY_INSTANCE_COUNT: {"vr": "IS", "Value": [instances]},
    }
    result.update({tag: value for tag, value in values.items() if tag in wanted})
