"""Hand-written modules stay at 400 lines or fewer, so each keeps one job. `make imports` runs it on
dicom_service, generator and bench; the generated code (dicom_service/generated/) is exempt.

    python -m tests.module_sizes [folder ...]    exit 0: none too long; 1: each one printed with its length
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("dicom_service", "generator", "bench")
GENERATED = Path("dicom_service/generated")
MAX_LINES = 400


def too_long(folders: tuple[str, ...] = FOLDERS, root: Path = ROOT) -> list[tuple[Path, int]]:
    """(path relative to root, line count) of each hand-written module over MAX_LINES, sorted by path."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            if relative.is_relative_to(GENERATED):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found.append((relative, lines))
    return sorted(found)


def main(argv: list[str], root: Path = ROOT) -> int:
    folders = tuple(argv) or FOLDERS
    found = too_long(folders, root)
    for path, lines in found:
        print(f"{path}: {lines} lines, over the {MAX_LINES} a module may have; split it by job")
    if not found:
        print(f"no module over {MAX_LINES} lines in {', '.join(folders)}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
