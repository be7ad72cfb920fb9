"""Import circles among the modules of a package, found over `ast` (every import counts: module level,
inside functions and under TYPE_CHECKING). `make imports` runs it on dicom_service and generator.

    python -m tests.imports [package ...]    exit 0: no circle; 1: each circle printed, one a line
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dicom_service", "generator")


def modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package (generated code left out)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "generated" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: Iterable[str], root: Path = ROOT) -> set[str]:
    """The modules of `known` that the file imports, by absolute or relative import."""
    known = set(known)
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def package_circles(package: str, root: Path = ROOT) -> list[list[str]]:
    found = modules(package, root)
    graph = {name: imports(path, found, root) - {name} for name, path in found.items()}
    return circles(graph)


def main(argv: list[str], root: Path = ROOT) -> int:
    failed = False
    for package in argv or PACKAGES:
        for circle in package_circles(package, root):
            print(f"import circle in {package}: {', '.join(circle)} import each other")
            failed = True
    if not failed:
        print(f"no import circles in {', '.join(argv or PACKAGES)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    raise SystemExit(main(sys.argv[1:]))
