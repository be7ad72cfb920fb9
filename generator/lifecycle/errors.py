"""Refusals of the lifecycle commands: bad arguments for this project, reported like any input problem."""

from __future__ import annotations

from generator.diagnostics import Diagnostic, InputError
from generator.loader import REGISTRY_FILE


class Refusal(InputError):
    """One reason a command will not run; the CLI prints it (exit 2) and nothing is written."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__([diagnostic])
        self.args = (diagnostic.message,)

    def report(self) -> str:
        return str(self.diagnostics[0])


def refuse(message: str, pointer: str = "", file: str = f"specs/{REGISTRY_FILE}") -> Refusal:
    return Refusal(Diagnostic(file, None, pointer, "version-command", message))
