"""The operation the kill interrupts: an extended-query-tag reindex over the stored instances, started through
the HTTP API when the kill is due. The process that claimed it (the owner recorded in the index) is the one
killed, while it runs the operation; a sibling must take it over once the lease runs out.

What it checks, as a user relies on it:
- the operation ends (`succeeded`, or `failed`) within a bound after the kill, never stays `running`;
- when it succeeded, its effect is there once: the first tag finds every stored instance of every study, and
  each instance has one value of each tag (a run taken over did not index anything twice).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
import requests

if TYPE_CHECKING:
    from tests.load.scenario import Fleet

# Instance-level tags CT_small has, each group one reindex; (keyword, value of every test instance). A group
# whose reindex ended before it was seen running is followed by the next one.
TAG_GROUPS = [
    [("StationName", "CT01_OC0"), ("InstitutionName", ""), ("ContrastBolusAgent", ""), ("FilterType", "")],
    [("SoftwareVersions", "05"), ("ConvolutionKernel", ""), ("ScanOptions", ""), ("PatientPosition", "")],
    [("ContrastBolusRoute", "IV"), ("KVP", ""), ("SliceThickness", ""), ("TableHeight", "")],
    [("ExposureTime", "1601"), ("XRayTubeCurrent", ""), ("Exposure", ""), ("FocalSpots", "")],
]
QIDO = {"Accept": "application/dicom+json"}
FINAL = ("succeeded", "failed")


@dataclass
class OperationReport:
    id: str | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)
    tries: int = 0  # reindexes started until one was caught running
    caught_running: bool = False  # running on the process that was killed, at the kill
    status: str | None = None  # as GET /v2/operations/{id} shows it
    seconds_after_kill: float | None = None  # until it ended
    attempts: int | None = None  # starts recorded in the index (1 + takeovers)
    instances: int = 0  # in the index, at the end
    found_by_tag: int = 0  # of them, found by a search on the first tag
    duplicate_values: int = 0  # tag values beyond one per instance and tag
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.id is None:
            return "operation             - (none started)"
        where = "on the killed process" if self.caught_running else "ended before the kill"
        ended = (
            f"ended {self.status} {self.seconds_after_kill:.1f} s after the kill"
            if self.status in FINAL and self.seconds_after_kill is not None
            else f"still {self.status} at the bound"
        )
        return (
            f"operation             reindex of {len(self.tags)} tags, {where} (try {self.tries}); {ended},"
            f" {self.attempts} starts; first tag finds {self.found_by_tag}/{self.instances} instances,"
            f" {self.duplicate_values} duplicate values"
        )


def start_and_find_runner(fleet: Fleet, index_url: str, report: OperationReport, seconds: float = 30) -> int:
    """Start reindexes until one is seen running; returns the index in the fleet of the process running it."""
    deadline = time.monotonic() + seconds
    session = requests.Session()
    with psycopg.connect(index_url, autocommit=True) as db:
        for tags in TAG_GROUPS:
            report.tries += 1
            body = [{"path": keyword, "level": "instance"} for keyword, _ in tags]
            answer = session.post(f"{fleet.root(report.tries)}/v2/extendedquerytags", json=body, timeout=60)
            if answer.status_code != 202:
                report.problems.append(f"adding tags: {answer.status_code} {answer.text[:200]}")
                return 0
            report.id, report.tags = answer.json()["id"], tags
            while time.monotonic() < deadline:
                status, owner = db.execute(
                    "SELECT status, owner FROM operation WHERE id = %s", (report.id,)
                ).fetchone() or ("", None)
                if status == "running" and owner:
                    pid = int(owner.split("/")[1])
                    runner = [i for i, s in enumerate(fleet.services) if s.process and s.process.pid == pid]
                    if runner:
                        report.caught_running = True
                        return runner[0]
                if status in FINAL:
                    break  # too quick to catch: the next group
                time.sleep(0.002)
    report.problems.append(f"no reindex was seen running in {report.tries} tries")
    return 0


def check_outcome(
    fleet: Fleet, index_url: str, report: OperationReport, killed_at: dt.datetime, seconds: float = 90
) -> None:
    """Wait (bounded) for the operation to end, through a live process, then check its effect. The time it
    took is read from the index (when it ended), not from this poll, which starts once the stores end."""
    if report.id is None:
        return
    session = requests.Session()
    deadline = time.monotonic() + seconds
    while True:
        state = session.get(f"{fleet.root(0)}/v2/operations/{report.id}", timeout=60).json()
        report.status = state["status"]
        if report.status in FINAL:
            ended = dt.datetime.fromisoformat(state["lastUpdatedTime"].replace("Z", "+00:00"))
            report.seconds_after_kill = (ended - killed_at).total_seconds()
            break
        if time.monotonic() > deadline:
            report.problems.append(f"the operation is still {report.status} {seconds:.0f} s after the kill")
            return
        time.sleep(0.1)
    with psycopg.connect(index_url, autocommit=True) as db:
        report.attempts = db.execute("SELECT attempts FROM operation WHERE id = %s", (report.id,)).fetchone()[
            0
        ]
        if report.status != "succeeded":
            return  # failed is an allowed end; its effect is not checked
        report.instances = db.execute("SELECT count(*) FROM instance").fetchone()[0]
        report.duplicate_values = db.execute(
            "SELECT count(*) - count(DISTINCT (v.tag_id, v.instance_id)) FROM extended_tag_value v"
        ).fetchone()[0]
        for (tag,) in db.execute("SELECT path FROM extended_query_tag WHERE operation_id IS NULL").fetchall():
            values = db.execute(
                "SELECT count(*) FROM extended_tag_value v JOIN extended_query_tag t ON t.id = v.tag_id"
                " WHERE t.path = %s",
                (tag,),
            ).fetchone()[0]
            if values != report.instances:
                report.problems.append(f"tag {tag}: {values} values for {report.instances} instances")
        studies = [row[0] for row in db.execute("SELECT study_uid FROM study").fetchall()]
    keyword, value = report.tags[0]
    for turn, study in enumerate(studies):
        url = f"{fleet.root(turn)}/v2/studies/{study}/instances"
        everything = session.get(url, headers=QIDO, timeout=60)
        found = session.get(url, params={keyword: value}, headers=QIDO, timeout=60)
        if everything.status_code != 200 or found.status_code not in (200, 204):
            report.problems.append(f"searching {study}: {everything.status_code} / {found.status_code}")
            continue
        expected = {row["00080018"]["Value"][0] for row in everything.json()}
        matched = {row["00080018"]["Value"][0] for row in found.json()} if found.status_code == 200 else set()
        report.found_by_tag += len(expected & matched)
        if expected != matched:
            report.problems.append(f"{keyword}={value} finds {len(matched)} of {len(expected)} in {study}")
    if report.found_by_tag != report.instances:
        report.problems.append(f"the tag finds {report.found_by_tag} of {report.instances} instances")
