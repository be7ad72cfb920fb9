"""Every FailureReason and WarningReason the store can answer is one its version's spec declares (x-dicom
storeFailureReasons, storeWarningReasons), the list the conformance statements show.

The codes stay named constants in the kernel (each rejection names its reason where it happens); this test,
read over the code's every `Rejected(...)` and over every version in the registry, keeps the two in step."""

from __future__ import annotations

import ast

from dicom_service.kernel import instance
from dicom_service.kernel.behaviour import behaviour_of_major
from tests.fixtures import ROOT, real_model


def failure_codes() -> dict[str, int]:
    """The reason of every `Rejected(REASON, …)` in the service's code: constant name → code."""
    found: dict[str, int] = {}
    for path in sorted((ROOT / "dicom_service").rglob("*.py")):
        if "generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Rejected"
            ):
                reason = node.args[0] if node.args else None
                name = reason.id if isinstance(reason, ast.Name) else getattr(reason, "attr", None)
                assert name is not None, (
                    f"{path.relative_to(ROOT)}:{node.lineno}: a reason that is not a constant"
                )
                found[name] = int(getattr(instance, name))
    return found


def declared(version: str, key: str) -> set[int]:
    return {int(e["code"]) for e in real_model().spec(version).dicom.get(key) or []}


def test_every_failure_reason_the_store_gives_is_declared_in_every_version() -> None:
    codes = failure_codes()
    assert {"PROCESSING_FAILURE", "VALIDATION_FAILURE", "STUDY_MISMATCH", "DUPLICATE"} <= set(codes)
    for version in real_model().specs:
        missing = {
            name: code for name, code in codes.items() if code not in declared(version, "storeFailureReasons")
        }
        assert not missing, f"version {version} does not declare {missing}"


def test_the_validation_warning_is_declared_where_store_is_lenient() -> None:
    for version, spec in real_model().specs.items():
        lenient = behaviour_of_major(spec.version.number.major).lenient_store
        warnings = declared(version, "storeWarningReasons")
        assert (instance.WARNING_VALIDATION in warnings) == lenient, version
