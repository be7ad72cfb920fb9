"""Problems found in user input, collected as values and reported together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located by file, line (when the source has one) and JSON pointer."""

    file: str
    line: int | None
    pointer: str
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        pointer = f" {self.pointer}" if self.pointer else ""
        return f"{where}:{pointer} {self.severity} [{self.code}] {self.message}"


@dataclass
class Diagnostics:
    """An accumulator that renderers and loaders append to; errors never stop collection early."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        file: str | Path,
        pointer: str,
        code: str,
        message: str,
        line: int | None = None,
        severity: str = "error",
    ) -> None:
        self.items.append(Diagnostic(str(file), line, pointer, code, message, severity))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(set(self.items), key=_sort_key))

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(list(self))


def _sort_key(d: Diagnostic) -> tuple[str, int, str, str]:
    return (d.file, d.line or 0, d.pointer, d.message)


class InputError(Exception):
    """Raised with every diagnostic of a run when the input cannot be used."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = sum(1 for d in diagnostics if d.severity == "error")
        super().__init__(f"{errors} error(s) in the specs")

    def report(self) -> str:
        lines = [str(d) for d in self.diagnostics]
        lines.append(str(self))
        return "\n".join(lines)


def shorten(message: str, limit: int = 300) -> str:
    """A message cut to `limit` characters: a validator may quote a whole object."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    for token in tokens:
        text = str(token)
        if "~" in text or "/" in text:  # most tokens need no escaping; this runs for every node of a spec
            text = escape_pointer_token(text)
        pointer = f"{pointer}/{text}"
    return pointer


def split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "#"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape_pointer_token(t) for t in pointer[1:].split("/")]
