"""What a handler receives: the request, its resolved version and checked parameters, the chosen format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dicom_service import mock
from dicom_service.contracts import Contract
from dicom_service.mediatypes import Choice
from dicom_service.versioning import ServiceVersion


@dataclass(frozen=True)
class OperationContext:
    request: Request
    version: ServiceVersion
    contract: Contract
    params: dict[str, Any]  # declared parameters, converted and checked, defaults filled in
    representation: Choice | None  # the negotiated answer format; None when the answer has no body

    @property
    def operation_id(self) -> str:
        return self.contract.operation_id

    @property
    def partition_name(self) -> str | None:
        """The data partition of a partition-scoped route (`/v2/partitions/{partitionName}/...`)."""
        value = self.request.path_params.get("partitionName")
        return str(value) if value is not None else None

    async def answer_from_examples(self) -> Response:
        """The mock answer: the spec's example of the documented success response."""
        return await mock.answer(self)
