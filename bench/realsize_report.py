"""The real-size bench's table: each measure's figures side by side with the ratio (above 1 when ours is
ahead, whichever way its unit improves), and how each figure grows from the smallest size to the largest."""

from __future__ import annotations

from dataclasses import dataclass

from bench.configurations import OURS

PEER = "Orthanc"
HIGHER_IS_BETTER = ("MB/s", "inst/s")


@dataclass
class Row:
    label: str
    size: str
    unit: str  # "MB/s", "inst/s" (higher is better); "ms", "MB", "B" (lower is better)
    figures: dict[str, float]


def table(rows: list[Row]) -> list[str]:
    out = [("measure", "size", OURS, PEER, "ratio (>1: ours ahead)")]
    for row in rows:
        ours, peer = row.figures.get(OURS), row.figures.get(PEER)
        ratio = "—"
        if ours and peer:
            value = ours / peer if row.unit in HIGHER_IS_BETTER else peer / ours
            ratio = f"{value:.2f}x" + ("" if value >= 1 else " (behind)")
        out.append((row.label, row.size, shown(ours, row.unit), shown(peer, row.unit), ratio))
    widths = [max(len(r[i]) for r in out) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in out]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines + growth(rows)


def growth(rows: list[Row]) -> list[str]:
    """How each measured figure moves from its smallest to its largest size, per server."""
    lines, labels = ["growth from the smallest to the largest size (largest / smallest):"], []
    for row in rows:
        if row.label not in labels:
            labels.append(row.label)
    for label in labels:
        same = [r for r in rows if r.label == label]
        if len(same) < 2:
            continue
        first, last = same[0], same[-1]
        parts = [
            f"{name} x{last.figures[name] / first.figures[name]:.2f}"
            for name in (OURS, PEER)
            if first.figures.get(name) and last.figures.get(name)
        ]
        lines.append(f"  {label} ({first.size} → {last.size}): {', '.join(parts)}")
    return lines


def shown(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    digits = 0 if value >= 100 or unit == "B" else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"
