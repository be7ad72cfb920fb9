"""Required properties judged by meaning, when a schema writes them as `anyOf` alternatives.

`required: [a]` becoming `anyOf: [{required: [a]}, {required: [b]}]` accepts every body it accepted before,
and more: a keyword-by-keyword comparison would see `a` become optional and an `anyOf` appear (tightened).
Each side is read as the sets of names a valid object may carry at least (one per alternative); one side
accepts every object the other accepts when each of the other's sets contains one of its own.
"""

from __future__ import annotations

from generator.review.effective import Doc, Schema

Clauses = list[frozenset[str]]
WORDS = frozenset({"required", "description", "title"})  # an alternative that states only what is required


def clauses(doc: Doc, schema: Schema) -> Clauses | None:
    """The required sets of the schema; None when an `anyOf` member says more than what is required."""
    own = frozenset(schema.required)
    members = schema.alternatives.get("anyOf")
    if not members:
        return [own]
    found = []
    for raw, pointer in members:
        node, _ = doc.deref(raw, pointer)
        if not isinstance(node, dict) or set(node) - WORDS or not isinstance(node.get("required"), list):
            return None
        found.append(own | frozenset(map(str, node["required"])))
    return found


def accepts_all(wider: Clauses, narrower: Clauses) -> bool:
    """Whether every object that meets one of `narrower`'s sets meets one of `wider`'s."""
    return all(any(w <= n for w in wider) for n in narrower)


def show(found: Clauses) -> str:
    written = [f"[{', '.join(sorted(c))}]" for c in found]
    return written[0] if len(written) == 1 else "any of " + " | ".join(written)


def judge(base_doc: Doc, b: Schema, head_doc: Doc, h: Schema) -> tuple[str, str] | None:
    """("same" | "looser" | "tighter" | "changed", what changed) when a side has required alternatives;
    None when neither has (the comparison goes keyword by keyword)."""
    if "anyOf" not in b.alternatives and "anyOf" not in h.alternatives:
        return None
    before, after = clauses(base_doc, b), clauses(head_doc, h)
    if before is None or after is None:
        return None
    looser, tighter = accepts_all(after, before), accepts_all(before, after)
    verdict = "same" if looser and tighter else "looser" if looser else "tighter" if tighter else "changed"
    return verdict, f"required {show(before)} → {show(after)}"
