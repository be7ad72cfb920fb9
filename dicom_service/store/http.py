"""STOW-RS over HTTP: receive the body into files, store them, answer with the response dataset."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response

from dicom_service.kernel.behaviour import Behaviour
from dicom_service.kernel.tags import keyword
from dicom_service.store import stow
from dicom_service.store.receive import received
from dicom_service.store.stow import Outcome
from dicom_service.web.answers import dicom_json, error
from dicom_service.web.body import BodyRefused
from dicom_service.web.context import OperationContext


async def store(ctx: OperationContext, study_uid: str | None = None) -> Response:
    service = ctx.dicom
    behaviour = ctx.behaviour
    try:

        def store(files: list[Path], keys: list[str]) -> Outcome:
            return stow.store_files(service, ctx.partition, files, behaviour, study_uid, keys)

        outcome = await received(ctx.request, service.tmp, service.blobs, store)
    except BodyRefused as exc:
        return error(exc.status, str(exc))
    status = _status(outcome, behaviour)
    if status == 204:
        return Response(status_code=204)

    def retrieve_url(study: str, series: str | None = None, sop: str | None = None) -> str:
        segments = ["studies", study]
        if series is not None:
            segments += ["series", series]
        if sop is not None:
            segments += ["instances", sop]
        return ctx.url(*segments)

    headers = {}
    warning = _warning(outcome, ctx.request.url.netloc)
    if warning:
        headers["Warning"] = warning
    return dicom_json(stow.response(outcome, behaviour, retrieve_url, study_uid), status, headers)


def _status(outcome: Outcome, behaviour: Behaviour) -> int:
    if not outcome.stored and not outcome.failed:
        return 204
    if not outcome.stored:
        return 409
    if outcome.failed:
        return 202
    warned = any(item.warnings for item in outcome.stored)
    return 202 if warned and behaviour.warnings_answer_202 else 200


def _warning(outcome: Outcome, host: str) -> str | None:
    tags = outcome.multi_valued
    if not tags:
        return None
    names = ", ".join(keyword(tag) for tag in tags)
    return f'299 {host}: "The indexed attribute(s) {names} had several values; only the first is indexed."'
