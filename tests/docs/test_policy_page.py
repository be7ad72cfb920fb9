"""The versioning policy page covers every rule of the seed policy, includes generated snippets, and links
the review's rules page when the review engine provides it."""

from __future__ import annotations

import re

import pytest

from generator.model import ApiModel
from generator.render.docs import review_markdown
from tests.docs.pages import ROOT

SEED = ROOT / "tests" / "data" / "versioning-policy.txt"  # the versioning policy this project implements

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
