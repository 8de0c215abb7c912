"""The settings file: defaults, a round trip, and every bad value named at its file:line."""

from __future__ import annotations

import re
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest

from engine.settings import DEFAULTS, SCHEMA, Settings, load_settings, settings_path, toml_value
from tests.conftest import REPO

THEMES = ("textual-dark", "textual-light", "nord", "gruvbox")


def write(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_no_file_gives_the_defaults_and_no_problem(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "config.toml") == (DEFAULTS, [])


def test_the_path_is_in_the_config_folder_the_environment_names(config_dir: Path) -> None:
    assert settings_path() == config_dir / "config.toml"


def test_settings_round_trip_through_their_toml(tmp_path: Path) -> None:
    chosen = Settings(
        desired_retention=0.85,
        new_cards_per_day=0,
        day_boundary_hour=23,
        theme="nord",
        drill_questions=25,
        drill_minutes=0.0,
        leech_lapses=3,
        leech_action="tag",
    )
    assert all(getattr(chosen, f.name) != getattr(DEFAULTS, f.name) for f in fields(Settings))
    path = tmp_path / "config.toml"
    path.write_text(chosen.to_toml(), encoding="utf-8")
    assert load_settings(path, themes=THEMES) == (chosen, [])
    assert chosen.drill_time_limit is None  # 0 minutes: no time limit
    assert DEFAULTS.drill_time_limit == DEFAULTS.drill_minutes


def test_a_theme_name_with_quotes_and_backslashes_round_trips(tmp_path: Path) -> None:
    odd = Settings(theme='my "theme" \\ ü')
    path = tmp_path / "config.toml"
    path.write_text(odd.to_toml(), encoding="utf-8")
    assert load_settings(path) == (odd, [])


def test_each_bad_value_is_named_at_its_line_and_falls_back_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        # my settings
        desired_retention = 1.5
        new_cards_per_day = "ten"
        day_boundary_hour = 7
        theme = "nrod"
        drill_questions = true
        drill_minutes = -3
        leech_lapses = 0
        leech_action = "delete"
        """,
    )
    settings, problems = load_settings(path, themes=THEMES)
    assert settings == Settings(day_boundary_hour=7)  # the one good value applies
    assert problems == [
        f"{path}:2: desired_retention: 1.5 is out of range; it takes a number from 0.7 to 0.99"
        " (using the default, 0.9)",
        f'{path}:3: new_cards_per_day: expected a whole number, got "ten"; it takes a whole number,'
        " 0 or more (using the default, 20)",
        f'{path}:5: theme: no theme "nrod" (did you mean nord?); it takes a Textual theme name'
        ' (using the default, "textual-dark")',
        f"{path}:6: drill_questions: expected a whole number, got true; it takes a whole number,"
        " 1 or more (using the default, 10)",
        f"{path}:7: drill_minutes: -3 is negative; it takes a number of minutes, 0 or more"
        " (using the default, 10.0)",
        f"{path}:8: leech_lapses: 0 is out of range; it takes a whole number, 1 or more (using the default, 8)",
        f'{path}:9: leech_action: expected "suspend" or "tag", got "delete"; it takes "suspend" or "tag"'
        ' (using the default, "suspend")',
    ]


def test_an_unknown_key_is_ignored_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        desired_retention = 0.8
        "new_cards_per_dya" = 5
        [drill]
        minutes = 3
        """,
    )
    settings, problems = load_settings(path)
    assert settings == Settings(desired_retention=0.8)
    assert (
        problems[0]
        == f"{path}:2: new_cards_per_dya: unknown setting, ignored (did you mean new_cards_per_day?)"
    )
    assert problems[1].startswith(f"{path}:3: drill: unknown setting, ignored (known: desired_retention, ")
    assert len(problems) == 2


def test_a_number_where_a_whole_number_is_needed_and_a_whole_where_a_number_is(tmp_path: Path) -> None:
    path = write(tmp_path, "new_cards_per_day = 12.0\ndesired_retention = 0.95\ndrill_minutes = 5\n")
    settings, problems = load_settings(path)
    assert settings.desired_retention == 0.95
    assert settings.drill_minutes == 5.0
    assert settings.new_cards_per_day == DEFAULTS.new_cards_per_day
    assert problems == [
        f"{path}:1: new_cards_per_day: expected a whole number, got 12.0; it takes a whole number, 0 or more"
        " (using the default, 20)"
    ]


def test_toml_that_cannot_be_read_gives_the_defaults_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\ndesired_retention = = 0.8\n')
    settings, problems = load_settings(path)
    assert settings == DEFAULTS
    assert problems == [f"{path}:2: not valid TOML: Invalid value; using the default settings"]


def test_a_file_that_is_not_text_or_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"theme = \xff\n")
    settings, (problem,) = load_settings(path)
    assert settings == DEFAULTS
    assert problem.startswith(f"{path}: is not UTF-8 text")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    settings, (problem,) = load_settings(folder)
    assert settings == DEFAULTS
    assert problem.startswith(f"{folder}: cannot be read")


def test_the_settings_are_the_defaults_everywhere() -> None:
    """One source of truth: the scheduler, the day boundary and the drill read theirs from Settings."""
    from engine.storage import DAY_START_HOUR
    from engine.study.drill import DrillOptions
    from engine.study.scheduling import DEFAULT_NEW_LIMIT

    assert DEFAULT_NEW_LIMIT == DEFAULTS.new_cards_per_day == 20
    assert DAY_START_HOUR == DEFAULTS.day_boundary_hour == 4
    assert DrillOptions().count == DEFAULTS.drill_questions
    assert DrillOptions().minutes == DEFAULTS.drill_minutes


def test_the_readme_documents_every_setting_with_its_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", readme, re.M)
    documented = {key: default for key, default in rows if key in SCHEMA}
    assert documented == {key: toml_value(getattr(DEFAULTS, key)) for key in SCHEMA}


@pytest.mark.parametrize("key", sorted(SCHEMA))
def test_every_key_says_what_it_means_and_accepts(key: str) -> None:
    rule = SCHEMA[key]
    assert rule.doc.endswith(".")
    assert rule.accepts


def test_settings_built_in_code_are_held_to_the_same_rules() -> None:
    with pytest.raises(ValueError, match=r"desired_retention: 5 is out of range; it takes a number from 0.7"):
        Settings(desired_retention=5)
    with pytest.raises(ValueError, match=r'leech_action: expected "suspend" or "tag", got "delete"'):
        Settings(leech_action="delete")  # type: ignore[arg-type]
