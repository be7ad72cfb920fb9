"""No hand-written module of the service, the generator or the benchmarks is over 400 lines
(`make imports`), and the check names the one that is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.module_sizes import MAX_LINES, main, too_long


def test_no_hand_written_module_is_over_the_limit() -> None:
    assert too_long() == []


def write_lines(path: Path, count: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(count)), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A module one line over the limit, one at it, and a longer generated one."""
    write_lines(tmp_path / "generator" / "render" / "long.py", MAX_LINES + 1)
    write_lines(tmp_path / "bench" / "at_limit.py", MAX_LINES)
    write_lines(tmp_path / "dicom_service" / "generated" / "operations.py", 3 * MAX_LINES)
    write_lines(tmp_path / "dicom_service" / "handlers" / "short.py", 10)
    return tmp_path


def test_a_module_over_the_limit_is_found_and_generated_code_is_exempt(project: Path) -> None:
    assert too_long(root=project) == [(Path("generator/render/long.py"), MAX_LINES + 1)]


def test_the_command_names_the_file_and_its_line_count_and_fails(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], project) == 1
    assert capsys.readouterr().out == (
        "generator/render/long.py: 401 lines, over the 400 a module may have; split it by job\n"
    )


def test_the_command_passes_when_every_module_fits(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "dicom_service"], project) == 0
    assert "no module over 400 lines in bench, dicom_service" in capsys.readouterr().out
