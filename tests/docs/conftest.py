"""The real specs' model and their pages, rendered once for the doc tests."""

from __future__ import annotations

import pytest

from generator.model import ApiModel
from generator.render import environment
from generator.render.docs import render_docs
from tests import fixtures
from tests.docs.pages import ROOT, flat


@pytest.fixture(scope="session")
def real_model() -> ApiModel:
    return fixtures.real_model()


@pytest.fixture(scope="session")
def real_pages(real_model: ApiModel) -> dict[str, bytes]:
    return flat(render_docs(real_model, environment(ROOT / "templates")))
