"""The `quizapp` command line: its options and its commands, each registered once in COMMANDS.

What each command does is in `quizapp.commands`.

Exit status: 0 for success (and a right answer), 1 for a wrong answer or a deck with
errors, 2 for a usage error (a bad option, a card that does not exist). Every mistake a
learner or an author can make is reported as a message, never a traceback.

Global options (`--data-dir`) go before or after the command; an answer may begin with
'-' (`--answer -0.5`, `--answer -x`): see `attach_answer_values`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from engine import EngineError
from quizapp.card_commands import cmd_cards, cmd_log
from quizapp.commands import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    answer_text,
    cmd_check,
    cmd_config,
    cmd_drill,
    cmd_export,
    cmd_list,
    cmd_optimize,
    cmd_references,
    cmd_show,
    cmd_stats,
    cmd_study,
    cmd_validate,
)
from quizapp.paths import bundled_decks_dir

if TYPE_CHECKING:  # the commands import what they use, so `quizapp` starts fast
    pass

DEFAULT_SAMPLES = 200  # engine.authoring.validation.DEFAULT_SAMPLES, without importing it at start-up
MAX_SAMPLES = 100_000  # engine.authoring.validation.MAX_SAMPLES, likewise
ANSWER_OPTION = "--answer"


def attach_answer_values(argv: Sequence[str]) -> list[str]:
    """`argv` with `--answer TEXT` written `--answer=TEXT`, so that an answer may begin with '-'.

    argparse takes a token beginning with '-' (`-x`, `-sigmoid(x)`, even `-h`) for an
    option, never for an option's value, so `--answer -x` would fail with "expected one
    argument"; attached with '=', the token is the value whatever it looks like (and
    `--answer -` still reads standard input). Abbreviations argparse accepts (`--ans`) are
    attached too. Left alone: a token beginning with '--' after `--answer`, which means the
    answer was forgotten (`--answer --json`) and argparse says so (`--answer=--x` answers
    '--x'), and everything after `--`, the end of the options.
    """
    tokens = list(argv)
    attached: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "--":
            return attached + tokens[index:]
        names_answer = len(token) > 2 and ANSWER_OPTION.startswith(token)
        if names_answer and index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
            attached.append(f"{token}={tokens[index + 1]}")
            index += 2
        else:
            attached.append(token)
            index += 1
    return attached


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (and at most `maximum`).

    Checked while parsing, so that a value the commands cannot use (`--samples 0`, a
    negative `validate --seed`, which numpy refuses, `--samples 10000000`, which would
    run for hours) is a usage error with argparse's message and exit status 2, never a
    traceback from deep inside a command.
    """

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value

    return convert


def _minutes(text: str) -> float:
    """An argparse type: a time limit in minutes, 0 or more, finite in seconds too (the drill counts seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not math.isfinite(value * 60) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more, got {text!r}")
    return value


def _add_global_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Add the options every command accepts, before or after the command, to `parser`.

    They are added to the main parser with their real default and to each command's
    parser with `argparse.SUPPRESS`, so that a value given before the command is not
    overwritten by the command parser's default (given on both sides, the later wins).
    A function rather than a shared `parents=` parser: parents share their Action objects,
    so the two defaults could not differ.
    """
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--data-dir",
        type=Path,
        default=default,
        metavar="DIR",
        help="where the review log lives (or $QUIZAPP_DATA_DIR)",
    )


# -- the commands: each registered once, in COMMANDS ----------------------------------------


def _study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "decks", nargs="*", metavar="DECK", help="deck ids or deck files/folders (default: all bundled)"
    )
    parser.add_argument(
        "--new-limit",
        type=_whole_number(0),
        default=None,
        help="new cards a day, shared by all decks (default: new_cards_per_day in `quizapp config`)",
    )


def _paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="deck files or folders (default: bundled)"
    )


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("card", metavar="CARD", help="deck-id/card-id, or path/to/deck.md#card-id")
    parser.add_argument("--seed", type=int, default=0, help="which instance (default 0)")
    parser.add_argument(
        "--reveal", action="store_true", help="also print the expected answer and explanation"
    )
    parser.add_argument(
        "--hint", type=int, default=0, metavar="N", help="also print the card's first N hints"
    )


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("card", metavar="CARD", help="deck-id/card-id, or path/to/deck.md#card-id")
    parser.add_argument(
        ANSWER_OPTION,
        required=True,
        metavar="TEXT",
        help="the answer, which may begin with '-' ('-' alone reads standard input)",
    )
    parser.add_argument("--seed", type=int, default=0, help="which instance (default 0)")
    parser.add_argument("--json", action="store_true", help="print the verdict as one JSON object")


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    _paths_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the problems as JSON")
    parser.add_argument(
        "--samples",
        type=_whole_number(1, MAX_SAMPLES),
        default=DEFAULT_SAMPLES,
        help=f"instances per card (default {DEFAULT_SAMPLES}, at most {MAX_SAMPLES:,})",
    )
    parser.add_argument(
        "--seed", type=_whole_number(0), default=0, help="first seed of the sampled instances"
    )
    parser.add_argument("--fix-ids", action="store_true", help="write missing card ids into the files first")
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="auto",
        help="where torch references run (default auto)",
    )


def _drill_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--minutes", type=_minutes, help="time limit, 0 for none (default: drill_minutes in `quizapp config`)"
    )
    parser.add_argument(
        "--count",
        type=_whole_number(1),
        help="how many questions (default: drill_questions in `quizapp config`)",
    )
    parser.add_argument(
        "--deck",
        action="extend",
        nargs="+",
        default=[],
        metavar="ID",
        help="deck ids or files (default: all)",
    )
    parser.add_argument(
        "--tag", action="extend", nargs="+", default=[], metavar="T", help="only cards with one of these tags"
    )
    parser.add_argument("--seed", type=int, help="the same seed asks the same questions")
    parser.add_argument(
        "--schedule", action="store_true", help="let the answers change the review schedule (FSRS)"
    )


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", action="store_true", help="print only where the settings file is")


def _optimize_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="fit and report, but keep the parameters in use"
    )
    parser.add_argument(
        "--retention",
        action="store_true",
        help="also simulate which desired retention costs the least study time (some seconds more)",
    )


def _json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print them as one JSON object")


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--anki", type=Path, required=True, metavar="FILE.apkg", help="write an Anki package")
    parser.add_argument(
        "decks", nargs="*", metavar="DECK", help="deck ids or deck files/folders (default: all bundled)"
    )


def _cards_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query",
        nargs="*",
        metavar="QUERY",
        help="words to match, as in the browser: deck:ID tag:T kind:K id:ID is:new|learning|review|due|"
        "suspended|buried|leech sort:due|stability|retrievability|lapses, text; -WORD excludes "
        "(put -- before a query that begins with '-')",
    )
    parser.add_argument(
        "--decks", nargs="+", default=[], metavar="DECK", help="deck ids or files (default: all bundled)"
    )
    parser.add_argument("--json", action="store_true", help="print the cards as a JSON list")


def _log_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=("export", "import"), help="export: write every review; import: add those missing"
    )
    parser.add_argument(
        "file", type=Path, metavar="FILE", help="a JSON-lines file, one review a line ('-': stdio)"
    )


def _references_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="one reference (default: all)")


@dataclass(frozen=True)
class Command:
    """One command: its name and help, its arguments, and what runs it with the parsed options."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command(
        "study",
        "open the study app (the default command)",
        _study_arguments,
        lambda a: cmd_study(a.decks, a.data_dir, a.new_limit),
    ),
    Command(
        "list",
        "list decks and their cards",
        _paths_argument,
        lambda a: cmd_list(a.paths or [bundled_decks_dir()], sys.stdout),
    ),
    Command(
        "show",
        "print one instance of a card",
        _show_arguments,
        lambda a: cmd_show(a.card, a.seed, a.reveal, sys.stdout, hints=a.hint),
    ),
    Command(
        "check",
        "check an answer to one instance of a card",
        _check_arguments,
        lambda a: cmd_check(a.card, answer_text(a.answer), a.seed, a.json, sys.stdout),
    ),
    Command(
        "validate",
        "check decks for errors, as an author",
        _validate_arguments,
        lambda a: cmd_validate(
            a.paths or [bundled_decks_dir()], a.samples, a.seed, a.json, a.fix_ids, a.device
        ),
    ),
    Command(
        "drill",
        "a timed drill of mixed questions, with a report at the end",
        _drill_arguments,
        lambda a: cmd_drill(a.deck, a.tag, a.data_dir, a.count, a.minutes, a.seed, a.schedule),
    ),
    Command(
        "stats",
        "statistics of the review log",
        _json_argument,
        lambda a: cmd_stats(a.data_dir, a.json, sys.stdout),
    ),
    Command(
        "export",
        "export decks to another tool",
        _export_arguments,
        lambda a: cmd_export(a.anki, a.decks, sys.stdout),
    ),
    Command(
        "cards",
        "search the cards: their schedule, lapses, suspended and buried cards, leeches",
        _cards_arguments,
        lambda a: cmd_cards(a.query, a.decks, a.data_dir, a.json, sys.stdout),
    ),
    Command(
        "log",
        "move the review log between machines: log export FILE, log import FILE",
        _log_arguments,
        lambda a: cmd_log(a.action, a.file, a.data_dir, sys.stdout),
    ),
    Command(
        "config",
        "print the settings in effect, as TOML, and where the file is",
        _config_arguments,
        lambda a: cmd_config(a.path, sys.stdout),
    ),
    Command(
        "optimize",
        "fit FSRS's scheduling parameters to your own reviews",
        _optimize_arguments,
        lambda a: cmd_optimize(a.data_dir, a.dry_run, a.retention, sys.stdout),
    ),
    Command(
        "references",
        "the torch references: inputs, defaults, outputs, known mistakes",
        _references_arguments,
        lambda a: cmd_references(a.name, sys.stdout),
    ),
)
_BY_NAME: Final = {command.name: command for command in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    """The parser of `main`, built from COMMANDS; it expects argv passed through `attach_answer_values`."""
    parser = argparse.ArgumentParser(
        prog="quizapp",
        description="Study the mathematics of deep learning; answers are checked symbolically and against torch.",
    )
    _add_global_options(parser, default=None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help)
        command.arguments(sub)
        _add_global_options(sub, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; argparse itself exits with status 2 (and its usage) for a bad option."""
    parser = build_parser()
    args = parser.parse_args(attach_answer_values(sys.argv[1:] if argv is None else argv))
    try:
        return _dispatch(args)
    except UsageError as error:
        print(f"quizapp: {error}", file=sys.stderr)
        return EXIT_USAGE
    except EngineError as error:
        print(f"quizapp: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `quizapp list | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as error:  # a bug, or an input nobody foresaw: one line, not a traceback
        from engine import unexpected_error

        print(f"quizapp: internal error: {unexpected_error(error)}", file=sys.stderr)
        return EXIT_INTERNAL


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:  # `quizapp` alone studies every bundled deck
        return cmd_study([], args.data_dir, None)
    command = _BY_NAME.get(args.command)
    if command is None:
        raise UsageError(f"unknown command {args.command!r}")
    return command.run(args)
