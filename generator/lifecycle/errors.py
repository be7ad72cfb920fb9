"""Refusals of the lifecycle commands: bad arguments for this project, reported like any input problem."""

from __future__ import annotations

from generator.diagnostics import Diagnostic, InputError
from generator.loader import REGISTRY_FILE


def refuse(message: str, pointer: str = "", file: str = f"specs/{REGISTRY_FILE}") -> InputError:
    return InputError([Diagnostic(file, None, pointer, "version-command", message)])
