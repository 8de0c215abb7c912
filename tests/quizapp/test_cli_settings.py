"""`quizapp config` and `quizapp optimize`, and the settings in `quizapp stats`."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.settings import DEFAULTS
from engine.storage import ReviewStore
from engine.storage.parameters import save_parameters
from tests.conftest import run_cli
from tests.engine.study.test_optimizer import record, simulate

FITTED_AT = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
WEIGHTS = (0.3, *DEFAULT_PARAMETERS[1:])


def test_config_prints_the_defaults_as_toml_and_where_the_file_goes(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    code, out, err = run_cli(capsys, "config")
    assert (code, err) == (0, "")
    assert out.startswith(f"# quizapp settings: {config_dir / 'config.toml'}\n# (no such file yet")
    assert tomllib.loads(out) == {key: getattr(DEFAULTS, key) for key in tomllib.loads(out)}
    assert len(tomllib.loads(out)) == 8
    assert run_cli(capsys, "config", "--path") == (0, f"{config_dir / 'config.toml'}\n", "")


def test_config_output_saved_as_the_file_reads_back_the_same(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text("desired_retention = 0.8\ntheme = 'nord'\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "config")
    assert code == 0
    (config_dir / "config.toml").write_text(out, encoding="utf-8")
    code, again, err = run_cli(capsys, "config")
    assert (code, err) == (0, "")
    assert tomllib.loads(again) == tomllib.loads(out)
    assert tomllib.loads(out)["theme"] == "nord"
    assert tomllib.loads(out)["desired_retention"] == 0.8


def test_config_lists_the_problems_and_exits_1(capsys: pytest.CaptureFixture[str], config_dir: Path) -> None:
    path = config_dir / "config.toml"
    path.write_text('new_cards_per_day = 12\ntheme = "no-such-theme"\nleech_lapse = 4\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "config")
    assert code == 1
    assert tomllib.loads(out)["new_cards_per_day"] == 12  # the good value is in effect
    assert tomllib.loads(out)["theme"] == DEFAULTS.theme
    lines = err.splitlines()
    assert lines[0].startswith(f'quizapp: {path}:2: theme: no theme "no-such-theme"')
    assert (
        lines[1] == f"quizapp: {path}:3: leech_lapse: unknown setting, ignored (did you mean leech_lapses?)"
    )


def test_optimize_below_the_threshold_says_how_many_reviews_are_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3") as store:
        record(store, simulate(5, days=40))
    code, out, err = run_cli(capsys, "optimize", "--data-dir", str(tmp_path))
    assert (code, err) == (0, "")
    assert "FSRS needs 512 qualifying reviews to fit parameters: " in out
    assert "more. The scheduler keeps fsrs's default parameters." in out


def test_stats_show_the_desired_retention_and_the_parameters_in_use(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text("desired_retention = 0.95\n", encoding="utf-8")
    with ReviewStore.open(tmp_path / "quizapp.sqlite3") as store:
        record(store, simulate(5, days=40))
        fit = save_parameters(store, WEIGHTS, 600, 0.4, 0.38, now=FITTED_AT)
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(tmp_path))
    assert code == 0
    assert "(desired 95%)" in out
    assert "FSRS parameters: fitted to your 600 reviews on 2026-02-01" in out
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(tmp_path), "--json")
    data = json.loads(out)
    assert data["desired_retention"] == 0.95
    assert data["scheduler_parameters"] == {
        "source": "fitted",
        "fitted_at": fit.fitted_at.isoformat(),
        "reviews": 600,
        "values": list(WEIGHTS),
    }
