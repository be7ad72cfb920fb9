"""The review as text for a terminal (`text`), Markdown for a pull-request comment (`comment`), and JSON for
machines (`json_report`); the words they share are in `wording`."""

from __future__ import annotations

import json

from generator.diagnostics import Diagnostic
from generator.review.report.comment import markdown, refusal_markdown
from generator.review.report.json_report import as_json, refusal_json
from generator.review.report.text import text
from generator.review.verdict import Review


def render(review: Review, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(review), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(review)
    return text(review)


def render_refusal(base: str, head: str, problems: dict[str, list[Diagnostic]], fmt: str) -> str:
    """What could not be read, on both sides, in the requested format (text goes to stderr instead)."""
    if fmt == "json":
        return json.dumps(refusal_json(base, head, problems), indent=2, ensure_ascii=False) + "\n"
    return refusal_markdown(base, head, problems)
