"""The generated doc pages of a project in memory, the real ones, and the site built from them as
`make generate && make docs` builds it; the fixture specs those pages are rendered from."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from generator.loader import load_api
from generator.render import environment
from generator.render.docs import render_docs
from tests import fixtures
from tests.fixtures import spec, write_project

ROOT = Path(__file__).resolve().parent.parent.parent


def handwritten() -> list[str]:
    """The site's files the generator does not write (pages, assets), relative to site/."""
    site = ROOT / "site"
    rendered = {path for path in flat(render_real()) if path.startswith("site/")}
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file() and p.relative_to(ROOT).as_posix() not in rendered
    )


Rendered = tuple[dict[str, dict[str, bytes]], dict[str, bytes]]


def render(specs: Path, templates: Path = ROOT / "templates") -> Rendered:
    return render_docs(load_api(specs).model, environment(templates))


def render_real() -> Rendered:
    """The pages of the real specs, from the run's one model of them."""
    return render_docs(fixtures.real_model(), environment(ROOT / "templates"))


def flat(rendered: Rendered) -> dict[str, bytes]:
    trees, files = rendered
    out = dict(files)
    for tree, contents in trees.items():
        out.update({f"{tree}/{path}": data for path, data in contents.items()})
    return out


def page(rendered: Rendered, path: str) -> str:
    return flat(rendered)[path].decode("utf-8")


def build_site(dest: Path, specs: Path = ROOT / "specs") -> subprocess.CompletedProcess[str]:
    """The doc site as `make generate && make docs` builds it, in dest (dest/build/site)."""
    (dest / "site").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(specs, dest / "specs")  # the nav hook reads the registry beside mkdocs.yml
    for hook in yaml.safe_load((ROOT / "mkdocs.yml").read_text()).get("hooks") or []:
        (dest / hook).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / hook, dest / hook)
    for name in handwritten():
        (dest / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "site" / name, dest / "site" / name)
    for path, data in flat(render(specs)).items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    return subprocess.run(command, cwd=dest, env=env, capture_output=True, text=True, check=False)


def rich_spec(
    version: str, segment: str, export: bool = True, study_defaults: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fixture spec plus what statements render (x-dicom, attributes, transfer syntaxes)."""
    document = spec(version, segment, export=export)
    search = document["paths"]["/studies"]["get"]
    search["parameters"].append(
        {
            "name": "PatientName",
            "in": "query",
            "description": "Matches the patient's name.",
            "schema": {"type": "string"},
            "x-dicom-attribute": {"tag": "00100010", "vr": "PN", "matching": ["exact", "fuzzy"]},
        }
    )
    search["x-dicom-query"] = {"level": "study", "returns": ["study"]}
    media = search["responses"]["200"]["content"]["application/dicom+json"]
    media["x-transfer-syntaxes"] = ["*", "1.2.840.10008.1.2.1"]
    media["x-default-transfer-syntax"] = "1.2.840.10008.1.2.1"
    twin = document["paths"]["/partitions/{partitionName}/studies"]["get"]  # the same contract (lint rule)
    twin["parameters"].append(copy.deepcopy(search["parameters"][-1]))
    twin["responses"]["200"] = copy.deepcopy(search["responses"]["200"])
    attributes = {"StudyDate": "00080020", "StudyTime": "00080030", "PatientID": "00100020"}
    defaults = study_defaults or tuple(attributes)
    document["x-dicom"] = {
        "queryLevels": {
            "study": {
                "default": [{"keyword": k, "tag": attributes[k]} for k in defaults],
                "additional": [{"keyword": k, "tag": t} for k, t in attributes.items() if k not in defaults],
            }
        },
        "storeFailureReasons": [{"code": 272, "meaning": "Processing failure."}],
        "storeWarningReasons": [{"code": 45063, "meaning": "Data set does not match SOP class."}],
        "transcodableTransferSyntaxes": [{"uid": "1.2.840.10008.1.2.1", "name": "Explicit VR Little Endian"}],
        "metadataExcludedVRs": ["OB", "UN"],
        "limits": {"maxRequestSize": "2 GB"},
    }
    return document


def rich_project(root: Path, **changes: Any) -> Path:
    documents = {
        "v1_0_prerelease": rich_spec("1.0-prerelease", "v1.0-prerelease", export=False),
        "v1": rich_spec("1", "v1"),
        "v2": rich_spec("2", "v2", study_defaults=("StudyDate", "PatientID")),
    }
    return write_project(root, **{**documents, **changes})
