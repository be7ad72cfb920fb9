"""The spec of a new version, written from the spec of the version it starts from.

The copy is made on the text, so comments, order and layout stay as the source has them. What names the
source version is rewritten: `info.version`, the server URL and every URL with the source's segment
(`/v2/studies` → `/v3/studies`, in descriptions and examples alike), and the opening comment line. Prose that
names the source version by number ("changed in version 2") usually records history and stays; each such
line is returned so the command can list it for a person to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.registry import Version
from generator.yamlsafe import load_yaml


@dataclass(frozen=True)
class SpecCopy:
    text: str
    segment_urls: int  # URLs rewritten to the new segment
    mentions: tuple[int, ...]  # lines that still name the source version in prose, for a person to read


def copy_spec(source_text: str, source: Version, name: str, segment: str) -> SpecCopy:
    url = re.compile(r"/" + re.escape(source.segment) + r"(?![\w-]|\.\w)")
    text, urls = url.subn("/" + segment, source_text)
    lines = text.splitlines(keepends=True)
    info_line = load_yaml(text).line_of("/info/version")
    if info_line is not None:
        index = info_line - 1
        lines[index] = re.sub(r"(version:\s*).*?(\s*(#.*)?)$", rf"\g<1>'{name}'\g<2>", lines[index], count=1)
    prose = re.compile(r"\b(version|Version|API version)\s+" + re.escape(source.name) + r"\b")
    mentions = []
    for i, line in enumerate(lines):
        if line.startswith("#"):
            lines[i] = prose.sub(lambda m: f"{m.group(1)} {name}", line)
        elif prose.search(line):
            mentions.append(i + 1)
    return SpecCopy("".join(lines), urls, tuple(mentions))
