"""The doc site: generated pages say what the specs say, escape what the specs write, and build strictly."""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml

from generator.loader import load_api
from generator.model import ApiModel
from generator.render import GENERATED_MARK, environment
from generator.render.changelog import version_changes
from generator.render.docs import example_exchange, render_docs, review_markdown
from tests import fixtures
from tests.fixtures import REGISTRY, parse_yaml, spec, write_project

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "versioning-policy.txt"  # the versioning policy this project implements


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


# --- helpers ------------------------------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def real_model() -> ApiModel:
    return fixtures.real_model()


@pytest.fixture(scope="module")
def real_pages(real_model: ApiModel) -> dict[str, bytes]:
    return flat(render_docs(real_model, environment(ROOT / "templates")))


# --- the site builds ----------------------------------------------------------------------------------------

# What must not reach a reader: Markdown that did not render, text cut short, the review's schema paths.
ARTEFACTS = {
    "raw bold": r"\*\*",
    "raw backtick": r"`",
    "cut text": r"…",
    "schema path": r"\$[:.]",
    "attr list": r"\{[:#]",
}
# Names only the API team knows: spec extensions, code, build commands, repository paths.
INTERNAL = re.compile(r"\bx-[a-z][\w.-]*|dicom_service|make generate|generator/|\bspecs/\w|\bsite/\w")


def article_text(html_text: str) -> tuple[str, str]:
    """(prose, code) a reader sees in a page's article: comments and tags removed, entities decoded."""
    match = re.search(r"<article[^>]*>(.*)</article>", html_text, re.S)
    body = re.sub(r"<!--.*?-->", "", match.group(1) if match else "", flags=re.S)
    code = " ".join(re.findall(r"<(?:code|pre)[^>]*>(.*?)</(?:code|pre)>", body, flags=re.S))
    prose = re.sub(r"<(code|pre)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return tuple(html.unescape(re.sub(r"<[^>]+>", " ", part)) for part in (prose, code))  # type: ignore[return-value]


@pytest.fixture
def built_site(built_project: Path) -> Path:
    """The site as `make generate && make docs` builds it (build/site), built once for the run."""
    return built_project / "build" / "site"


@pytest.mark.slow
def test_site_builds_strictly_from_a_fresh_render(built_site: Path) -> None:
    built = built_site
    for path in ["index.html", "versioning-policy.html", "versions.html", "migration.html", "specs/v2.yaml"]:
        assert (built / path).is_file(), path
    for version in fixtures.real_model().registry.versions:
        assert (built / "conformance" / f"{version.slug}.html").is_file()
        assert (built / "api" / f"{version.slug}.html").is_file()
    policy = (built / "versioning-policy.html").read_text(encoding="utf-8")
    assert "--8&lt;--" not in policy and "--8<--" not in policy  # every snippet was included
    assert not re.search(
        r"https?://(fonts\.googleapis|fonts\.gstatic|unpkg|cdn\.)", (built / "index.html").read_text()
    )


@pytest.mark.slow
def test_built_pages_show_no_raw_markdown_and_no_internal_names(built_site: Path) -> None:
    pages = [p for p in built_site.rglob("*.html") if p.name != "404.html" and "assets" not in p.parts]
    # Pages for API maintainers name the project's internals on purpose.
    client_pages = [p for p in pages if p.name != "review-rules.html" and "maintainers" not in p.parts]
    assert len(client_pages) >= 10
    problems = []
    for path in client_pages:
        prose, code = article_text(path.read_text(encoding="utf-8"))
        problems += [(path.name, name) for name, pattern in ARTEFACTS.items() if re.search(pattern, prose)]
        problems += [(path.name, found) for found in INTERNAL.findall(prose + " " + code)]
    assert not problems, sorted(set(problems))


@pytest.mark.slow
def test_the_build_ships_no_source_maps_or_unused_search_languages(built_site: Path) -> None:
    assert not list(built_site.rglob("*.map"))
    assert not list((built_site / "assets" / "javascripts").rglob("lunr.*.min.js"))
    # 10.3 MB before: 3.2 MB of source maps, 30 unused search languages. Measured with three versions: each
    # version's pages and documents 0.73-0.80 MB, the rest (theme, search index, shared pages) 3.0 MB.
    registry = fixtures.real_model().registry
    versions, retired = registry.versions, registry.retired
    sizes = {p: p.stat().st_size for p in built_site.rglob("*") if p.is_file()}

    def archived(p: Path, slug: str) -> bool:  # a retired version's statement and guide, kept under archive/
        return "archive" in p.parts and p.stem.startswith(f"{slug}-")

    for version in versions:
        own = sum(size for p, size in sizes.items() if p.stem == version.slug)
        assert 0 < own < 1_000_000, (version.name, own)
    for version in retired:
        own = sum(size for p, size in sizes.items() if archived(p, version.slug))
        assert 0 < own < 1_000_000, (version.name, own)
    shared = sum(
        size
        for p, size in sizes.items()
        if p.stem not in {v.slug for v in versions} and not any(archived(p, v.slug) for v in retired)
    )
    # the search index grows with each version, served or archived
    assert shared < 3_000_000 + 200_000 * (len(versions) + len(retired)), shared


@pytest.mark.slow
def test_a_broken_link_fails_the_strict_build(tmp_path: Path) -> None:
    """The site's own strictness and link validation, on two pages (the whole site builds once per run)."""
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert settings["strict"] is True and settings["validation"]["anchors"] == "warn"
    small = {key: settings[key] for key in ("site_name", "docs_dir", "site_dir", "strict", "validation")}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump({**small, "nav": ["index.md", "versions.md"]}))
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "versions.md").write_text("# Versions\n\n## Supported\n")
    (tmp_path / "site" / "index.md").write_text("# Home\n\n[fine](versions.md#supported)\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    result_ok = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result_ok.returncode == 0, result_ok.stdout + result_ok.stderr
    broken = tmp_path / "site" / "index.md"
    broken.write_text(broken.read_text() + "\n[gone](versions.md#no-such-anchor)\n")
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "no-such-anchor" in result.stdout + result.stderr


def test_mkdocs_config_follows_the_registry(real_model: ApiModel) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    settings = yaml.safe_load(config)
    assert settings["site_url"] == real_model.registry.docs_url
    assert settings["theme"]["font"] is False and settings["extra"]["generator"] is False
    assert settings["use_directory_urls"] is False
    assert (real_model.registry.policy.removesuffix(".html") + ".md") in config


# --- conformance statements ---------------------------------------------------------------------------------


def test_each_conformance_page_lists_every_operation_of_its_version(
    real_model: ApiModel, real_pages: dict[str, bytes]
) -> None:
    for name, api_spec in real_model.specs.items():
        text = real_pages[f"site/conformance/{api_spec.version.slug}.md"].decode()
        assert api_spec.operations, name
        for op in api_spec.operations:
            assert f"`{op.operation_id}`" in text, (name, op.operation_id)
            assert f"{op.method.upper()} `{op.path}`" in text, (name, op.method, op.path)


def test_a_limit_tied_to_an_operation_is_stated_only_where_the_version_has_it(
    real_model: ApiModel, real_pages: dict[str, bytes]
) -> None:
    for api_spec in real_model.specs.values():
        text = real_pages[f"site/conformance/{api_spec.version.slug}.md"].decode()
        has_bulk_data = any(op.operation_id == "retrieveInstanceBulkData" for op in api_spec.operations)
        assert ("`DICOM_BULKDATA_THRESHOLD`" in text) == has_bulk_data, api_spec.version.name
        assert "`DICOM_MAX_PARTS`" in text


def test_operations_of_other_versions_are_not_listed(tmp_path: Path) -> None:
    pages = render(rich_project(tmp_path))
    assert "`startExport`" in page(pages, "site/conformance/v1.md")
    assert "`startExport`" not in page(pages, "site/conformance/v1.0-prerelease.md")


def test_conformance_page_shows_the_specs_conformance_data(tmp_path: Path) -> None:
    text = page(render(rich_project(tmp_path)), "site/conformance/v2.md")
    assert (
        "- `limit` (query, integer, optional, default `100`, `≥ 1`, `≤ 200`)" in text
    )  # with its description
    assert "| `PatientName` | (0010,0010) PN | exact, fuzzy |" in text  # searchable attributes
    assert "| GET `/studies` | study | study |" in text  # level searched, levels returned
    assert "`1.2.840.10008.1.2.1` (Explicit VR Little Endian)" in text  # transfer syntax named from x-dicom
    assert "| `StudyTime` | (0008,0030) | with `includefield` |" in text
    assert "| `272` | Processing failure. |" in text and "| `45063` |" in text
    assert "`OB`, `UN`" in text and "| Max request size | 2 GB |" in text
    assert "in a partition: GET `/partitions/{partitionName}/studies`" in text  # the partition twin is listed
    assert "| Studies Service | [QIDO-RS](#tx-qido-rs) (1 route) |" in text
    assert "| Non-standard APIs | [Export](#tx-export) (1 route) |" in text
    assert "`https://<service-url>/v2/`" in text and "`/v2.0/`" in text


def test_version_lifecycle_admonitions(tmp_path: Path) -> None:
    pages = render(rich_project(tmp_path))
    prerelease = page(pages, "site/conformance/v1.0-prerelease.md")
    assert '!!! warning "Prerelease version"' in prerelease
    assert '!!! danger "Deprecated version"' in prerelease
    assert "since 2023-06-30" in prerelease and "after 2027-06-30" in prerelease
    assert "(../versioning-policy.md#deprecation)" in prerelease
    assert '!!! danger "Deprecated version"' in page(pages, "site/api/v1.0-prerelease.md")
    released = page(pages, "site/conformance/v2.md") + page(pages, "site/api/v2.md")
    assert "!!! danger" not in released and "!!! warning" not in released


def test_a_changed_parameter_bound_changes_the_conformance_page(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "specs", project / "specs")
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    before = page(render_real(), "site/conformance/v2.md")  # the copy, as it is

    v2 = project / "specs" / "v2.yaml"
    document = parse_yaml(v2.read_text(encoding="utf-8"))
    changed = _set_limit_maximum(document, 173)
    assert changed, "the v2 spec has no query parameter `limit` with a maximum"
    v2.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    after = page(render(project / "specs", project / "templates"), "site/conformance/v2.md")

    assert "`≤ 173`" not in before
    assert "`≤ 173`" in after
    assert before != after


def _set_limit_maximum(node: Any, maximum: int) -> int:
    """Sets the maximum of every `limit` query parameter in a document; how many it changed."""
    count = 0
    if isinstance(node, dict):
        schema = node.get("schema")
        if (
            node.get("name") == "limit"
            and node.get("in") == "query"
            and isinstance(schema, dict)
            and "maximum" in schema
        ):
            schema["maximum"] = maximum
            count += 1
        for value in node.values():
            count += _set_limit_maximum(value, maximum)
    elif isinstance(node, list):
        for value in node:
            count += _set_limit_maximum(value, maximum)
    return count


HOSTILE = (
    "<script>alert(1)</script> {{ x }} {% if 1 %} [x](javascript:alert(1)) "
    '<img src=x onerror=alert(1)> {: onclick="alert(1)" }'
)


def test_spec_text_cannot_inject_html_script_or_template_syntax(tmp_path: Path) -> None:
    v2 = rich_spec("2", "v2")
    search = v2["paths"]["/studies"]["get"]
    search["summary"] = "Search " + HOSTILE
    search["description"] = HOSTILE + "\n\n" + HOSTILE
    search["responses"]["200"]["description"] = HOSTILE
    search["parameters"][-1]["description"] = HOSTILE
    v2["tags"][0]["description"] = HOSTILE
    v2["info"]["description"] = HOSTILE
    v2["x-dicom"]["storeFailureReasons"][0]["meaning"] = HOSTILE
    v2["x-dicom"]["limits"]["note"] = HOSTILE
    v2["x-behaviour-changes"] = [
        {"id": "hostile", "summary": "Search " + HOSTILE, "operations": ["searchStudies"], "affects": HOSTILE}
        | {"action": HOSTILE, "was": HOSTILE}
    ]
    pages = render(rich_project(tmp_path, v2=v2))
    for path in ["site/conformance/v2.md", "site/migration.md"]:
        text = page(pages, path)
        assert "Search " in text
        prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)  # inline code shows its text literally
        assert "<script" not in prose and "<img" not in prose, path
        assert "{{" not in prose and "{%" not in prose and "{:" not in prose, path
        assert "](javascript:" not in prose, path
        html = markdown.markdown(
            text,
            extensions=["tables", "attr_list", "admonition", "md_in_html", "toc", "pymdownx.superfences"],
        )
        assert "<script" not in html and "<img" not in html, path
        assert 'href="javascript:' not in html, path
        assert not re.search(r"<[a-z]+[^>]*\s(onclick|onerror)=", html), path
        assert "{{" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S), path


def test_pages_are_deterministic(tmp_path: Path) -> None:
    first = flat(render_real())
    second = flat(render_real())
    assert first.keys() == second.keys()
    assert all(first[path] == second[path] for path in first)


def test_every_generated_page_carries_the_generated_mark(real_pages: dict[str, bytes]) -> None:
    for path, data in real_pages.items():
        if path.endswith(".md"):
            text = data.decode()
            if text.startswith("---\n"):  # front matter first (search ranking), then the mark
                text = text.split("\n---\n", 1)[1]
            assert text.startswith(f"<!-- {GENERATED_MARK} -->\n"), path
        elif path.endswith(".html"):
            assert data.decode().startswith("{# " + GENERATED_MARK), path


def test_served_specs_are_the_bundled_documents(real_model: ApiModel, real_pages: dict[str, bytes]) -> None:
    for api_spec in real_model.specs.values():
        slug = api_spec.version.slug
        assert parse_yaml(real_pages[f"site/specs/{slug}.yaml"]) == api_spec.document
        assert f'<swagger-ui src="../specs/{slug}.yaml"/>' in real_pages[f"site/api/{slug}.md"].decode()


# --- versions page and headers ------------------------------------------------------------------------------


def test_versions_page_shows_the_registry_and_the_headers_clients_see(tmp_path: Path) -> None:
    text = page(render(rich_project(tmp_path)), "site/versions.md")
    assert "| v1.0-prerelease | prerelease | — | yes, since 2023-06-30; sunset 2027-06-30 |" in text
    assert "| v2 (current) | released | — | no |" in text
    assert "New clients should use **version 2**" in text
    assert "`/v1.0-prerelease/`, also `/v1-prerelease/`" in text
    assert (
        text.index("| v2 (current)") < text.index("| v1 |") < text.index("| v1.0-prerelease |")
    )  # newest first
    assert "[conformance statement](conformance/v2.md) · [API reference](api/v2.md) · OpenAPI" in text
    # Most endpoints exist in all three versions, export only from v1 on.
    most, export = text.split("### Endpoints in")[1:3]
    assert "`api-supported-versions: 1, 2`" in most and "`api-deprecated-versions: 1.0-prerelease`" in most
    assert "`POST /export`" in export and "`api-supported-versions: 1, 2`" in export
    assert "api-deprecated-versions" not in export
    # Requests to the deprecated version (RFC 9745 and RFC 8594 formats).
    assert "`deprecation: @1688083200`" in text
    assert "`sunset: Wed, 30 Jun 2027 00:00:00 GMT`" in text
    assert (
        '`link: <https://docs.example.test/versioning-policy.html>; rel="deprecation"; type="text/html"`'
        in text
    )


def test_versions_page_follows_a_registry_change(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["versions"][1].update(deprecated=True, sunset="2028-01-31")
    text = page(render(rich_project(tmp_path, registry=registry)), "site/versions.md")
    assert "| v1 | released | — | yes; sunset 2028-01-31 |" in text
    assert "`api-supported-versions: 2`" in text
    assert "`api-deprecated-versions: 1.0-prerelease, 1`" in text


def test_example_response_is_a_request_to_the_deprecated_version(real_model: ApiModel) -> None:
    registry = real_model.registry
    deprecated = [v for v in registry.versions if v.deprecated]
    shown = (deprecated or registry.versions)[0]  # the oldest deprecated version, as the policy shows
    exchange = example_exchange(real_model)
    assert exchange.path.startswith(f"/{shown.segment}/studies/")
    assert exchange.status == 200
    headers = dict(exchange.headers)
    assert headers["api-supported-versions"] == ", ".join(
        v.name for v in registry.versions if not v.deprecated
    )
    assert headers.get("api-deprecated-versions") == (", ".join(v.name for v in deprecated) or None)
    if shown.sunset:
        assert headers["sunset"] == shown.sunset.strftime("%a, %d %b %Y 00:00:00 GMT")
    snippet = flat(render_docs(real_model, environment(ROOT / "templates")))[
        "site/snippets/example-response.md"
    ]
    text = snippet.decode()
    assert f"GET {exchange.path} HTTP/1.1" in text and "HTTP/1.1 200 OK" in text
    for name, value in exchange.headers:
        assert f"\n{name}: {value}\n" in text


# --- migration guide ----------------------------------------------------------------------------------------


def test_migration_guide_lists_added_operations_and_changed_bounds(tmp_path: Path) -> None:
    v2 = rich_spec("2", "v2", study_defaults=("StudyDate", "PatientID"))
    v2["components"]["parameters"]["limit"]["schema"]["maximum"] = 150
    text = page(render(rich_project(tmp_path, v2=v2)), "site/migration.md")
    newest, oldest = text.split("## Migrate from v1 to v2")[1].split("## Migrate from v1.0-prerelease to v1")
    assert (
        "| No | Operations added in version 1.<br>**In:** [Export](conformance/v1.md#op-startexport) |"
        in oldest
    )
    assert "POST `/export` ([`startExport`](conformance/v1.md#op-startexport))" in oldest  # the full list
    # Judged by the review engine: a lower maximum on a request parameter breaks clients; one row, first.
    table = newest.split("??? note")[0]
    rows = [line for line in table.splitlines() if line.startswith("| **Breaking**")]
    assert rows and "request constraint tightened: query parameter limit: maximum 200 → 150" in rows[0]
    tightened = "**breaking** ([`request-constraint-tightened`](review-rules.md))"
    assert f"{tightened}: query parameter limit: maximum 200 → 150" in newest
    # The partition twin changed the same way, so it is listed with its base route, once (table and list).
    assert table.count("maximum 200 → 150") == 1 and newest.count("maximum 200 → 150") == 2
    assert "GET `/partitions/{partitionName}/studies`" in newest
    # Query defaults: StudyTime moved from the defaults to includefield; the note says how to get it back.
    assert "study level, returned by default: removed `StudyTime`" in newest
    assert "`includefield=StudyTime`" in newest


def test_version_changes_compares_any_two_versions(tmp_path: Path) -> None:
    model = load_api(rich_project(tmp_path)).model
    changes = version_changes(model, "1.0-prerelease", "2")
    assert [r.operation_id for r in changes.added] == ["startExport"]
    assert not changes.removed
    assert [m.level for m in changes.moved] == ["study"]
    assert version_changes(model, "1", "1").empty


# --- the policy page ----------------------------------------------------------------------------------------

# Each rule of the seed policy, with the phrases the policy page must use for it.
SEED_RULES = {
    "the version is in the URL": ["explicitly", "/v2/studies"],
    "routes without a version aren't supported": ["Routes without a version aren't supported", "404"],
    "an unknown version is refused": ["400", "UnsupportedApiVersion"],
    "supported versions are listed": [
        "Currently the supported versions are",
        'snippets/supported-versions.md"',
    ],
    "where the OpenAPI documents are": ["/api.yaml", "/api.json", 'snippets/openapi-documents.md"'],
    "conformance statements per version": [
        "conform to the DICOMweb™ Standard",
        "might expose\ndifferent APIs",
        'snippets/conformance-links.md"',
    ],
    "prerelease means testing only": [
        "isn't ready for production",
        "testing",
        "breaking changes without notice",
    ],
    "only the major version is incremented on a breaking change": ["Only the **major** version", "backwards"],
    "breaking: renaming or removing endpoints": ["Renaming or removing endpoints"],
    "breaking: removing or adding mandatory parameters": ["Removing parameters, or adding mandatory"],
    "breaking: changing a status code": ["Changing a status code"],
    "breaking: deleting a response property or altering a response type": [
        "Deleting a property from a response",
        "altering a response type at all",
        "Adding properties to a response is\n  fine",
    ],
    "breaking: changing a property type": ["Changing the type of a property"],
    "breaking: behaviour changes": ["*foo*", "*bar*"],
    "non-breaking: nullable or defaulted properties": [
        "Adding properties that are nullable or have a default value"
    ],
    "non-breaking: response model additions": ["Adding properties to a response model"],
    "non-breaking: property order": ["Changing the order of properties"],
    "ReportApiVersions reports two headers": ["`ReportApiVersions` is turned on", "when appropriate"],
    "api-supported-versions and its annotation": [
        "`api-supported-versions` lists",
        '`ApiVersion("<someVersion>")`',
    ],
    "api-deprecated-versions and its annotation": [
        "`api-deprecated-versions` lists",
        '`ApiVersion("<someVersion>", Deprecated = true)`',
    ],
    "the deprecated annotation example": [
        '[ApiVersion("1.0-prerelease", Deprecated = true)]',
        '@api_version("1.0-prerelease", deprecated=True)',
    ],
    "a real example response instead of the screenshot": ['snippets/example-response.md"'],
    "the trademark notice": ["DICOM® is the registered trademark of the National Electrical Manufacturers"],
}


@pytest.mark.parametrize("rule", sorted(SEED_RULES))
def test_policy_page_covers_the_seed_rule(rule: str) -> None:
    text = (ROOT / "site" / "versioning-policy.md").read_text(encoding="utf-8")
    for phrase in SEED_RULES[rule]:
        assert phrase in text, f"{rule}: missing {phrase!r}"


def test_policy_rules_cover_every_section_of_the_seed() -> None:
    """The seed's section headings each have a rule above, so a new seed section cannot be missed silently."""
    seed = SEED.read_text(encoding="utf-8")
    for heading in [
        "Specifying version of REST API in requests",
        "Supported versions",
        "DICOM Conformance Statement",
        "Prerelease versions",
        "How versions are incremented",
        "Header in response",
    ]:
        assert heading in seed
    assert seed.count("  • ") == 3 + 6 + 3 + 2  # versions, breaking, non-breaking, headers: all covered above


def test_policy_page_snippets_are_generated(real_model: ApiModel, real_pages: dict[str, bytes]) -> None:
    text = (ROOT / "site" / "versioning-policy.md").read_text(encoding="utf-8")
    for name in re.findall(r'--8<-- "([^"]+)"', text):
        assert f"site/{name}" in real_pages, name
    supported = real_pages["site/snippets/supported-versions.md"].decode()
    for version in real_model.registry.versions:
        assert f"`{version.segment}`" in supported, version.name


def test_review_rules_page_is_generated_when_the_review_engine_provides_it(
    real_pages: dict[str, bytes],
) -> None:
    body = review_markdown()
    assert ("site/review-rules.md" in real_pages) == (body is not None)
    link = real_pages["site/snippets/review-link.md"].decode()
    assert ("review-rules.md" in link) == (body is not None)


def test_the_real_v1_to_v2_migration_guide_shows_what_v2_changed() -> None:
    text = (ROOT / "site" / "migration.md").read_text()
    v1_to_v2 = text.split("## Migrate from v1 to v2")[1].split("## Migrate from v1.0-prerelease to v1")[0]
    expected = [
        "optional query parameter startTime added",  # change feed time window
        "query parameter limit: default 10 → 100",
        'enum value(s) "succeeded" added',  # operation status
        "status 202 added",  # bulk update works from v2
        "`stow-lenient-validation`",  # STOW leniency, declared
        "`stow-202-on-warnings`",  # STOW 202 on warnings, declared
        "no longer return `SpecificCharacterSet`, `InstanceAvailability`",  # QIDO defaults
    ]
    missing = [phrase for phrase in expected if phrase not in v1_to_v2]
    assert not missing
