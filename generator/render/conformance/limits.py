"""The limits section of a conformance statement: the service's settings, as `dicom_service/limits.py`
declares them, and which of them apply to a version."""

from __future__ import annotations

from dataclasses import dataclass

from dicom_service.limits import LIMITS
from generator.model import ApiSpec


@dataclass(frozen=True)
class LimitView:
    what: str
    default: str
    setting: str
    answer: str


SERVICE_LIMITS = tuple(LimitView(limit.what, limit.shown(), limit.setting, limit.answer) for limit in LIMITS)


def service_limits(spec: ApiSpec) -> tuple[LimitView, ...]:
    """The limits that apply to this version: one tied to an operation only where the version has it."""
    operations = {op.operation_id for op in spec.operations}
    return tuple(
        LimitView(limit.what, limit.shown(), limit.setting, limit.answer)
        for limit in LIMITS
        if limit.operation is None or limit.operation in operations
    )
