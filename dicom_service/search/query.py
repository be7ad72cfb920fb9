"""QIDO-RS queries: which resource, which filters, which attributes to return; parsed from the query string.

Parsing is independent of HTTP: it takes the query's (key, value) pairs and raises `QueryError` with a
sentence for the client. The index turns a `Query` into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

from dicom_service.kernel import tags, values
from dicom_service.kernel.tags import Level, Match
from dicom_service.query_tags.rules import StoredTag, comparison_form


class QueryError(ValueError):
    """A query the service cannot run; the message is shown to the client (400)."""


class Resource(Enum):
    """The six QIDO-RS search resources: what is searched, and which attribute levels it may filter on."""

    STUDIES = (Level.STUDY, (Level.STUDY,))
    SERIES = (Level.SERIES, (Level.STUDY, Level.SERIES))
    STUDY_SERIES = (Level.SERIES, (Level.SERIES,))
    INSTANCES = (Level.INSTANCE, (Level.STUDY, Level.SERIES, Level.INSTANCE))
    STUDY_INSTANCES = (Level.INSTANCE, (Level.SERIES, Level.INSTANCE))
    SERIES_INSTANCES = (Level.INSTANCE, (Level.INSTANCE,))

    @property
    def level(self) -> Level:
        level: Level = self.value[0]
        return level

    @property
    def filter_levels(self) -> tuple[Level, ...]:
        levels: tuple[Level, ...] = self.value[1]
        return levels

    @property
    def returned_levels(self) -> tuple[Level, ...]:
        """Levels whose attributes each result carries (higher levels for the cross-study resources)."""
        if self is Resource.SERIES:
            return (Level.STUDY, Level.SERIES)
        if self is Resource.INSTANCES:
            return (Level.STUDY, Level.SERIES, Level.INSTANCE)
        if self is Resource.STUDY_INSTANCES:
            return (Level.SERIES, Level.INSTANCE)
        return (self.level,)


@dataclass(frozen=True)
class Filter:
    tag: str
    level: Level
    column: str
    match: Match
    values: tuple[str, ...] = ()  # exact match on any of these (folded)
    low: str | None = None  # date range bounds, inclusive
    high: str | None = None
    words: tuple[str, ...] = ()  # fuzzy person-name match: each word prefixes a name word
    extended_tag: int | None = None  # the id of the extended query tag it searches on


@dataclass
class Query:
    resource: Resource
    partition: str
    study_uid: str | None = None  # from the URL
    series_uid: str | None = None
    filters: list[Filter] = field(default_factory=list)
    include: set[str] = field(default_factory=set)
    include_all: bool = False
    limit: int = field(kw_only=True)  # paging comes from the spec's parameter defaults and bounds
    offset: int = field(kw_only=True)

    def wants(self, tag: str) -> bool:
        return self.include_all or tag in self.include


def parse(
    resource: Resource,
    partition: str,
    pairs: Iterable[tuple[str, str]],
    limit: int,
    offset: int,
    fuzzy: bool,
    study_uid: str | None = None,
    series_uid: str | None = None,
    extended: Mapping[str, StoredTag] | None = None,
    control: frozenset[str] = frozenset(),
) -> Query:
    """The query; `extended` holds the extended query tags by path, searchable when ready and enabled;
    `control` the operation's declared query parameters that are not attributes."""
    query = Query(resource, partition, study_uid, series_uid, limit=limit, offset=offset)
    seen: set[str] = set()
    for key, value in attribute_pairs(pairs, partial(_include, query), control):
        tag = tags.parse_attribute(key)
        if tag is None:
            raise QueryError(f"The query parameter '{key}' is not a known attribute keyword or tag.")
        if tag in seen:
            raise QueryError(f"The attribute '{key}' is given more than once; each may appear at most once.")
        seen.add(tag)
        if tag not in tags.SEARCHABLE and extended and tag in extended:
            query.filters.append(_extended_filter(resource, key, extended[tag], value, fuzzy))
        else:
            query.filters.append(_filter(resource, key, tag, value, fuzzy))
    return query


def attribute_pairs(
    pairs: Iterable[tuple[str, str]], include: Callable[[str], None], control: frozenset[str]
) -> Iterator[tuple[str, str]]:
    """The attribute filters of a query string, in order: each includefield value goes to `include`, the
    operation's other control keys (its declared query parameters that are not attributes: limit, offset,
    fuzzymatching, …) are left out."""
    for key, value in pairs:
        lowered = key.lower()
        if lowered == "includefield":
            include(value)
        elif lowered not in control:
            yield key, value


def _include(query: Query, value: str) -> None:
    include_all, found = includefield(value)
    query.include_all |= include_all
    query.include |= found


def includefield(value: str, hint: str = "") -> tuple[bool, set[str]]:
    """(`all` given, tags) of one includefield value: a comma list of keywords, 8-hex tags or `all`."""
    include_all, found = False, set()
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if item.lower() == "all":
            include_all = True
            continue
        tag = tags.parse_attribute(item)
        if tag is None:
            raise QueryError(
                f"The includefield value '{item}' is not a known attribute keyword or tag{hint}."
            )
        found.add(tag)
    return include_all, found


def _filter(resource: Resource, key: str, tag: str, value: str, fuzzy: bool) -> Filter:
    spec = tags.SEARCHABLE.get(tag)
    if spec is None or spec[0] not in resource.filter_levels:
        raise QueryError(f"The attribute '{key}' is not searchable on this resource.")
    level, column, match = spec
    if value == "":
        raise QueryError(f"The attribute '{key}' has an empty value; give a value to match.")
    if match is Match.DATE:
        if not values.is_date_query(value):
            raise QueryError(
                f"The attribute '{key}' value '{value}' is not a date (YYYYMMDD) or a date range "
                "(YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD)."
            )
        start, dash, end = value.partition("-")
        if dash:
            return Filter(tag, level, column, match, low=start or None, high=end or None)
        return Filter(tag, level, column, match, values=(value,))
    if match is Match.UID:
        uids = tuple(v for v in value.replace("\\", ",").split(",") if v)
        for uid in uids:
            if values.problem("UI", uid):
                raise QueryError(f"The attribute '{key}' value '{uid}' is not a valid UID.")
        return Filter(tag, level, column, match, values=uids)
    if len(value) > 256:
        raise QueryError(f"The attribute '{key}' value is longer than 256 characters.")
    if match is Match.PERSON_NAME:
        folded = values.fold_name(value)
        if fuzzy:
            return Filter(tag, level, column, match, words=tuple(folded.split()))
        return Filter(tag, level, column, match, values=(folded,))
    return Filter(tag, level, column, match, values=(values.fold_text(value),))


def _extended_filter(resource: Resource, key: str, tag: StoredTag, value: str, fuzzy: bool) -> Filter:
    if tag.level not in resource.filter_levels:
        raise QueryError(f"The attribute '{key}' is not searchable on this resource.")
    if not tag.searchable:
        raise QueryError(
            f"The extended query tag '{key}' cannot be searched now: its status is {tag.status} and "
            f"querying on it is {tag.query_status}."
        )
    if value == "":
        raise QueryError(f"The attribute '{key}' has an empty value; give a value to match.")
    match, made = tag.match, partial(Filter, tag.path, tag.level, "value", tag.match, extended_tag=tag.id)
    if match is Match.DATE:
        if tag.vr == "DA" and not values.is_date_query(value):
            raise QueryError(
                f"The attribute '{key}' value '{value}' is not a date (YYYYMMDD) or a date range."
            )
        start, dash, end = value.partition("-") if tag.vr != "DT" else _dt_range(value)
        if dash:
            return made(low=start or None, high=end or None)
        return made(values=(value,))
    if match is Match.PERSON_NAME:
        folded = values.fold_name(value)
        return made(words=tuple(folded.split())) if fuzzy else made(values=(folded,))
    try:
        return made(values=(comparison_form(tag.vr, value),))
    except ValueError:
        raise QueryError(f"The attribute '{key}' value '{value}' is not a number.") from None


def _dt_range(value: str) -> tuple[str, str, str]:
    """A date-time range splits at the `-` that is not a time zone offset (one after 14+ digits is)."""
    for position, char in enumerate(value):
        if char == "-" and (
            position == 0 or not value[:position].replace(".", "").isdigit() or position < 14
        ):
            return value[:position], "-", value[position + 1 :]
    return value, "", ""
