"""The line of a JSON pointer in the document it points into, found without reading the document twice.

YAML sources keep their node tree, which knows every line. A JSON source is read by the C parser, which knows
none; composing it again as YAML to find lines costs a second per 10 MB. Pretty-printed JSON (a constant
indent, one member per line, as every published description is) is searched instead: a member of a
container at depth d is the line that starts with d+1 indents and its quoted key. Minified JSON is one line.
Anything else falls back to the YAML reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

from generator.diagnostics import split_pointer
from generator.refs import Bundle
from generator.yamlsafe import YamlDocument

Locator = Callable[[str], tuple[str, int | None]]  # pointer → (file, line)
_INDENT = re.compile(r"\s*[\[{]\n( +)[\"\[{\]}]")


def locator(result: Bundle, lines: Callable[[str], int | None], label: str, rel: str) -> Locator:
    """Lines of pointers into a bundled document; parts inlined from other files are found in those."""

    def locate(pointer: str) -> tuple[str, int | None]:
        if result.origins:
            file, line = result.locate(pointer)
            return (label if file == rel else file), line
        return label, lines(pointer)

    return locate


def line_finder(doc: YamlDocument) -> Callable[[str], int | None]:
    if doc.text is None:
        return doc.line_of  # YAML: the node tree is there
    text = doc.text
    if "\n" not in text.strip():
        return lambda pointer: 1
    found = _INDENT.match(text)
    if found is None:
        return doc.line_of
    return JsonLines(text, len(found.group(1)), doc.line_of).line


class JsonLines:
    """Lines of pointers in JSON pretty-printed with `unit` spaces per level."""

    def __init__(self, text: str, unit: int, fallback: Callable[[str], int | None]) -> None:
        self.text = text
        self.unit = unit
        self.fallback = fallback
        # Newlines before each block of the text: a line is a block's count plus a count inside one block.
        self.blocks = [0]
        for start in range(0, len(text), _BLOCK):
            self.blocks.append(self.blocks[-1] + text.count("\n", start, start + _BLOCK))
        self.memo: dict[tuple[str, ...], int | None] = {(): text.index(text.lstrip()[0])}
        self.containers: dict[int, dict[str, int] | list[int] | None] = {}

    def line(self, pointer: str) -> int | None:
        try:
            tokens = tuple(split_pointer(pointer))
        except ValueError:
            return None
        offset = self._offset(tokens)
        if offset is None:
            return self.fallback(pointer)
        block = offset // _BLOCK
        return self.blocks[block] + self.text.count("\n", block * _BLOCK, offset) + 1

    def _offset(self, tokens: tuple[str, ...]) -> int | None:
        """Where the member named by tokens starts (its key, or its first character in a list); for a member
        that is not in the source, where its nearest ancestor starts."""
        if tokens in self.memo:
            return self.memo[tokens]
        parent = self._offset(tokens[:-1])
        if parent is None:
            return None
        result = self._member(parent, len(tokens) - 1, tokens[-1])
        self.memo[tokens] = result
        return result

    def _member(self, start: int, depth: int, token: str) -> int | None:
        members = self._members(start, depth)
        if members is None:
            return None  # not the layout this class reads: let the YAML reader answer
        if isinstance(members, dict):
            return members.get(token, start)
        return members[int(token)] if token.isdigit() and int(token) < len(members) else start

    def _members(self, start: int, depth: int) -> dict[str, int] | list[int] | None:
        """Where each member of the container that starts at `start` starts, found in one pass."""
        if start in self.containers:
            return self.containers[start]
        text = self.text
        value = self._value_start(start)
        members: dict[str, int] | list[int] | None = {}
        if value is not None and text[value] in "{[" and text[value + 1 : value + 2] not in ("}", "]"):
            inner, outer = " " * (self.unit * (depth + 1)), " " * (self.unit * depth)
            ended = False
            if text[value] == "{":
                keys: dict[str, int] = {}
                for found in _key_pattern(inner, outer).finditer(text, value):
                    if found.group(1) is None:
                        ended = True
                        break
                    keys.setdefault(json.loads(found.group(1)), found.start(1))
                members = keys
            else:
                items: list[int] = []
                for found in _item_pattern(inner, outer).finditer(text, value):
                    if found.group(1) is None:
                        ended = True
                        break
                    items.append(found.start(1))
                members = items
            if not ended:
                members = None
        self.containers[start] = members
        return members

    def _value_start(self, start: int) -> int | None:
        """The first character of the value of the member that starts at `start` (its key, or the value)."""
        text = self.text
        if text[start] != '"':
            return start
        colon = _KEY_END.match(text, start)
        if colon is None:
            return None
        return colon.end()


_BLOCK = 1 << 16
_KEY_END = re.compile(r'"(?:[^"\\]|\\.)*"\s*:\s*')


@lru_cache(maxsize=64)
def _key_pattern(inner: str, outer: str) -> re.Pattern[str]:
    return re.compile(rf'\n(?:{inner}("(?:[^"\\]|\\.)*")\s*:|{outer}[}}\]])')


@lru_cache(maxsize=64)
def _item_pattern(inner: str, outer: str) -> re.Pattern[str]:
    return re.compile(rf"\n(?:{inner}([^ \]}}])|{outer}[}}\]])")
