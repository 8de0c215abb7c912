"""What each `quizapp` command does; `quizapp.cli` parses the command line and calls these.

Each command imports what it uses from `engine` inside it, so that `quizapp` starts fast;
each prints to the stream it is given and returns the exit status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from engine import EngineError
from quizapp.paths import bundled_decks_dir

if TYPE_CHECKING:
    from engine import Card, Catalog, ReviewStore, Settings, Verdict
    from quizapp.app import QuizApp

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_UNDECIDED = 0, 1, 2, 3, 4
"""3: an error nobody expected (a bug): a command prints it in one line; the app, whose
traceback Textual printed, stopped on it."""


class UsageError(Exception):
    """A command used wrongly: reported with exit status 2."""


def answer_text(answer: str) -> str:
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


def cmd_study(decks: Sequence[str], data_dir: Path | None, new_limit: int | None) -> int:
    """The app; `new_limit` None takes the learner's new_cards_per_day setting."""
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
    count: int | None,
    minutes: float | None,
    seed: int | None,
    schedule: bool,
) -> int:
    """A drill in the app; `count` and `minutes` None take the learner's settings (`minutes` 0: no limit)."""
    from engine import Catalog, DrillOptions, drill_cards, load_settings
    from quizapp.app import QuizApp

    settings, _problems = load_settings()  # the app reads the file again, and shows its problems
    count = settings.drill_questions if count is None else count
    limit = settings.drill_time_limit if minutes is None else (minutes or None)

    paths = study_paths(decks)
    cards = drill_cards(Catalog.load(paths).decks, tags=tags)
    if not cards:
        raise UsageError(
            "no checked cards in these decks" + (f" with tags {', '.join(tags)}" if tags else "")
        )
    options = DrillOptions(count=count, minutes=limit, seed=seed, schedule=schedule)
    with _open_store(data_dir) as store:
        app = QuizApp(paths, store, seed=seed, drill=(cards, options))
        app.run()
    return app_exit_status(app)


def _settings() -> Settings:
    """The learner's settings for a command, their problems printed on stderr (the command goes on)."""
    from engine import load_settings

    settings, problems = load_settings()
    for problem in problems:
        print(f"quizapp: {problem}", file=sys.stderr)
    return settings


def cmd_config(path_only: bool, out: TextIO) -> int:
    """The settings in effect as TOML (itself a valid settings file) under the file's path.

    Exit status 1 when the file has problems (listed on stderr, each `file:line: key:
    message`), as `validate` does for a deck: the settings printed are still the ones in
    effect, each bad value replaced by its default.
    """
    from textual.theme import BUILTIN_THEMES

    from engine import load_settings, settings_path

    path = settings_path()
    if path_only:
        print(path, file=out)
        return EXIT_OK
    settings, problems = load_settings(path, themes=BUILTIN_THEMES)
    where = f"# quizapp settings: {path}"
    if not path.exists():
        where += "\n# (no such file yet: these are the defaults; save this output there to change them)"
    print(where + "\n", file=out)
    print(settings.to_toml(), file=out, end="")
    for problem in problems:
        print(f"quizapp: {problem}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def cmd_optimize(data_dir: Path | None, dry_run: bool, retention: bool, out: TextIO) -> int:
    """Fit FSRS's parameters to the learner's reviews; print what changed (see engine.study.optimizer)."""
    from engine import fit_parameters, format_fit

    settings = _settings()
    with _open_store(data_dir) as store:
        fit = fit_parameters(store, save=not dry_run, retention=retention, verbose=sys.stderr.isatty())
    for warning in fit.warnings:
        print(f"quizapp: {warning}", file=sys.stderr)
    print(format_fit(fit, settings.desired_retention), file=out)
    return EXIT_OK


def cmd_stats(data_dir: Path | None, as_json: bool, out: TextIO) -> int:
    from engine import Catalog, compute_stats, format_stats

    settings = _settings()
    cards = [card for deck in Catalog.load([bundled_decks_dir()]).decks for card in deck.cards]
    with _open_store(data_dir) as store:
        stats = compute_stats(store, cards, settings=settings)
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


def cmd_show(card_ref: str, seed: int, reveal: bool, out: TextIO, *, hints: int = 0) -> int:
    from engine import draw_instance, expected_answer_text, kind_of, option_lines

    card = _card(card_ref)
    if hints > len(card.hints):
        have = f"only {len(card.hints)}" if card.hints else "none"
        raise UsageError(f"--hint {hints}: {card.full_id} has {have}")
    with _located(card):
        instance = draw_instance(card, seed)
        checked = kind_of(card).checked
        expected = expected_answer_text(instance) if reveal and checked else ""
    print(f"{card.full_id}  ({card.kind}, seed {seed})", file=out)
    print(f"## {card.title}\n", file=out)
    print(instance.prompt, file=out)
    if card.options:
        print(option_lines(card.options), file=out)
    if card.steps:
        print("\nParts, answered in order and separated by ';':", file=out)
        for step in card.steps:
            print(f"  {step.label}", file=out)
            if step.options:
                print(option_lines(step.options), file=out)
    for index in range(hints):
        print(f"\nHint {index + 1} of {len(card.hints)}: {instance.hint(index)}", file=out)
    if reveal:
        if checked:
            print(f"\nExpected: {expected}", file=out)
        if instance.explanation:
            print(f"\n{instance.explanation}", file=out)
    elif checked:
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
        _print_verdict(verdict, out, {step.name: step.label for step in card.steps})
    if verdict.undecided:  # the answer could not be compared with the expected one
        return EXIT_UNDECIDED
    if not verdict.judged:  # the checker failed (a bug, logged): neither right nor wrong
        return EXIT_INTERNAL
    return EXIT_OK if verdict.correct else EXIT_FAILED


def _print_verdict(verdict: Verdict, out: TextIO, labels: dict[str, str], indent: str = "") -> None:
    """The verdict as the terminal shows it; a part is named by its label (`m̂₁`, `⟦2⟧`)."""
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
        name = part.part or ""
        print(f"{indent}  {labels.get(name, name)}:", file=out)
        _print_verdict(part, out, labels, indent + "    ")


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
