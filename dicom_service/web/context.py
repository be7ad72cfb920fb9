"""What a handler receives: the request, its resolved version and checked parameters, the chosen format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from dicom_service.mock import examples as mock
from dicom_service.partitions.default import DEFAULT_PARTITION
from dicom_service.versioning.versions import ServiceVersion
from dicom_service.web.contracts import Contract
from dicom_service.web.mediatypes import Choice

if TYPE_CHECKING:
    from dicom_service.kernel.behaviour import Behaviour
    from dicom_service.storage.service import DicomService


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

    @property
    def partition(self) -> str:
        """The partition the request reads and writes: the route's, or the default one."""
        return self.partition_name or DEFAULT_PARTITION

    @property
    def behaviour(self) -> Behaviour:
        """How this request's API version behaves where versions differ (kernel/behaviour.py), with a search's
        default attributes as its version's spec lists them."""
        from dicom_service.kernel.behaviour import behaviour_of_major, with_query_defaults

        found = behaviour_of_major(self.version.number.major)
        defaults = self.contract.query_defaults
        return with_query_defaults(found, defaults) if defaults else found

    @property
    def dicom(self) -> DicomService:
        """The service's storage (index and blobs), opened at start-up."""
        service: DicomService = self.request.app.state.dicom
        return service

    def url(self, *segments: str) -> str:
        """An absolute link in the request's own version (and partition): `url("studies", uid)`."""
        base = (
            f"{self.request.url.scheme}://{self.request.url.netloc}/{self.request.path_params['api_version']}"
        )
        if self.partition_name is not None:
            base += f"/partitions/{self.partition_name}"
        return "/".join([base, *segments])

    async def answer_from_examples(self) -> Response:
        """The mock answer: the spec's example of the documented success response."""
        return await mock.answer(self)
