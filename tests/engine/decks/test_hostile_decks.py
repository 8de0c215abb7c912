"""Hostile decks fail one at a time: a `file:line` problem each, never a crash, a hang or a
traceback, and the good decks beside them still load, validate and study.

Each case here once took something down: a 5,000-digit integer or `variables: [[x, y]]`
crashed `quizapp list`, `validate` and the home screen (and hid every other deck); a few
lines of YAML aliases grew to gigabytes; a FIFO hung the loader and `/dev/zero` read until
the kernel stepped in; givens such as `randint(0, 10^100)` gave tracebacks. The property
test at the end throws generated quiz blocks, built from the deck format's keys and
hostile values, at the loader and the validator.
"""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.authoring.validation import CardValidator, validate
from engine.decks import loader, quiz_block
from engine.decks.catalog import Catalog
from engine.decks.files import MAX_DECK_BYTES, DeckFileError
from engine.decks.ids import add_missing_ids
from engine.decks.loader import load_deck
from engine.decks.problems import Problem
from engine.errors import CardNotFound
from engine.export.anki import export_anki
from quizapp.cli import build_parser
from tests.conftest import run_cli as run

GOOD: Final = """
## Twice {#twice}

```quiz
kind: numeric
given:
  x: uniform(1, 2)
answer: 2*x
```

What is 2·{x}?
"""
LOAD_LIMIT_S: Final = 2.0  # per deck, generous for a busy two-core machine


def card(body: str, card_id: str = "c") -> str:
    """A deck of one card whose quiz block is `body` (its first line is line 4 of the file)."""
    return f"## Card {{#{card_id}}}\n\n```quiz\n{body}\n```\n\nQ\n"


def loaded_within(action: Callable[[], Any], seconds: float = 10.0) -> Any:
    """`action()`, which must return within `seconds`: a hang fails the test instead of the suite."""
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(action()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    assert results, "the action raised (see the thread's traceback above)"
    return results[0]


@pytest.fixture
def good(write_deck: Callable[..., Path]) -> Path:
    return write_deck(GOOD, name="good.md")


def assert_only_good_loads(catalog: Catalog, good: Path) -> None:
    """The good deck, whole, whatever its neighbour did."""
    assert [d.path for d in catalog.decks if d.path == good] == [good]
    assert [c.full_id for c in catalog.deck("good").cards] == ["good/twice"]  # type: ignore[union-attr]
    assert all(p.path != good for p in catalog.problems)


# -- one hostile deck hides no other ---------------------------------------------------------

BOMB = textwrap.dedent(
    """\
    kind: numeric
    given:
      a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    answer: 1"""
)
HOSTILE_BLOCKS: Final = {
    "5000-digit integer": (f"kind: numeric\ngiven:\n  x: {'9' * 5000}\nanswer: x", 6, "a number longer than"),
    "400-digit number": (f"kind: numeric\ngiven:\n  x: {'1' * 400}.0\nanswer: x", 6, "a number longer than"),
    "variables of lists": ("variables: [[x, y]]\nanswer: x", 4, "variables must be a list of names"),
    "nested 20,000 deep": (
        "kind: numeric\nanswer: " + "[" * 20_000 + "]" * 20_000,
        5,
        "nested more than 20 levels deep",
    ),
    "nested 20,000 deep, block style": (
        "kind: numeric\nanswer:\n  " + "- " * 20_000 + "1",
        6,
        "nested more than 20 levels deep",
    ),
    "alias bomb": (BOMB, 6, "YAML anchors and aliases are not allowed"),
    "an anchor alone": (
        "kind: numeric\ngiven:\n  x: &x 1\nanswer: x",
        6,
        "YAML anchors and aliases are not allowed",
    ),
    "a huge value": (
        f"kind: numeric\nanswer: x\ngiven:\n  x: '{'x' * 20_000}'",
        7,
        "a value longer than 10,000",
    ),
    "a huge list": (
        "kind: numeric\ngiven:\n  x: [" + ", ".join(["1"] * 20_000) + "]\nanswer: x",
        6,
        "more than 10,000 values",
    ),
    "randint beyond int64": ("given:\n  x: randint(0, 10^100)\nanswer: x", 5, "within ±1e15, got 1e100"),
    "uniform to infinity": ("given:\n  x: uniform(0, 1/0)\nanswer: x", 5, "within ±1e15, got ∞"),
    "decimals NaN": (
        "given:\n  x: uniform(0, 1, decimals=0/0)\nanswer: x",
        5,
        "decimals= must be a whole number",
    ),
    "decimals negative": ("given:\n  x: uniform(0, 1, decimals=-2)\nanswer: x", 5, "from 0 to 15"),
    "randint halves": ("given:\n  x: randint(0.5, 3)\nanswer: x", 5, "whole-number bounds"),
    "a shape of huge digits": (
        f"given:\n  x: uniform(0, 1, shape=[{'9' * 5000}])\nanswer: x",
        5,
        "bad shape",
    ),
    "a shape of 70 dimensions": (
        f"given:\n  x: uniform(0, 1, shape=[{', '.join(['1'] * 70)}])\nanswer: x",
        5,
        "bad shape",
    ),
    "an infinite fixed given": ("given:\n  x: .inf\nanswer: x", 5, "a fixed value must be a finite number"),
    "a date as a given": ("given:\n  x: 2001-12-14\nanswer: x", 5, "given 'x' needs a value"),
    "rtol infinite": (
        "given:\n  x: uniform(1, 2)\nanswer: x\ntolerance: {rtol: .inf}",
        7,
        "finite number ≥ 0",
    ),
    "rtol NaN": ("given:\n  x: uniform(1, 2)\nanswer: x\ntolerance: {rtol: .nan}", 7, "finite number ≥ 0"),
    "atol as text infinity": (
        "given:\n  x: uniform(1, 2)\nanswer: x\ntolerance: {atol: inf}",
        7,
        "finite number ≥ 0",
    ),
    "rtol accepting zero": (
        "given:\n  x: uniform(1, 2)\nanswer: x\ntolerance: 1",
        7,
        "rtol must be less than 1",
    ),
    "a domain end that cannot be evaluated": ("variables: {x: '(0, sum(1))'}\nanswer: x", 4, "variable 'x'"),
}


@pytest.mark.parametrize("case", HOSTILE_BLOCKS)
def test_a_hostile_quiz_block_is_a_problem_at_its_line_and_hides_no_other_deck(
    case: str, write_deck: Callable[..., Path], good: Path, tmp_path: Path
) -> None:
    body, line, message = HOSTILE_BLOCKS[case]
    hostile = write_deck(card(body), name="hostile.md")
    started = time.perf_counter()
    catalog = Catalog.load([tmp_path], cache_dir=tmp_path / "cache")
    assert time.perf_counter() - started < LOAD_LIMIT_S
    assert_only_good_loads(catalog, good)
    hostile_deck = catalog.deck("hostile")
    assert hostile_deck is not None
    assert hostile_deck.cards == ()
    assert [(p.path, p.line, p.severity) for p in catalog.problems] == [(hostile, line, "error")]
    assert message in catalog.problems[0].message, catalog.problems[0].message


def test_hostile_front_matter_leaves_the_cards_and_the_other_decks(
    write_deck: Callable[..., Path], good: Path, tmp_path: Path
) -> None:
    write_deck("---\nid: fm\ntitle: &t T\n---\n\n## A {#a}\n\nQ\n\n### Answer\nA\n", name="fm.md")
    catalog = Catalog.load([tmp_path])
    assert_only_good_loads(catalog, good)
    (problem,) = catalog.problems
    assert problem.line == 3
    assert "anchors and aliases are not allowed" in problem.message


@pytest.mark.parametrize("command", ["list", "validate"])
def test_the_commands_report_hostile_decks_and_go_on(
    command: str, capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path], good: Path
) -> None:
    for case in ("5000-digit integer", "variables of lists", "alias bomb", "randint beyond int64"):
        write_deck(card(HOSTILE_BLOCKS[case][0]), name=f"{case.replace(' ', '-')}.md")
    code, out, err = run(capsys, command, str(good.parent))
    assert "Traceback" not in out + err
    assert err.count(": error: ") + out.count(": error: ") == 4
    if command == "list":
        assert code == 0
        assert "good  good  (1 cards)" in out
        assert "twice" in out
    else:
        assert code == 1
        assert "5 decks, 1 cards: 4 errors, 0 warnings" in err


# -- only regular files, and only so much of them --------------------------------------------


def test_a_fifo_is_refused_without_opening_it_for_good(tmp_path: Path, good: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    catalog = loaded_within(lambda: Catalog.load([tmp_path]))  # the folder, and the file given alone
    assert_only_good_loads(catalog, good)
    (problem,) = catalog.problems
    assert (problem.path, problem.line) == (
        fifo,
        1,
    )
    assert "named pipe (FIFO), not a regular file" in problem.message
    (alone,) = loaded_within(lambda: load_deck(fifo)).problems
    assert alone == problem


def test_a_link_to_dev_zero_is_refused(tmp_path: Path, good: Path) -> None:
    zero = tmp_path / "zero.md"
    zero.symlink_to("/dev/zero")
    catalog = loaded_within(lambda: Catalog.load([tmp_path, zero]))
    assert_only_good_loads(catalog, good)
    assert {p.path for p in catalog.problems} == {zero}
    assert all("a device, not a regular file" in p.message for p in catalog.problems)


def test_a_folder_given_as_a_deck_file_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    (problem,) = load_deck(folder).problems
    assert (problem.line, problem.severity) == (
        1,
        "error",
    )
    assert "a folder, not a regular file" in problem.message
    with pytest.raises(CardNotFound, match="a folder, not a regular file"):
        Catalog([]).find_card(f"{folder}#card")


def test_the_size_limit_holds_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the size the file system reports (0 for a device, stale for a growing file)."""
    big = tmp_path / "big.md"
    big.write_bytes(b"#" * (MAX_DECK_BYTES + 1))
    (problem,) = load_deck(big).problems
    assert "file is too large to be a deck" in problem.message
    reads: list[int] = []
    real_open = os.fdopen

    def recording(descriptor: int, mode: str, **options: Any) -> Any:
        file = real_open(descriptor, mode, **options)
        real_read = file.read

        class Counted:
            def __enter__(self) -> Counted:
                return self

            def __exit__(self, *exc: object) -> None:
                file.close()

            def fileno(self) -> int:
                return file.fileno()

            def read(self, size: int = -1) -> bytes:
                reads.append(size)
                return real_read(size)

        return Counted()

    monkeypatch.setattr(os, "fdopen", recording)
    load_deck(big)
    assert reads == [MAX_DECK_BYTES + 1]


# -- --fix-ids reads with the same rules -------------------------------------------------------


def test_fix_ids_refuses_what_the_loader_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    latin = tmp_path / "latin.md"
    latin.write_bytes("## Caf\u00e9\n\nQ\n".encode("latin-1"))
    huge = tmp_path / "huge.md"
    huge.write_bytes(b"## A\n\n" + b"x" * (3 * MAX_DECK_BYTES))
    untouched = {path: path.read_bytes() for path in (latin, huge)}
    for path in untouched:
        with pytest.raises(DeckFileError):
            add_missing_ids(path)
    write_deck("## No id\n\nQ\n\n### Answer\nA\n", name="plain.md")
    code, out, err = run(capsys, "validate", "--fix-ids", str(tmp_path))
    assert code == 1
    assert "Traceback" not in err
    assert f"{latin}:1: warning: ids not added: not UTF-8 text" in err
    assert f"{huge}:1: warning: ids not added: file is too large to be a deck" in err
    assert f"{tmp_path / 'plain.md'}:1: added id {{#no-id}}" in err
    assert f"{latin}:1: error: not UTF-8 text" in out
    assert f"{huge}:1: error: file is too large" in out
    assert err.endswith("1 decks, 1 cards: 2 errors, 0 warnings\n")
    assert all(path.read_bytes() == data for path, data in untouched.items())


# -- last-resort boundaries --------------------------------------------------------------------


def test_a_crash_reading_one_card_leaves_the_others_and_is_not_cached(
    write_deck: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_deck(
        GOOD + card("kind: numeric\nanswer: 1", "boom").replace("## Card", "## Boom"), name="deck.md"
    )
    real = quiz_block.QuizReader.card

    def exploding(self: Any, base: dict[str, Any], deck_tags: tuple[str, ...]) -> Any:
        if base["card_id"] == "boom":
            raise RuntimeError("x" * 10_000)
        return real(self, base, deck_tags)

    monkeypatch.setattr(quiz_block.QuizReader, "card", exploding)
    catalog = Catalog.load([path], cache_dir=tmp_path / "cache")
    assert [c.card_id for c in catalog.decks[0].cards] == ["twice"]
    (problem,) = catalog.problems
    assert problem.line == 11
    assert problem.message.startswith("card could not be read: RuntimeError: xxx")
    assert len(problem.message) < 300  # a huge message is cut short
    monkeypatch.undo()
    again = Catalog.load([path], cache_dir=tmp_path / "cache")  # read afresh: the crash was not kept
    assert [c.card_id for c in again.decks[0].cards] == ["twice", "boom"]
    assert again.problems == []


def test_a_crash_reading_one_deck_leaves_the_others_and_is_not_cached(
    write_deck: Callable[..., Path], good: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = write_deck(GOOD.replace("twice", "thrice"), name="other.md")
    real = loader.DeckReader.read

    def exploding(self: Any) -> Any:
        if self.path == other:
            raise MemoryError
        return real(self)

    monkeypatch.setattr(loader.DeckReader, "read", exploding)
    catalog = Catalog.load([tmp_path], cache_dir=tmp_path / "cache")
    assert_only_good_loads(catalog, good)
    assert catalog.problems == [Problem(other, 1, "error", "deck could not be read: MemoryError")]
    monkeypatch.undo()
    again = Catalog.load([tmp_path], cache_dir=tmp_path / "cache")
    assert again.problems == []
    assert again.deck("other") is not None


def test_validate_turns_a_crash_in_one_card_into_its_problem_and_prints_the_summary(
    write_deck: Callable[..., Path],
    good: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = write_deck(GOOD.replace("twice", "thrice"), name="other.md")
    real = CardValidator.instanced

    def exploding(self: CardValidator) -> None:
        if self.card.card_id == "thrice":
            raise ValueError("high is out of bounds for int64")
        real(self)

    monkeypatch.setattr(CardValidator, "instanced", exploding)
    report = validate([good.parent], samples=5)
    assert report.cards == 2
    assert report.problems == [
        Problem(
            other,
            1,
            "error",
            "card 'other/thrice' could not be checked: ValueError: high is out of bounds for int64",
        )
    ]
    code, out, err = run(capsys, "validate", "--samples", "5", str(good.parent))
    assert code == 1
    assert out.startswith(f"{other}:1: error: card 'other/thrice' could not be checked")
    assert err.endswith("2 decks, 2 cards: 1 errors, 0 warnings\n")


def test_an_unexpected_error_in_a_command_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], good: Path
) -> None:
    import quizapp.cli

    def exploding(*args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(quizapp.cli, "cmd_list", exploding)
    code, out, err = run(capsys, "list", str(good))
    assert (code, out, err) == (3, "", "quizapp: internal error: RuntimeError: a bug\n")


def test_export_skips_a_card_that_crashes_and_writes_the_rest(
    write_deck: Callable[..., Path], good: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import engine.export.anki

    write_deck(GOOD.replace("twice", "thrice"), name="other.md")
    real = engine.export.anki.card_fields

    def exploding(card: Any) -> tuple[str, str]:
        if card.card_id == "thrice":
            raise OverflowError("high - low range exceeds valid bounds")
        return real(card)

    monkeypatch.setattr(engine.export.anki, "card_fields", exploding)
    report = export_anki(Catalog.load([tmp_path]).decks, tmp_path / "out.apkg", timestamp=0)
    assert report.notes == 1
    assert report.skipped == [("other/thrice", "OverflowError: high - low range exceeds valid bounds")]


# -- givens, formulas and plots that cannot be evaluated -----------------------------------------


@pytest.mark.parametrize("command", ["show", "check"])
def test_show_and_check_name_the_file_and_line_of_a_broken_card(
    command: str, capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    path = write_deck(card("given:\n  x: randint(0, 10^100)\nanswer: x"))
    extra = ["--answer", "1"] if command == "check" else ["--reveal"]
    code, _, err = run(capsys, command, f"{path}#c", *extra)
    assert code == 2
    assert "Traceback" not in err
    assert "has no card 'c'" in err
    assert f"{path}:5: error: given 'x': randint() takes finite numbers" in err
    broken = write_deck(card("given:\n  x: uniform(1, 2)\n  y: x[3]\nanswer: y"), name="broken.md")
    code, _, err = run(capsys, command, f"{broken}#c", *extra)
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith(f"quizapp: {broken}:6: error: given 'y': ")


def test_a_bad_plot_range_is_a_problem_at_its_line_and_validate_goes_on(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path], good: Path
) -> None:
    path = write_deck(
        card("given:\n  x: uniform(1, 2)\nanswer: x\nplot:\n  function: x\n  range: [0, sum(1)]"),
        name="plot.md",
    )
    code, out, err = run(capsys, "validate", "--samples", "5", str(good.parent))
    assert code == 1
    assert "Traceback" not in err
    assert out.startswith(f"{path}:7: error: plot range cannot be evaluated: ")
    assert err.endswith("2 decks, 2 cards: 1 errors, 0 warnings\n")


def test_samples_has_a_documented_upper_bound(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    from engine.authoring.validation import MAX_SAMPLES
    from quizapp import cli

    assert cli.MAX_SAMPLES == MAX_SAMPLES == 100_000
    code, _, err = run(capsys, "validate", "--samples", "10000000", str(good))
    assert code == 2
    assert "argument --samples: must be at most 100,000, got 10,000,000" in err
    assert build_parser().parse_args(["validate", "--samples", "100000"]).samples == MAX_SAMPLES
    with pytest.raises(ValueError, match="samples must be from 1 to 100,000"):
        validate([good], samples=MAX_SAMPLES + 1)


# -- generated hostile decks -------------------------------------------------------------------

EXTRA_KEYS: Final = sorted(quiz_block._ALL_KEYS | {"name", "output", "nonsense", "<<"})
TEMPLATES: Final[dict[str, list[tuple[str, str | dict[str, str] | list[str]]]]] = {
    "numeric": [
        ("kind", "numeric"),
        ("given", {"x": "uniform(1, 2)", "y": "x^2 + 1", "z": "[1, 2]"}),
        ("answer", "2*x + y + z[0]"),
        ("tolerance", "{rtol: 1e-3}"),
        ("mistakes", ["{answer: x + y, feedback: no}"]),
        ("plot", {"function": "t^2", "variable": "t", "range": "[0, 3]", "mark": "x"}),
    ],
    "symbolic": [
        ("kind", "symbolic"),
        ("variables", {"x": "positive", "n": "positive integer"}),
        ("answer", "x^n"),
        ("mistakes", ["{answer: n*x, feedback: no}"]),
    ],
    "choice": [
        ("kind", "choice"),
        ("given", {"x": "randint(1, 3)"}),
        ("options", "[small, large]"),
        ("answer", "small"),
    ],
    "steps": [
        ("kind", "steps"),
        ("given", {"v": "uniform(-1, 1, shape=[2], decimals=1)"}),
        (
            "steps",
            [
                "{name: s, answer: sum(v)}",
                "{name: d, answer: 2*s, tolerance: {rtol: 1e-3}}",
                "{name: k, options: [up, down], answer: up}",
            ],
        ),
    ],
}
SAFE_VALUES: Final = [
    "x", "2*x", "1", "0.5", "uniform(1, 2)", "randint(1, 5)", "choice(0.9, 0.99)", "[x, y]", "[1, 2]",
    "numeric", "symbolic", "choice", "steps", "flash", "{x: positive}", "[a, b]", "{rtol: 1e-3}", "x^2 + 1",
    "'uniform(-1, 1, shape=[2], decimals=1)'", "[min, max]", "gelu", "{name: m, answer: x}",
]  # fmt: skip
HOSTILE_VALUES: Final = [
    "9" * 5000, "1" * 400 + ".0", ".inf", "-.inf", ".nan", "[[x, y]]", "&a [1, 2]", "*a", "&b x",
    "[" * 60 + "]" * 60, "{" * 40 + "}" * 40, "uniform(0, 1/0)", "randint(0, 10^100)",
    "uniform(0, 1, decimals=0/0)", "normal(0, 1, shape=[99999999999])", "choice()", "loguniform(-1, 1)",
    "{rtol: .inf}", "{rtol: .nan, atol: -1}", "-(x < 2)", "z[0/0]", "!!python/object/apply:os.system [echo]",
    "!!binary aGVsbG8=", "2001-12-14", "~", "true", "{}", "[]", "'" + "x" * 12_000 + "'", "x" * 3000,
    "[{a: 1}, [2]]", "{[1]: 2}", "? [1]\n  : 2", "!!set {a, b}", "uniform(1e308, 1e308*10)",
    "normal(0, 1e300)", "randint(1e15, 1e15 + 1)", "sum(1)", "x[" + "0" * 500 + "]", "'\\udcff'", "\x00",
    "{function: x, range: [0, sum(1)]}", "{function: x, range: [-1e300*1e8, 1e300*1e8]}",
    "- name: a\n  answer: 1\n  tolerance: .inf", "[0, sum(1)]", "[-1e300*1e8, 1e300*1e8]", "exp(1000)", "1/0",
    "where(x < 2, 1/0, 0)", "[1, .inf]", "(0, sum(1))", "[0, 1e300] integer",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(HOSTILE_VALUES + SAFE_VALUES),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20).map(lambda t: t.replace("\n", " ")),
)


@st.composite
def quiz_blocks(draw: st.DrawFn) -> str:
    """A quiz block of one of the kinds, as decks write it, with some of its keys left out,
    some values (a key's, a given's, a step's) swapped for hostile ones, and sometimes a
    key added: hostile values reach the givens, the formulas, the plot and the validator,
    not only the YAML parser."""

    def value(safe: str) -> str:
        return draw(VALUES) if draw(st.integers(0, 5)) == 0 else safe

    lines: list[str] = []
    for key, template in TEMPLATES[draw(st.sampled_from(sorted(TEMPLATES)))]:
        if draw(st.integers(0, 9)) == 0:
            continue
        if isinstance(template, str):
            lines.append(f"{key}: {value(template)}")
            continue
        lines.append(f"{key}:")
        if isinstance(template, dict):
            lines.extend(f"  {name}: {value(item)}" for name, item in template.items())
        else:
            lines.extend(f"  - {value(item)}" for item in template)
    extra = draw(st.lists(st.tuples(st.sampled_from(EXTRA_KEYS), VALUES), max_size=1))
    lines.extend(f"{key}: {item}" for key, item in extra)
    return "\n".join(line.replace("\n", "\n    ") for line in lines)


@pytest.fixture(scope="module")
def warmed(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Validate a deck of every kind once, so that the timed examples do not pay for the
    first imports and the start of the sympy worker."""
    folder = tmp_path_factory.mktemp("warm")
    deck = GOOD + card("variables: [x]\nanswer: x^2\nmistakes:\n  - {answer: 2*x, feedback: no}", "sym")
    (folder / "warm.md").write_text(deck.replace("## Card", "## Sym"), encoding="utf-8")
    validate([folder], samples=3)


@pytest.fixture
def beside_good(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder with the good deck; the property writes its hostile deck next to it."""
    good = tmp_path / "good.md"
    good.write_text(textwrap.dedent(GOOD).lstrip("\n"), encoding="utf-8")
    yield good, tmp_path / "hostile.md"


@settings(
    max_examples=100,
    deadline=None,  # the per-deck bound below is the one that matters
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(blocks=st.lists(quiz_blocks(), min_size=1, max_size=3), front=st.one_of(st.just(""), VALUES))
def test_generated_hostile_decks_never_crash_the_loader_or_the_validator(
    warmed: None, beside_good: tuple[Path, Path], blocks: list[str], front: str
) -> None:
    good, hostile = beside_good
    text = f"---\ntitle: {front}\n---\n\n" if front else ""
    text += "\n".join(card(block, f"c{index}") for index, block in enumerate(blocks))
    hostile.write_text(text, encoding="utf-8", errors="surrogateescape")
    loader.clear_cache()
    started = time.perf_counter()
    catalog = Catalog.load([good.parent], cache_dir=good.parent / "cache")
    report = validate([good.parent], samples=3)
    elapsed = time.perf_counter() - started
    assert_only_good_loads(catalog, good)
    assert all(isinstance(p, Problem) and p.path in (good, hostile) and p.line >= 1 for p in report.problems)
    assert all(p.path == hostile for p in report.problems)
    assert elapsed < LOAD_LIMIT_S, f"{elapsed:.1f} s for\n{text[:2000]}"
