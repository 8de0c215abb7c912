"""The bundled decks are found from a source checkout (editable install) and from a wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from quizapp.paths import bundled_decks_dir
from tests.conftest import REPO


def test_editable_install_reads_the_repository_decks() -> None:
    assert bundled_decks_dir() == REPO / "decks"


@pytest.mark.slow
def test_a_built_wheel_carries_the_decks_and_finds_them(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("quizapp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "quizapp/decks/starter.md" in names
    assert "engine/expr/parser.py" in names
    assert "quizapp/cli.py" in names
    assert not any(name.startswith(("tests/", "decks/")) for name in names)

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    result = subprocess.run(
        [sys.executable, "-m", "quizapp", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(unpacked)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{unpacked / 'quizapp' / 'decks' / 'starter.md'}" in result.stdout
