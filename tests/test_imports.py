"""The service and the generator have no import circles (`make imports`), and the check finds one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports import PACKAGES, main, package_circles


def test_the_packages_have_no_import_circles() -> None:
    assert {package: package_circles(package) for package in PACKAGES} == {p: [] for p in PACKAGES}


@pytest.fixture
def circular(tmp_path: Path) -> Path:
    """pkg.a → pkg.sub.b (type-only, relative) → pkg.sub.c (inside a function) → pkg.a; pkg.d outside it."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    type_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import X\n"
    (package / "sub" / "b.py").write_text(type_only)
    (package / "sub" / "c.py").write_text("def f() -> None:\n    import pkg.a\n")
    (package / "d.py").write_text("from pkg import a\n")
    return tmp_path


def test_a_circle_through_a_type_only_or_relative_import_is_found(circular: Path) -> None:
    assert package_circles("pkg", circular) == [["pkg.a", "pkg.sub.b", "pkg.sub.c"]]


def test_the_command_names_each_circle_and_fails(circular: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pkg"], circular) == 1
    assert "pkg.a, pkg.sub.b, pkg.sub.c import each other" in capsys.readouterr().out
