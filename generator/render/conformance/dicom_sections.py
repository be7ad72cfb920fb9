"""The sections a conformance statement takes from the spec's `x-dicom`: query levels and the attributes each
returns, store failure and warning reasons, and the transfer syntaxes the service transcodes to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.model import ApiSpec
from generator.render.docviews import anchor, dicom_tag


@dataclass(frozen=True)
class TransferSyntax:
    uid: str
    name: str  # empty when the statement has no name for it


@dataclass(frozen=True)
class ReturnedAttribute:
    keyword: str
    tag: str
    default: bool  # False: only through includefield


@dataclass(frozen=True)
class LevelView:
    level: str
    anchor: str
    attributes: tuple[ReturnedAttribute, ...]


@dataclass(frozen=True)
class Coded:
    code: str
    meaning: str


def syntax_names(spec: ApiSpec) -> dict[str, str]:
    names = {"*": "as stored"}
    for entry in spec.dicom.get("transcodableTransferSyntaxes") or []:
        if isinstance(entry, dict) and entry.get("uid") and entry.get("name"):
            names[str(entry["uid"])] = str(entry["name"])
    return names


def transcodable(entries: Any) -> tuple[TransferSyntax, ...]:
    return tuple(
        TransferSyntax(str(e.get("uid", "")), str(e.get("name", "")))
        for e in entries or []
        if isinstance(e, dict)
    )


def levels(declared: Any) -> tuple[LevelView, ...]:
    if not isinstance(declared, dict):
        return ()
    views = []
    for level, lists in declared.items():
        lists = lists if isinstance(lists, dict) else {}
        views.append(
            LevelView(
                str(level),
                "level-" + anchor(str(level)),
                tuple(
                    ReturnedAttribute(
                        str(e.get("keyword", "")), dicom_tag(str(e.get("tag", ""))), kind == "default"
                    )
                    for kind in ("default", "additional")
                    for e in lists.get(kind) or []
                    if isinstance(e, dict)
                ),
            )
        )
    return tuple(views)


def coded(entries: Any) -> tuple[Coded, ...]:
    return tuple(
        Coded(str(e.get("code", "")), str(e.get("meaning", ""))) for e in entries or [] if isinstance(e, dict)
    )
