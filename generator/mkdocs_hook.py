"""MkDocs hook: the site's per-version navigation and API-reference pages come from the registry.

`mkdocs.yml` names the sections (`- Conformance: []`, `- API reference: [api/index.md]`); this hook fills
them with one entry per version the registry serves, newest first, and gives the Swagger UI plugin the
matching pages. Adding, deprecating or retiring a version therefore needs no edit of `mkdocs.yml`. A registry
that cannot be read stops the build with the registry's own diagnostics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from generator.diagnostics import InputError
from generator.registry import Version

SPECS_DIR = "specs"  # beside mkdocs.yml
SWAGGER_PLUGIN = "swagger-ui-tag"
# nav section title → page of one version; the section's own entries (an index page) stay first
SECTIONS = {"Conformance": "conformance/{slug}.md", "API reference": "api/{slug}.md"}
API_INDEX = "api/index.md"


def version_sections(versions: tuple[Version, ...]) -> dict[str, list[str]]:
    """The nav entries each per-version section gets, newest first: `conformance/v2.md` (no nav title, so
    the page's own title shows)."""
    newest_first = list(reversed(versions))
    return {title: [page.format(slug=v.slug) for v in newest_first] for title, page in SECTIONS.items()}


def fill_nav(nav: list[Any], versions: tuple[Version, ...], archived: tuple[str, ...] = ()) -> list[Any]:
    """`archived`: the retired versions' pages under site/archive/, listed after the served versions'."""
    sections = version_sections(versions)
    sections["Conformance"] += list(archived)
    filled = []
    for item in nav:
        if isinstance(item, dict) and len(item) == 1:
            ((title, children),) = item.items()
            if title in sections:
                kept = [c for c in (children or []) if c not in sections[title]]  # index pages
                item = {title: [*kept, *sections[title]]}
        filled.append(item)
    return filled


def api_pages(versions: tuple[Version, ...]) -> list[str]:
    return [API_INDEX, *(SECTIONS["API reference"].format(slug=v.slug) for v in reversed(versions))]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from generator.lifecycle.registry_file import read_registry

    specs = Path(config.config_file_path).parent / SPECS_DIR
    try:
        registry = read_registry(specs).registry
    except InputError as exc:
        raise PluginError(f"the version registry cannot be read:\n{exc.report()}") from None
    if config.nav is not None:  # without a nav MkDocs lists every page itself
        site = Path(config.docs_dir)
        archived = tuple(
            path.relative_to(site).as_posix()
            for v in reversed(registry.retired)
            for path in sorted((site / "archive").glob(f"{v.slug}-*.md"))
        )
        config.nav = fill_nav(config.nav, registry.versions, archived)
    swagger = config.plugins.get(SWAGGER_PLUGIN)
    if swagger is not None:
        swagger.config["filter_files"] = api_pages(registry.versions)
    return config
