"""MkDocs hooks (mkdocs.yml `hooks:`): keep the built site to what a reader's browser loads.

- Source maps (`*.map`) are dropped: browsers fetch them only for their developer tools.
- Search language packs are dropped except those of the search plugin's `lang`: English needs none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LUNR_DIR = Path("assets") / "javascripts" / "lunr"
SEGMENTERS = {"ja": "tinyseg.js", "th": "wordcut.js"}  # word segmenters Material ships for these languages


def on_post_build(config: Any, **_: Any) -> None:
    site = Path(config["site_dir"])
    for source_map in site.rglob("*.map"):
        source_map.unlink()
    langs = set(search_languages(config)) - {"en"}
    lunr = site / LUNR_DIR
    if not lunr.is_dir():
        return
    keep = {SEGMENTERS[lang] for lang in langs if lang in SEGMENTERS}
    keep |= {f"lunr.{lang}.min.js" for lang in langs}
    if langs:
        keep |= {"lunr.stemmer.support.min.js", "lunr.multi.min.js"}
    for path in lunr.rglob("*.js"):
        if path.name not in keep:
            path.unlink()
    for folder in sorted(lunr.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def search_languages(config: Any) -> list[str]:
    plugin = config["plugins"].get("material/search") or config["plugins"].get("search")
    langs = getattr(plugin, "config", {}).get("lang") if plugin is not None else None
    return [langs] if isinstance(langs, str) else list(langs or ["en"])
