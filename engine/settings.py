"""quizapp's settings: one TOML file in the user's config folder, read at start, every value checked.

The file is `config.toml` in the platform's per-user config folder
(`~/.config/quizapp/config.toml` on Linux, `~/Library/Application Support/quizapp/` on
macOS), or in the folder `$QUIZAPP_CONFIG_DIR` names (tests, a second profile). It holds
flat `key = value` lines; `quizapp config` prints every key with what it means, and its
output is itself a valid file.

`Settings` is the one source of truth for the defaults: the scheduler's daily new-card
limit, the start of a study day, the drill's length, all read theirs from its fields
(`DEFAULTS`), so that a default changed here changes everywhere, and the README's table
is checked against it by a test.

Reading never fails and never stops the app: a file that is missing gives the defaults;
a value that is wrong (out of range, the wrong type, a theme that does not exist) falls
back to that key's default, and an unknown key (a typo) is ignored; each is reported as
`file:line: key: message`, so the learner can fix it, while the rest of the file applies.
TOML that cannot be parsed at all gives the defaults and one problem naming the line.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal

import platformdirs

ENV_VAR: Final = "QUIZAPP_CONFIG_DIR"
FILE_NAME: Final = "config.toml"

LeechAction = Literal["suspend", "tag"]
LEECH_ACTIONS: Final[tuple[LeechAction, ...]] = ("suspend", "tag")


class BadValue(ValueError):
    """A value a setting does not accept; the message says what it accepts."""


@dataclass(frozen=True)
class Rule:
    """One key of the schema: what it means, what it accepts (in words), and how it is read."""

    doc: str
    accepts: str
    read: Callable[[Any], Any]  # the value as `Settings` holds it; raises BadValue


def _is_number(value: Any) -> bool:
    # TOML booleans are Python bools, which are ints: `true` is not a number of cards.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(low: float, high: float) -> Callable[[Any], float]:
    def read(value: Any) -> float:
        if not _is_number(value) or not math.isfinite(value):
            raise BadValue(f"expected a number, got {_shown(value)}")
        if not low <= value <= high:
            raise BadValue(f"{value} is out of range")
        return float(value)

    return read


def _whole(low: int, high: int | None = None) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadValue(f"expected a whole number, got {_shown(value)}")
        if value < low or (high is not None and value > high):
            raise BadValue(f"{value} is out of range")
        return value

    return read


def _minutes(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value * 60):
        raise BadValue(f"expected a number of minutes, got {_shown(value)}")
    if value < 0:
        raise BadValue(f"{value} is negative")
    return float(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue(f"expected a name in quotes, got {_shown(value)}")
    return value


def _choice(*options: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        if value not in options:
            raise BadValue(f"expected {_either(options)}, got {_shown(value)}")
        return str(value)

    return read


def _either(options: Collection[str]) -> str:
    quoted = [json.dumps(option) for option in options]
    return " or ".join(quoted) if len(quoted) <= 2 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _shown(value: Any) -> str:
    """A value as the file wrote it, cut short: a message must stay one line."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = toml_value(value) if isinstance(value, str | bool | int | float) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _rule(doc: str, accepts: str, read: Callable[[Any], Any]) -> dict[str, Rule]:
    return {"rule": Rule(doc, accepts, read)}


@dataclass(frozen=True)
class Settings:
    """The learner's settings; every field's default is the default everywhere in quizapp."""

    desired_retention: float = field(
        default=0.9,
        metadata=_rule(
            "The share of reviews FSRS aims to have you answer right: higher means shorter"
            " intervals and more reviews.",
            "a number from 0.7 to 0.99",
            _number(0.7, 0.99),
        ),
    )
    new_cards_per_day: int = field(
        default=20,
        metadata=_rule(
            "New cards a day, shared by all decks (`quizapp study --new-limit` overrides it).",
            "a whole number, 0 or more",
            _whole(0),
        ),
    )
    day_boundary_hour: int = field(
        default=4,
        metadata=_rule(
            "The local hour a study day starts, so a late-night session counts towards the day it began.",
            "a whole number from 0 to 23",
            _whole(0, 23),
        ),
    )
    theme: str = field(
        default="textual-dark",
        metadata=_rule(
            "The app's Textual theme (Ctrl+P, then Theme, lists them; Ctrl+T switches light and dark).",
            "a Textual theme name",
            _name,
        ),
    )
    drill_questions: int = field(
        default=10,
        metadata=_rule(
            "How many questions a drill asks (`quizapp drill --count` overrides it).",
            "a whole number, 1 or more",
            _whole(1),
        ),
    )
    drill_minutes: float = field(
        default=10.0,
        metadata=_rule(
            "A drill's time limit in minutes, 0 for none (`quizapp drill --minutes` overrides it).",
            "a number of minutes, 0 or more",
            _minutes,
        ),
    )
    leech_lapses: int = field(
        default=8,
        metadata=_rule(
            "A card forgotten this many times after being learned is a leech.",
            "a whole number, 1 or more",
            _whole(1),
        ),
    )
    leech_action: LeechAction = field(
        default="suspend",
        metadata=_rule(
            "What happens to a leech: suspended (out of the reviews until you bring it back) or only tagged.",
            _either(LEECH_ACTIONS),
            _choice(*LEECH_ACTIONS),
        ),
    )

    def __post_init__(self) -> None:
        # Settings built in code are held to the file's rules: a typo there fails at once.
        for key, rule in SCHEMA.items():
            try:
                rule.read(getattr(self, key))
            except BadValue as error:
                raise ValueError(f"{key}: {error}; it takes {rule.accepts}") from None

    @property
    def drill_time_limit(self) -> float | None:
        """The drill's time limit in minutes, None for none (as `DrillOptions.minutes` takes it)."""
        return self.drill_minutes or None

    def to_toml(self) -> str:
        """These settings as a TOML file, each key under a comment saying what it means and takes."""
        blocks = []
        for key, rule in SCHEMA.items():
            default = getattr(DEFAULTS, key)
            blocks.append(
                f"# {rule.doc}\n# {rule.accepts}; default {toml_value(default)}\n"
                f"{key} = {toml_value(getattr(self, key))}\n"
            )
        return "\n".join(blocks)


SCHEMA: Final[dict[str, Rule]] = {f.name: f.metadata["rule"] for f in fields(Settings)}
DEFAULTS: Final = Settings()


def toml_value(value: Any) -> str:
    """A value as TOML writes it (a JSON string is a valid TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def settings_path() -> Path:
    """Where the settings file is: in `$QUIZAPP_CONFIG_DIR` when set, else the platform's config folder."""
    folder = os.environ.get(ENV_VAR) or platformdirs.user_config_dir("quizapp", appauthor=False)
    return Path(folder).expanduser() / FILE_NAME


def load_settings(
    path: Path | None = None, *, themes: Collection[str] | None = None
) -> tuple[Settings, list[str]]:
    """The settings in `path` (default `settings_path()`), and the problems found, one line each.

    Never raises: see the module's docstring. `themes`, when given, are the theme names
    the app knows (the engine does not know Textual's), and `theme` must be one of them.
    """
    path = settings_path() if path is None else path
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return DEFAULTS, []
    except UnicodeDecodeError as error:
        return DEFAULTS, [f"{path}: is not UTF-8 text ({error.reason}); using the default settings"]
    except OSError as error:
        return DEFAULTS, [f"{path}: cannot be read ({error.strerror or error}); using the default settings"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = _decode_error(str(error))
        where = f"{path}:{line}" if line is not None else f"{path}"
        return DEFAULTS, [f"{where}: not valid TOML: {message}; using the default settings"]
    return _read(data, _key_lines(text), str(path), themes)


def _read(
    data: dict[str, Any], lines: dict[str, int], where: str, themes: Collection[str] | None
) -> tuple[Settings, list[str]]:
    values: dict[str, Any] = {}
    problems: list[str] = []

    def problem(key: str, message: str) -> None:
        line = lines.get(key)
        problems.append(f"{where}:{line}: {key}: {message}" if line else f"{where}: {key}: {message}")

    for key, value in data.items():
        rule = SCHEMA.get(key)
        if rule is None:
            problem(key, f"unknown setting, ignored ({_suggestion(key, SCHEMA)})")
            continue
        default = toml_value(getattr(DEFAULTS, key))
        try:
            read = rule.read(value)
            if key == "theme" and themes is not None and read not in themes:
                raise BadValue(f"no theme {_shown(read)} ({_suggestion(read, sorted(themes))})")
        except BadValue as error:
            problem(key, f"{error}; it takes {rule.accepts} (using the default, {default})")
            continue
        values[key] = read
    return Settings(**values), problems


def _suggestion(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return "known: " + ", ".join(known)


_KEY = r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))"""
_KEY_LINE: Final = re.compile(rf"^{_KEY}\s*[=.]")
_TABLE_LINE: Final = re.compile(rf"^\s*\[\[?{_KEY}")
_ERROR_AT: Final = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def _key_lines(text: str) -> dict[str, int]:
    """The line (from 1) where each top-level key, or table, is first written.

    tomllib gives values, not positions; the schema is flat, so a key is a line that
    begins with it and '=' (or '.', a dotted key), and a table a line that begins with
    its '[name'. A line inside a multi-line string can look like a key; the first
    occurrence wins, and the worst that does is name the wrong line.
    """
    found: dict[str, int] = {}
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        table = _TABLE_LINE.match(line)
        if table:
            in_table = True
            found.setdefault(_key_name(table), number)
            continue
        key = _KEY_LINE.match(line)
        if key and not in_table:
            found.setdefault(_key_name(key), number)
    return found


def _key_name(match: re.Match[str]) -> str:
    quoted, literal, bare = match.groups()
    if quoted is not None:
        try:
            return str(json.loads(f'"{quoted}"'))
        except ValueError:
            return quoted
    return literal if literal is not None else bare


def _decode_error(message: str) -> tuple[str, int | None]:
    """tomllib's message without its '(at line N, column M)', and N (Python 3.11 has no `lineno`)."""
    at = _ERROR_AT.search(message)
    if at is None:
        return message, None
    return message[: at.start()], int(at.group(1))
