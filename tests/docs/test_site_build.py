"""The doc site builds strictly from a fresh render, shows readers no raw Markdown or internal names, ships
no source maps, and fails on a broken link."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.model import ApiModel
from tests import fixtures
from tests.docs.pages import ROOT

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
    # version's pages and documents 0.73-0.80 MB, the rest (theme, search index, shared pages) 3.0 MB, and
    # 3.6 MB since (the search index holds every statement's limits table and the maintainers' pages).
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
    assert shared < 3_100_000 + 200_000 * (len(versions) + len(retired)), shared


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
