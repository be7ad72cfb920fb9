"""The maintainers' guide names only what exists: every `ctx.` member and answer helper it documents."""

from __future__ import annotations

import re

from dicom_service.kernel import behaviour
from dicom_service.web import answers
from dicom_service.web.context import OperationContext
from tests.fixtures import ROOT

GUIDE = ROOT / "site" / "maintainers" / "implementing-operations.md"


def test_every_ctx_member_in_the_guide_exists() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = re.findall(r"^\| `([a-z_]+)(?:\([^)]*\))?`(?: / `([a-z_]+)`)?(?:, `([a-z_]+)`)? \|", text, re.M)
    members = {name for row in table for name in row if name}
    assert {"version", "behaviour", "params", "representation", "partition", "dicom", "url"} <= members
    fields = set(OperationContext.__dataclass_fields__)
    for name in members:
        assert name in fields or hasattr(OperationContext, name), f"ctx.{name} is not on OperationContext"


def test_every_answer_helper_and_behaviour_field_in_the_guide_exists() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for helper in re.findall(r"^- `([a-z_]+)\(", text, re.M):
        assert hasattr(answers, helper), helper
    for field in re.findall(r"ctx\.behaviour\.([a-z_0-9]+)", text):
        assert field in behaviour.Behaviour.__dataclass_fields__, field
