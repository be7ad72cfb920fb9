"""Which versions a pull request shapes, and the version each one is judged against.

A version HEAD adds, or a prerelease the pull request edits or releases, is what clients of the previous
version will move to: the review compares it with its predecessor (the nearest older version HEAD serves),
so the pull request shows every change between the two, not one new file. A new major version may break;
a new minor version may not, even as a prerelease that is on its way to release.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import ApiSpec
from generator.review.recorder import Change, Recorder
from generator.review.sources import Source


@dataclass(frozen=True)
class Succession:
    name: str  # the version shaped by the pull request
    predecessor: ApiSpec
    spec: ApiSpec  # HEAD's document of the version

    @property
    def key(self) -> str:
        """What the changes of this comparison are recorded under (`2 → 3`)."""
        return f"{self.predecessor.version.name} → {self.name}"

    @property
    def exemption(self) -> str | None:
        if self.spec.version.number.major > self.predecessor.version.number.major:
            return "new-major"
        return None

    @property
    def requirement(self) -> str:
        major = self.predecessor.version.number.major + 1
        return (
            f"version {self.name} breaks clients of version {self.predecessor.version.name} that move to it: "
            f"a breaking change needs a new major version ({major})"
        )


def successions(base: Source, head: Source, touched: set[str]) -> list[Succession]:
    """The versions HEAD adds, releases or edits as a prerelease, each with its predecessor in HEAD."""
    if base.kind == "file" or head.kind == "file":
        return []  # two files are one comparison already
    found = []
    ordered = list(head.specs.values())
    for index, spec in enumerate(ordered):
        name = spec.version.name
        old = base.specs.get(name)
        shaped = old is None or (
            (old.version.prerelease or spec.version.prerelease)
            and (name in touched or old.version.status != spec.version.status)
        )
        if shaped and index > 0:
            found.append(Succession(name, ordered[index - 1], spec))
    return found


def lifecycle_changes(base: Source, head: Source) -> dict[str, list[Change]]:
    """A version released or deprecated by the registry: no contract changes, but what the PR does."""
    found: dict[str, list[Change]] = {}
    for name, spec in head.specs.items():
        old = base.specs.get(name)
        if old is None:
            continue
        recorder = Recorder(name)
        was, now = old.version, spec.version
        if was.prerelease and not now.prerelease:
            recorder.add(
                "version-released",
                operation=("", ""),
                location="",
                side="head",
                message=f"version {name} released ({now.released or 'no date'}): the review now guards it",
            )
        if now.deprecated and not was.deprecated:
            sunset = f", sunset {now.sunset}" if now.sunset else ""
            recorder.add(
                "version-deprecated",
                operation=("", ""),
                location="",
                side="head",
                message=f"version {name} deprecated{sunset}",
            )
        if recorder.changes:
            found[name] = recorder.changes
    return found
