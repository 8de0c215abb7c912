"""The `quizapp` command line: list, show, check and validate cards; drill, stats and export.

Exit status: 0 for success (and a right answer), 1 for a wrong answer or a deck with
errors, 2 for a usage error (a bad option, a card that does not exist). Every mistake a
learner or an author can make is reported as a message, never a traceback.

Global options (`--data-dir`) go before or after the command; an answer may begin with
'-' (`--answer -0.5`, `--answer -x`): see `attach_answer_values`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from engine import EngineError
from quizapp.paths import bundled_decks_dir

if TYPE_CHECKING:  # the commands import what they use, so `quizapp` starts fast
    from engine import Card, Catalog, ReviewStore, Verdict
    from quizapp.app import QuizApp

DEFAULT_SAMPLES = 200  # engine.authoring.validation.DEFAULT_SAMPLES, without importing it at start-up
MAX_SAMPLES = 100_000  # engine.authoring.validation.MAX_SAMPLES, likewise
DEFAULT_NEW_LIMIT = 20
ANSWER_OPTION = "--answer"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
"""3: an error nobody expected (a bug): a command prints it in one line; the app, whose
traceback Textual printed, stopped on it."""


class UsageError(Exception):
    """A command used wrongly: reported with exit status 2."""


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
        default=DEFAULT_NEW_LIMIT,
        help=f"new cards a day, shared by all decks (default {DEFAULT_NEW_LIMIT})",
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
    parser.add_argument("--minutes", type=_minutes, default=10.0, help="time limit (default 10; 0 for none)")
    parser.add_argument("--count", type=_whole_number(1), default=10, help="how many questions (default 10)")
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


def _json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print them as one JSON object")


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--anki", type=Path, required=True, metavar="FILE.apkg", help="write an Anki package")
    parser.add_argument(
        "decks", nargs="*", metavar="DECK", help="deck ids or deck files/folders (default: all bundled)"
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
        lambda a: cmd_show(a.card, a.seed, a.reveal, sys.stdout),
    ),
    Command(
        "check",
        "check an answer to one instance of a card",
        _check_arguments,
        lambda a: cmd_check(a.card, _answer_text(a.answer), a.seed, a.json, sys.stdout),
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
        lambda a: cmd_drill(a.deck, a.tag, a.data_dir, a.count, a.minutes or None, a.seed, a.schedule),
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
        return cmd_study([], args.data_dir, DEFAULT_NEW_LIMIT)
    command = _BY_NAME.get(args.command)
    if command is None:
        raise UsageError(f"unknown command {args.command!r}")
    return command.run(args)


def _answer_text(answer: str) -> str:
    """The answer `--answer` gives (standard input for '-'), without surrounding whitespace.

    `echo '-3; -6' | quizapp check CARD --answer -` must answer the same as
    `--answer '-3; -6'`: on a steps card, whose parts new lines also separate, a final line
    end left in would be read as one more, empty, part.
    """
    text = answer
    if answer == "-":
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError as error:
            raise UsageError(f"standard input is not {error.encoding} text") from error
    return text.strip()


def _require_paths(paths: Sequence[Path]) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")


def _print_problems(catalog: Catalog) -> None:
    for problem in catalog.problems:
        if problem.severity == "error":
            print(problem, file=sys.stderr)


def study_paths(decks: Sequence[str]) -> list[Path]:
    """Deck files and folders for `study`: paths as given, deck ids looked up among the bundled decks."""
    if not decks:
        return [bundled_decks_dir()]
    paths: list[Path] = []
    ids = [d for d in decks if not Path(d).exists()]
    paths.extend(Path(d) for d in decks if Path(d).exists())
    if ids:
        from engine import Catalog

        bundled = {deck.id: deck.path for deck in Catalog.load([bundled_decks_dir()]).decks}
        unknown = [d for d in ids if d not in bundled]
        if unknown:
            known = ", ".join(sorted(bundled))
            raise UsageError(f"no deck or file {', '.join(map(repr, unknown))} (bundled decks: {known})")
        paths.extend(bundled[d] for d in ids)
    return paths


def app_exit_status(app: QuizApp) -> int:
    """0 when the app was quit, EXIT_INTERNAL when an unexpected error stopped it."""
    return EXIT_OK if not app.return_code else EXIT_INTERNAL


def cmd_study(decks: Sequence[str], data_dir: Path | None, new_limit: int) -> int:
    from engine import ReviewStore, StoreError, database_path
    from engine import data_dir as resolve_data_dir
    from quizapp.app import QuizApp

    paths = study_paths(decks)
    try:
        store = ReviewStore.open(database_path(resolve_data_dir(data_dir)))
    except StoreError as error:
        print(f"quizapp: {error}", file=sys.stderr)
        return EXIT_FAILED
    with store:
        app = QuizApp(paths, store, new_limit=new_limit)
        app.run()
    return app_exit_status(app)


def _open_store(data_dir: Path | None) -> ReviewStore:
    from engine import ReviewStore, database_path
    from engine import data_dir as resolve_data_dir

    return ReviewStore.open(database_path(resolve_data_dir(data_dir)))


def cmd_drill(
    decks: Sequence[str],
    tags: Sequence[str],
    data_dir: Path | None,
    count: int,
    minutes: float | None,
    seed: int | None,
    schedule: bool,
) -> int:
    from engine import Catalog, DrillOptions, drill_cards
    from quizapp.app import QuizApp

    paths = study_paths(decks)
    cards = drill_cards(Catalog.load(paths).decks, tags=tags)
    if not cards:
        raise UsageError(
            "no checked cards in these decks" + (f" with tags {', '.join(tags)}" if tags else "")
        )
    options = DrillOptions(count=count, minutes=minutes, seed=seed, schedule=schedule)
    with _open_store(data_dir) as store:
        app = QuizApp(paths, store, seed=seed, drill=(cards, options))
        app.run()
    return app_exit_status(app)


def cmd_stats(data_dir: Path | None, as_json: bool, out: TextIO) -> int:
    from engine import Catalog, compute_stats, format_stats

    cards = [card for deck in Catalog.load([bundled_decks_dir()]).decks for card in deck.cards]
    with _open_store(data_dir) as store:
        stats = compute_stats(store, cards)
    for warning in stats.warnings:
        print(f"quizapp: {warning}", file=sys.stderr)
    if as_json:
        print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2), file=out)
    else:
        print(format_stats(stats), file=out)
    return EXIT_OK


def cmd_export(target: Path, decks: Sequence[str], out: TextIO) -> int:
    from engine import Catalog, export_anki

    if target.suffix != ".apkg":
        raise UsageError(f"an Anki package ends in .apkg, not {target.name!r}")
    catalog = Catalog.load(study_paths(decks))
    _print_problems(catalog)
    try:
        report = export_anki(catalog.decks, target)
    except OSError as error:  # a folder that does not exist, a file that may not be written
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from error
    for card_id, reason in report.skipped:
        print(f"skipped {card_id}: {reason}", file=sys.stderr)
    print(f"wrote {target}: {report.notes} notes in {report.decks} decks", file=out)
    return EXIT_OK if not report.skipped else EXIT_FAILED


def cmd_list(paths: Sequence[Path], out: TextIO) -> int:
    from engine import Catalog

    _require_paths(paths)
    catalog = Catalog.load(paths)
    _print_problems(catalog)
    for deck in catalog.decks:
        tags = f"  [{', '.join(deck.tags)}]" if deck.tags else ""
        print(f"{deck.id}  {deck.title}  ({len(deck.cards)} cards){tags}  {deck.path}", file=out)
        width = max((len(c.card_id) for c in deck.cards), default=0)
        for card in deck.cards:
            print(f"  {card.card_id:<{width}}  {card.kind:<8}  {card.title}", file=out)
    if not catalog.decks:
        print("no decks found", file=sys.stderr)
    return EXIT_OK


def _card(card_ref: str) -> Card:
    """The card a reference names; a path reference does not load the bundled decks."""
    from engine import Catalog

    catalog = Catalog.load([bundled_decks_dir()]) if "#" not in card_ref else Catalog([])
    try:
        return catalog.find_card(card_ref)
    except EngineError as error:
        raise UsageError(error.message) from error


@contextmanager
def _located(card: Card) -> Iterator[None]:
    """An error in the card's own content (a given, a formula) names its file and line.

    Such errors are the author's, not the learner's: pointing at the line, as `validate`
    does, says where to look.
    """
    try:
        yield
    except EngineError as error:
        line = getattr(error, "line", None) or card.line
        raise EngineError(f"{card.path}:{line}: error: {error.message}") from error


def cmd_show(card_ref: str, seed: int, reveal: bool, out: TextIO) -> int:
    from engine import draw_instance, expected_answer_text, option_lines

    card = _card(card_ref)
    with _located(card):
        instance = draw_instance(card, seed)
        expected = expected_answer_text(instance) if reveal and card.kind != "flash" else ""
    print(f"{card.full_id}  ({card.kind}, seed {seed})", file=out)
    print(f"## {card.title}\n", file=out)
    print(instance.prompt, file=out)
    if card.kind == "choice":
        print(option_lines(card.options), file=out)
    if card.kind == "steps":
        print("\nParts, answered in order and separated by ';':", file=out)
        for step in card.steps:
            print(f"  {step.label}", file=out)
            if step.options:
                print(option_lines(step.options), file=out)
    if reveal:
        if card.kind != "flash":
            print(f"\nExpected: {expected}", file=out)
        if instance.explanation:
            print(f"\n{instance.explanation}", file=out)
    elif card.kind != "flash":
        print(f"\nAnswer with: quizapp check {card_ref} --seed {seed} --answer '...'", file=out)
    return EXIT_OK


def cmd_check(card_ref: str, answer: str, seed: int, as_json: bool, out: TextIO) -> int:
    from engine import CardUsageError, check_answer, draw_instance

    card = _card(card_ref)
    with _located(card):
        instance = draw_instance(card, seed)
        try:
            verdict = check_answer(instance, answer)
        except CardUsageError as error:
            raise UsageError(error.message) from error
    if as_json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False), file=out)
    else:
        _print_verdict(verdict, out)
    if not verdict.judged:  # the checker failed (a bug, logged): neither right nor wrong
        return EXIT_INTERNAL
    return EXIT_OK if verdict.correct else EXIT_FAILED


def _print_verdict(verdict: Verdict, out: TextIO, indent: str = "") -> None:
    mark = "✓" if verdict.correct else "✗"
    print(f"{indent}{mark} {verdict.feedback}", file=out)
    if verdict.error and not verdict.parts:
        print(f"{indent}  error: {verdict.error}", file=out)
    if verdict.interpreted and not verdict.parts:
        print(f"{indent}  read as: {verdict.interpreted}", file=out)
    if not verdict.correct and not verdict.parts:
        print(f"{indent}  expected: {verdict.expected}", file=out)
    if verdict.mistake and not verdict.parts:
        print(f"{indent}  mistake: {verdict.mistake}", file=out)
    for part in verdict.parts:
        print(f"{indent}  {part.part}:", file=out)
        _print_verdict(part, out, indent + "    ")


def cmd_references(name: str | None, out: TextIO) -> int:
    from engine import UnknownReference, describe, get_reference, render_reference_docs

    if name is None:
        print(render_reference_docs(), file=out)
        return EXIT_OK
    try:
        print(describe(get_reference(name)), file=out)
    except UnknownReference as error:
        raise UsageError(str(error)) from error
    return EXIT_OK


def cmd_validate(
    paths: Sequence[Path], samples: int, seed: int, as_json: bool, fix_ids: bool, device: str = "auto"
) -> int:
    from engine import DeckFileError, add_missing_ids, deck_files, validate

    _require_paths(paths)
    if fix_ids:
        for path in deck_files(paths):
            try:
                added = add_missing_ids(path)
            except DeckFileError as error:  # the report below has it as an error too, if reading failed
                print(f"{path}:1: warning: ids not added: {error.message}", file=sys.stderr)
                continue
            for line, card_id in added:
                print(f"{path}:{line}: added id {{#{card_id}}}", file=sys.stderr)
    if device == "cuda":
        from engine import ReferenceInputError, resolve_device

        try:
            resolve_device("cuda")
        except ReferenceInputError as error:
            raise UsageError(str(error)) from error
    report = validate(paths, samples=samples, seed=seed, device=device)
    if as_json:
        summary = {
            "decks": report.decks,
            "cards": report.cards,
            "errors": report.errors,
            "warnings": report.warnings,
            "problems": [p.to_json() for p in report.problems],
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            print(problem)
        sys.stdout.flush()  # the summary (on stderr) comes after the problems, on its own line
        print(
            f"{report.decks} decks, {report.cards} cards: {report.errors} errors, {report.warnings} warnings",
            file=sys.stderr,
        )
    return EXIT_FAILED if report.errors else EXIT_OK
