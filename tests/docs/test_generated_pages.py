"""Every generated page: spec text cannot inject HTML, scripts or template syntax; pages are deterministic,
carry the generated mark, and serve the bundled documents."""

from __future__ import annotations

import re
from pathlib import Path

import markdown

from generator.model import ApiModel
from generator.render import GENERATED_MARK
from tests.docs.pages import flat, page, render, render_real, rich_project, rich_spec
from tests.fixtures import parse_yaml

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
