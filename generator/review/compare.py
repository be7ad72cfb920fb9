"""Compares the effective contract of two documents operation by operation.

Endpoints are matched by method and path template with parameter names left out (`/studies/{study}` is
`/studies/{studyInstanceUid}`) and a leading version segment left out (`/v1/studies` is `/v2/studies`, so two
versions' files written with versioned paths are compared endpoint by endpoint); parameters by location and
name (header names in any case, path parameters by their place in the template); responses by status; media
types by their normalized form, so `application/json; charset=utf-8` is `application/json`.
"""

from __future__ import annotations

import json
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.diagnostics import Diagnostic, InputError, join_pointer
from generator.model import ApiSpec, Operation
from generator.review.behaviour import compare_behaviour_changes
from generator.review.contract import (
    Entry,
    headers,
    is_error,
    is_json,
    media_types,
    normalize_path,
    param_name,
    parameter_schema,
    parameters,
    responses,
    security_requirements,
    serialization,
    show_security,
)
from generator.review.data_action import compare_data_action
from generator.review.effective import Doc
from generator.review.extensions import compare_extensions
from generator.review.recorder import Change, Recorder, Side
from generator.review.schema_diff import Emitted, SchemaDiff
from generator.review.schema_values import is_reordered

OpLabel = tuple[str, str]


def compare_specs(base: ApiSpec, head: ApiSpec, version: str = "") -> list[Change]:
    """Every change from `base` to `head`, each judged by a rule of the policy table."""
    recorder = Recorder(version)
    base_doc, head_doc = Doc(base.document), Doc(head.document)
    shared: dict[tuple[str, str, str], list[Emitted]] = {}  # schema pairs compared, for every operation
    old, new = _routes(base), _routes(head)
    compare_extensions(recorder, ("", ""), (base.document, ""), (head.document, ""))
    compare_behaviour_changes(recorder, base, head)
    renamed = {}
    added_ids = {op.operation_id: op for key, op in new.items() if key not in old and op.operation_id}
    for key, op in old.items():
        if key not in new and op.operation_id in added_ids:
            renamed[_key(added_ids[op.operation_id])] = op
    same_security = base.document.get("security") == head.document.get("security")
    for key, op in new.items():
        if key in old:
            # The loader's contract has every reference inlined: equal contracts (key order included, for
            # reordering notes) cannot differ in effect.
            if not (same_security and old[key].path == op.path and _same(old[key].contract, op.contract)):
                OperationDiff(base_doc, head_doc, recorder, old[key], op, shared).run()
        elif key in renamed:
            was = renamed[key]
            recorder.add(
                "endpoint-renamed",
                operation=_label(op),
                location=op.pointer,
                side="head",
                message=f"{_label(was)[0]} moved to {_label(op)[0]}",
            )
        else:
            recorder.add(
                "endpoint-added",
                operation=_label(op),
                location=op.pointer,
                side="head",
                message="endpoint added",
            )
    renamed_from = {_key(op) for op in renamed.values()}
    for key, op in old.items():
        if key not in new and key not in renamed_from:
            recorder.add(
                "endpoint-removed",
                operation=_label(op),
                location=op.pointer,
                side="base",
                message="endpoint removed",
            )
    return recorder.changes


def _same(old: Any, new: Any) -> bool:
    return bool(old == new and json.dumps(old, default=str) == json.dumps(new, default=str))


def _key(op: Operation) -> tuple[str, str]:
    return (op.method, normalize_path(_unversioned(op.path)))


def _unversioned(path: str) -> str:
    """The path without a leading API version segment (`/v2/studies` → `/studies`)."""
    first, slash, rest = path.lstrip("/").partition("/")
    return "/" + rest if slash and ApiVersion.from_segment(first) is not None else path


def _label(op: Operation) -> OpLabel:
    return (f"{op.method.upper()} {op.path}", op.operation_id)


def _routes(spec: ApiSpec) -> dict[tuple[str, str], Operation]:
    """Operations by route; a document that has a route both without and with a version segment
    (`/changefeed` and `/v1/changefeed`, both served) keeps those routes apart, as written."""
    unversioned = [_key(op) for op in spec.operations]
    both = {key for key in unversioned if unversioned.count(key) > 1}
    routes: dict[tuple[str, str], Operation] = {}
    problems = []
    for op, key in zip(spec.operations, unversioned, strict=True):
        if key in both:
            key = (op.method, normalize_path(op.path))
        other = routes.setdefault(key, op)
        if other is not op:
            problems.append(
                Diagnostic(
                    spec.file,
                    None,
                    op.pointer,
                    "review-duplicate-route",
                    f"{op.path} and {other.path} differ only in parameter names; OpenAPI forbids that",
                )
            )
    if problems:
        raise InputError(problems)
    return routes


class OperationDiff:
    def __init__(
        self,
        base: Doc,
        head: Doc,
        recorder: Recorder,
        old: Operation,
        new: Operation,
        shared: dict[tuple[str, str, str], list[Emitted]] | None = None,
    ) -> None:
        self.base, self.head, self.recorder = base, head, recorder
        self.old, self.new = old, new
        self.label = _label(new)
        self.raw_old: dict[str, Any] = base.at(old.pointer) or {}
        self.raw_new: dict[str, Any] = head.at(new.pointer) or {}
        self.request = SchemaDiff(base, head, recorder, self.label, "request", shared)
        self.response = SchemaDiff(base, head, recorder, self.label, "response", shared)

    def add(
        self, rule_id: str, location: str, message: str, direction: str = "n/a", side: Side = "head"
    ) -> None:
        self.recorder.add(
            rule_id,
            operation=self.label,
            location=location,
            side=side,
            message=message,
            direction=direction,
        )

    def run(self) -> None:
        old, new = self.old, self.new
        if old.operation_id != new.operation_id:
            self.add(
                "operation-id-changed",
                join_pointer(new.pointer, "operationId"),
                f"operationId {old.operation_id or 'none'} → {new.operation_id or 'none'}",
            )
        if new.deprecated and not old.deprecated:
            self.add("deprecated", join_pointer(new.pointer, "deprecated"), "operation deprecated")
        self._security()
        compare_data_action(
            self.recorder, self.label, (self.raw_old, old.pointer), (self.raw_new, new.pointer)
        )
        compare_extensions(
            self.recorder, self.label, (self.raw_old, old.pointer), (self.raw_new, new.pointer)
        )
        self._parameters()
        self._request_body()
        self._responses()

    def _security(self) -> None:
        before = security_requirements(self.base.document, self.raw_old)
        after = security_requirements(self.head.document, self.raw_new)
        where, side = self._security_location()
        for alternative in before:
            if not any(option <= alternative for option in after):
                self.add(
                    "security-requirement-added",
                    where,
                    f"callers with {show_security(alternative)} are now refused",
                    side=side,
                )
        for option in after:
            if not any(alternative <= option for alternative in before):
                self.add(
                    "security-requirement-removed",
                    where,
                    f"callers with {show_security(option)} are now accepted",
                    side=side,
                )

    def _security_location(self) -> tuple[str, Side]:
        """Where the security in force is written: HEAD's if it has any, else what BASE had."""
        if "security" in self.raw_new:
            return join_pointer(self.new.pointer, "security"), "head"
        if "security" in self.head.document:
            return "/security", "head"
        if "security" in self.raw_old:
            return join_pointer(self.old.pointer, "security"), "base"
        return ("/security", "base") if "security" in self.base.document else (self.new.pointer, "head")

    def _parameters(self) -> None:
        before = parameters(self.base, self.old)
        after = parameters(self.head, self.new)
        for key, param in before.items():
            if key not in after:
                self.add(
                    "parameter-removed", param.entry, f"{param_name(param.node)} removed", "request", "base"
                )
        for key, param in after.items():
            if key not in before:
                required = param.node.get("required") is True
                rule_id = "parameter-required-added" if required else "parameter-added"
                kind = "mandatory" if required else "optional"
                self.add(rule_id, param.entry, f"{kind} {param_name(param.node)} added", "request")
            else:
                self._parameter(before[key], param)
        if is_reordered([str(k) for k in before], [str(k) for k in after]):
            where = join_pointer(self.new.pointer, "parameters")
            self.add("reordered", where, "parameters reordered", "request")

    def _parameter(self, was: Entry, now: Entry) -> None:
        old, new, pointer = was.node, now.node, now.pointer
        name = param_name(new)
        was_required, is_required = old.get("required") is True, new.get("required") is True
        if is_required and not was_required:
            self.add("parameter-became-required", pointer, f"{name} became mandatory", "request")
        elif was_required and not is_required:
            self.add("parameter-became-optional", pointer, f"{name} became optional", "request")
        if serialization(old) != serialization(new):
            change = f"{name}: style/explode {serialization(old)} → {serialization(new)}"
            self.add("parameter-serialization-changed", pointer, change, "request")
        if new.get("deprecated") is True and old.get("deprecated") is not True:
            self.add("deprecated", join_pointer(pointer, "deprecated"), f"{name} deprecated")
        compare_extensions(self.recorder, self.label, (old, was.pointer), (new, pointer))
        old_schema, new_schema = parameter_schema(old, was.pointer), parameter_schema(new, pointer)
        if old_schema is not None or new_schema is not None:
            self.request.compare([old_schema or ({}, was.pointer)], [new_schema or ({}, pointer)], name)

    def _request_body(self) -> None:
        old, old_pointer = self._part(self.base, self.raw_old, self.old.pointer, "requestBody")
        new, pointer = self._part(self.head, self.raw_new, self.new.pointer, "requestBody")
        if old is None and new is None:
            return
        if new is None:
            entry = join_pointer(self.old.pointer, "requestBody")
            self.add("request-body-removed", entry, "request body removed", "request", "base")
            return
        required = new.get("required") is True
        if old is None:
            rule_id = "request-body-required-added" if required else "request-body-added"
            message = f"{'required' if required else 'optional'} request body added"
            self.add(rule_id, join_pointer(self.new.pointer, "requestBody"), message, "request")
            return
        if required and old.get("required") is not True:
            self.add("request-body-required-added", pointer, "request body became required", "request")
        elif not required and old.get("required") is True:
            self.add("request-body-became-optional", pointer, "request body became optional", "request")
        self._content(_content_of(old, old_pointer), _content_of(new, pointer), self.request, "request body")

    @staticmethod
    def _part(doc: Doc, raw: dict[str, Any], pointer: str, key: str) -> tuple[dict[str, Any] | None, str]:
        if key not in raw:
            return None, pointer
        node, where = doc.deref(raw[key], join_pointer(pointer, key))
        return (node if isinstance(node, dict) else None), where

    def _content(
        self, old: tuple[dict[str, Any], str], new: tuple[dict[str, Any], str], diff: SchemaDiff, context: str
    ) -> None:
        direction = diff.direction
        before, after = media_types(*old), media_types(*new)
        for key, media in before.items():
            if key not in after:
                self.add(
                    "media-type-removed", media.entry, f"{context}: {media.name} removed", direction, "base"
                )
        for key, media in after.items():
            if key not in before:
                self.add("media-type-added", media.entry, f"{context}: {media.name} added", direction)
        pairs = [(before[k], after[k]) for k in after if k in before]
        # A JSON body moved to another JSON media type (`+json`) is still compared by its structure.
        gone = [v for k, v in before.items() if k not in after and is_json(k)]
        came = [v for k, v in after.items() if k not in before and is_json(k)]
        pairs.extend(zip(gone, came, strict=False))
        for was, now in pairs:
            compare_extensions(self.recorder, self.label, (was.node, was.pointer), (now.node, now.pointer))
            if "schema" in was.node or "schema" in now.node:
                diff.compare(
                    [(was.node.get("schema", {}), join_pointer(was.pointer, "schema"))],
                    [(now.node.get("schema", {}), join_pointer(now.pointer, "schema"))],
                    f"{context} ({now.name})",
                )

    def _responses(self) -> None:
        before = responses(self.base, self.raw_old, self.old.pointer)
        after = responses(self.head, self.raw_new, self.new.pointer)
        gone = [s for s in before if s not in after]
        came = [s for s in after if s not in before]
        pairs = [(s, s) for s in after if s in before]
        # The one success status replaced by another is a changed status, and its bodies are still compared.
        for was, now in zip(
            [s for s in gone if not is_error(s)], [s for s in came if not is_error(s)], strict=False
        ):
            self.add("success-status-changed", after[now].entry, f"success status {was} → {now}", "response")
            pairs.append((was, now))
            gone.remove(was)
            came.remove(now)
        for status in gone:
            self.add(
                "response-status-removed",
                before[status].entry,
                f"status {status} removed",
                "response",
                "base",
            )
        for status in came:
            rule_id = "error-status-added" if is_error(status) else "success-status-added"
            self.add(rule_id, after[status].entry, f"status {status} added", "response")
        for was, now in pairs:
            self._response(before[was], after[now], now)
        if is_reordered(list(before), list(after)):
            self.add(
                "reordered", join_pointer(self.new.pointer, "responses"), "responses reordered", "response"
            )

    def _response(self, old: Entry, new: Entry, status: str) -> None:
        compare_extensions(self.recorder, self.label, (old.node, old.pointer), (new.node, new.pointer))
        before, after = headers(self.base, old), headers(self.head, new)
        for key, header in before.items():
            if key not in after:
                message = f"response {status}: header {header.name} removed"
                self.add("response-header-removed", header.entry, message, "response", "base")
        for key, header in after.items():
            if key not in before:
                message = f"response {status}: header {header.name} added"
                self.add("response-header-added", header.entry, message, "response")
                continue
            was = before[key]
            if was.node.get("required") is True and header.node.get("required") is not True:
                message = f"response {status}: header {header.name} no longer always sent"
                self.add("response-header-became-optional", header.pointer, message, "response")
            if "schema" in was.node or "schema" in header.node:
                self.response.compare(
                    [(was.node.get("schema", {}), join_pointer(was.pointer, "schema"))],
                    [(header.node.get("schema", {}), join_pointer(header.pointer, "schema"))],
                    f"response {status} header {header.name}",
                )
        self._content(
            _content_of(old.node, old.pointer),
            _content_of(new.node, new.pointer),
            self.response,
            f"response {status}",
        )


def _content_of(holder: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
    content = holder.get("content")
    return (content if isinstance(content, dict) else {}), join_pointer(pointer, "content")
