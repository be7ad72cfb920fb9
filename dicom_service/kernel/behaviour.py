"""Every behaviour difference between API versions, in one place, keyed by the major version number.

A handler reads `ctx.behaviour` (a transaction is given the `Behaviour`) and uses the named behaviour; it
never compares version numbers itself. A new major version adds one entry to `_BY_MAJOR` (or inherits the
latest one).
Each field names the declared behaviour change it implements, so the docs and tests can point at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dicom_service.kernel.tags import Level


@dataclass(frozen=True)
class Behaviour:
    # stow-lenient-validation, stow-invalid-attributes-not-searchable: invalid searchable attributes fail
    # the instance (False) or are dropped from the index and metadata with a warning (True).
    lenient_store: bool
    # stow-202-on-warnings: a store whose instances all succeeded but carry a WarningReason answers 202.
    warnings_answer_202: bool
    # patientid-may-be-empty: PatientID must be present; whether it must also have a value.
    patient_id_needs_value: bool
    # changefeed-time-window: the change feed pages by sequence (False) or by a time window (True).
    changefeed_time_window: bool
    # operation-status-succeeded: the terminal success status of a long-running operation.
    operation_succeeded_status: str
    # bulk-update-v2-only: POST /studies/$bulkUpdate exists (True) or answers 404 (False).
    bulk_update: bool
    # qido-default-attributes-reduced: the attributes QIDO-RS returns at each level without includefield.
    # Not written here: the search operation's contract carries its version's x-dicom queryLevels.
    qido_defaults: dict[Level, tuple[str, ...]] = field(default_factory=dict)


_V1 = Behaviour(
    lenient_store=False,
    warnings_answer_202=False,
    patient_id_needs_value=True,
    changefeed_time_window=False,
    operation_succeeded_status="completed",
    bulk_update=False,
)

_V2 = Behaviour(
    lenient_store=True,
    warnings_answer_202=True,
    patient_id_needs_value=False,
    changefeed_time_window=True,
    operation_succeeded_status="succeeded",
    bulk_update=True,
)

# 1.0-prerelease behaves as 1: behaviour follows the major version.
_BY_MAJOR = {1: _V1, 2: _V2}


def behaviour_of_major(major: int) -> Behaviour:
    """The behaviour of a major version; one newer than any entry behaves as the latest (a long-running
    operation keeps the major of its request)."""
    return _BY_MAJOR.get(major) or _BY_MAJOR[max(_BY_MAJOR)]


def with_query_defaults(behaviour: Behaviour, defaults: Mapping[str, tuple[str, ...]]) -> Behaviour:
    """The behaviour with the default search attributes per level name (`study`: tags) a spec declares."""
    return replace(behaviour, qido_defaults={Level(level): tags for level, tags in defaults.items()})
