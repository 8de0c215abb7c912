"""Reading decks: structure, ids, and a clear `file:line` for every problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from engine.decks import catalog, loader, quiz_yaml
from engine.decks.cards import Deck, Formula
from engine.decks.catalog import Catalog, DiskCache, deck_files, decode, default_cache_dir, encode
from engine.decks.ids import add_missing_ids
from engine.decks.loader import LoadResult, load_deck, load_decks
from engine.decks.problems import Problem
from tests.conftest import DECKS, FIXTURES

GOOD = """
---
title: Activations
id: act
tags: [activations]
---

# Activations

Intro text that is not a card.

## GELU at a point {#gelu}

```quiz
kind: numeric
given:
  x: uniform(-3, 3)
answer: x*Phi(x)
tolerance: {rtol: 1e-3}
```

Compute GELU at $x = {x}$.

```python
## not a heading: inside a code block
```

### Explanation
$x\\Phi(x)$.

## Why LN {#why-ln}

Why LayerNorm?

### Answer
Because.
"""


def messages(path: Path) -> list[str]:
    return [f"{p.line}: {p.severity}: {p.message}" for p in load_deck(path).problems]


def test_a_deck_reads_into_cards_with_prompt_and_explanation(write_deck: Callable[..., Path]) -> None:
    result = load_deck(write_deck(GOOD))
    assert result.problems == []
    deck = result.deck
    assert deck is not None
    assert (deck.id, deck.title, deck.tags) == ("act", "Activations", ("activations",))
    assert [c.full_id for c in deck.cards] == ["act/gelu", "act/why-ln"]
    gelu, flash = deck.cards
    assert gelu.kind == "numeric"
    assert gelu.line == 11
    assert gelu.answer is not None
    assert gelu.answer.text == "x*Phi(x)"
    assert gelu.answer.line == 17
    assert gelu.tolerance.rtol == 1e-3
    assert "Compute GELU" in gelu.prompt
    assert "```quiz" not in gelu.prompt
    assert "## not a heading" in gelu.prompt  # a code block stays part of the prompt
    assert gelu.explanation == "$x\\Phi(x)$."
    assert flash.kind == "flash"
    assert flash.explanation == "Because."
    assert flash.tags == ("activations",)


def test_deck_id_defaults_to_the_file_stem(write_deck: Callable[..., Path]) -> None:
    deck = load_deck(write_deck("## Q {#q}\n\nFront\n\n### Answer\nBack\n", name="my-deck.md")).deck
    assert deck is not None
    assert deck.id == "my-deck"
    assert deck.cards[0].full_id == "my-deck/q"


def test_missing_id_is_a_warning_and_duplicate_ids_an_error(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## First card

        Front

        ### Answer
        Back

        ## Second {#dup}

        A

        ### Answer
        B

        ## Third {#dup}

        C

        ### Answer
        D
        """
    )
    assert messages(path) == [
        "1: warning: card has no id: add {#first-card} to the heading (quizapp validate --fix-ids does it),"
        " or its progress is lost when the title changes",
        "15: error: card id 'dup' is already used on line 8",
    ]
    deck = load_deck(path).deck
    assert deck is not None
    assert [c.card_id for c in deck.cards] == ["first-card", "dup"]


def test_yaml_errors_point_at_their_line(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## Broken {#broken}

        ```quiz
        kind: numeric
        answer: [1, 2
        ```

        Prompt
        """
    )
    (problem,) = load_deck(path).problems
    assert problem.severity == "error"
    assert problem.line in (5, 6)
    assert "not valid YAML" in problem.message


def test_unknown_keys_and_kinds_are_named_with_a_suggestion(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## A {#a}

        ```quiz
        kind: numeric
        given: {x: 1.0}
        anwser: x
        answer: 2*x
        ```

        ## B {#b}

        ```quiz
        kind: numerc
        answer: 1
        ```

        ## C {#c}

        ```quiz
        kind: symbolic
        variables: [x]
        answer: x
        options: [a, b]
        ```
        """
    )
    assert messages(path) == [
        "6: error: unknown key 'anwser' (did you mean 'answer'?)",
        "13: error: unknown kind 'numerc' (did you mean 'numeric'?); kinds: flash, symbolic, numeric, choice, steps, cloze",
        "23: error: 'options' does not apply to symbolic cards (they take: answer, hints, kind, mistakes, plot, reference, tags, variables)",
    ]


def test_steps_and_mistakes_are_read_with_their_lines(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## Steps {#s}

        ```quiz
        kind: steps
        given: {g: 0.5}
        steps:
          - name: m
            prompt: "m ="
            answer: 0.1*g
            mistakes:
              - {answer: g, feedback: forgot 1-beta, name: no-scale}
          - name: kind
            options: [up, down]
            answer: up
        ```

        Prompt.
        """
    )
    deck = load_deck(path).deck
    assert deck is not None
    (card,) = deck.cards
    first, second = card.steps
    assert (first.name, first.prompt, first.line) == ("m", "m =", 7)
    assert first.mistakes[0].name == "no-scale"
    assert second.is_choice
    assert second.options == ("up", "down")


def test_a_broken_deck_does_not_stop_the_others(write_deck: Callable[..., Path]) -> None:
    good = write_deck(GOOD, name="good.md")
    broken = write_deck("---\ntitle: [unclosed\n---\n\n## Q {#q}\n", name="broken.md")
    not_text = good.parent / "binary.md"
    not_text.write_bytes(b"\xff\xfe\x00garbage")
    decks, problems = load_decks([broken, not_text, good])
    assert [d.id for d in decks] == ["broken", "act"]
    assert any(p.path == not_text and "not UTF-8" in p.message for p in problems)
    assert any(p.path == broken and "front matter" in p.message for p in problems)


def test_two_decks_with_one_id_is_an_error(write_deck: Callable[..., Path]) -> None:
    first = write_deck("---\nid: same\n---\n## Q {#q}\nA\n### Answer\nB\n", name="one.md")
    second = write_deck("---\nid: same\n---\n## Q {#q}\nA\n### Answer\nB\n", name="two.md")
    decks, problems = load_decks([first, second])
    assert len(decks) == 1
    assert [str(p) for p in problems] == [f"{second}:1: error: deck id 'same' is already used by {first}"]


def test_fix_ids_writes_only_the_missing_ids(write_deck: Callable[..., Path]) -> None:
    source = "# Deck\r\n\r\n## Adam step\r\nA\r\n\r\n## Kept {#kept}\r\nB\r\n\r\n## Adam step\r\nC\r\n"
    path = write_deck("")
    path.write_bytes(source.encode())
    assert add_missing_ids(path) == [(3, "adam-step"), (9, "adam-step-2")]
    assert path.read_bytes().decode() == source.replace(
        "## Adam step\r\nA", "## Adam step {#adam-step}\r\nA"
    ).replace("## Adam step\r\nC", "## Adam step {#adam-step-2}\r\nC")
    assert add_missing_ids(path) == []  # idempotent


def test_bundled_decks_load_cleanly() -> None:
    catalog = Catalog.load([DECKS])
    assert catalog.problems == []
    kinds = {card.kind for deck in catalog.decks for card in deck.cards}
    assert kinds == {"flash", "symbolic", "numeric", "choice", "steps", "cloze"}


# -- parsing once, and caching ------------------------------------------------------------

BROKEN_YAML = """
## Broken {#broken}

```quiz
kind: numeric
answer: [1, 2
```

Prompt
"""


def test_each_yaml_block_is_parsed_once(
    write_deck: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = quiz_yaml._parse_with

    def counting(loader_class: Any, text: str) -> Any:
        parsed.append(text)
        return parse(loader_class, text)

    monkeypatch.setattr(quiz_yaml, "_parse_with", counting)
    deck = load_deck(write_deck(GOOD)).deck
    assert deck is not None
    assert len(deck.cards) == 2
    assert len(parsed) == 2  # the front matter and the one quiz block


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
def test_libyaml_and_pure_python_read_every_deck_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    files = deck_files([DECKS, *FIXTURES.rglob("*")])
    assert quiz_yaml._fast_yaml_loader() is yaml.CSafeLoader
    loader.clear_cache()
    fast = [load_deck(path) for path in files]
    monkeypatch.setattr(quiz_yaml, "_fast_yaml_loader", lambda: yaml.SafeLoader)
    loader.clear_cache()
    pure = [load_deck(path) for path in files]
    loader.clear_cache()
    assert fast == pure


@pytest.mark.parametrize("pure", [False, True])
def test_yaml_errors_read_the_same_with_or_without_libyaml(
    write_deck: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, pure: bool
) -> None:
    if pure:
        monkeypatch.setattr(quiz_yaml, "_fast_yaml_loader", lambda: yaml.SafeLoader)
    assert messages(write_deck(BROKEN_YAML)) == [  # line 6: the YAML ends at the fence
        "6: error: quiz block is not valid YAML: while parsing a flow sequence"
        " expected ',' or ']', but got '<stream end>'"
    ]


@pytest.mark.parametrize("pure", [False, True])
def test_yaml_nested_too_deeply_is_a_problem_not_a_crash(
    write_deck: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, pure: bool
) -> None:
    if pure:
        monkeypatch.setattr(quiz_yaml, "_fast_yaml_loader", lambda: yaml.SafeLoader)
    deep = "[" * 5000 + "]" * 5000
    (problem,) = load_deck(
        write_deck(f"## Deep {{#deep}}\n\n```quiz\nkind: numeric\nanswer: {deep}\n```\n")
    ).problems
    assert problem.severity == "error"
    assert "quiz block is not valid YAML" in problem.message


def test_an_unchanged_deck_is_read_once_per_process(
    write_deck: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    read = loader._read

    def counting(path: Path, data: bytes) -> LoadResult:
        reads.append(path)
        return read(path, data)

    monkeypatch.setattr(loader, "_read", counting)
    path = write_deck(GOOD)
    first = load_deck(path)
    first.problems.append(Problem(path, 1, "error", "added by the caller"))  # not shared
    second = load_deck(path)
    assert reads == [path]
    assert second.deck is first.deck
    assert second.problems == []
    path.write_text(path.read_text(encoding="utf-8").replace("Because.", "Because!"), encoding="utf-8")
    third = load_deck(path)
    assert reads == [path, path]
    assert third.deck is not None
    assert third.deck.cards[1].explanation == "Because!"


def test_windows_and_old_mac_line_endings_read_like_unix_ones(write_deck: Callable[..., Path]) -> None:
    unix = write_deck(GOOD, name="unix.md")
    expected = load_deck(unix).deck
    assert expected is not None
    for name, ending in (("windows.md", b"\r\n"), ("mac.md", b"\r")):
        path = unix.with_name(name)
        path.write_bytes(unix.read_bytes().replace(b"\n", ending))
        result = load_deck(path)
        assert result.problems == []
        assert result.deck == replace(
            expected, path=path, cards=tuple(replace(c, path=path) for c in expected.cards)
        )


# -- the cache on disk ---------------------------------------------------------------------


def every_deck() -> list[Path]:
    return deck_files([DECKS, *sorted(p for p in FIXTURES.rglob("*") if p.is_dir())])


def test_every_deck_survives_the_json_cache_exactly() -> None:
    for path in every_deck():
        result = load_deck(path)
        for value in (result.deck, result.problems):
            text = json.dumps(encode(value), allow_nan=False)
            assert repr(decode(json.loads(text))) == repr(value), path


def test_the_cache_keeps_types_exactly_or_refuses_them() -> None:
    value = (
        1,
        1.0,
        -0.0,
        True,
        None,
        "x",
        [1, (2,)],
        {1: "a", "1": "b"},
        float("inf"),
        float("nan"),
        Path("a/b"),
    )
    assert repr(decode(json.loads(json.dumps(encode(value), allow_nan=False)))) == repr(value)
    for odd in ({1, 2}, b"bytes", date(2024, 1, 1), np.float64(1.0), Formula):
        with pytest.raises(TypeError):
            encode(odd)


def test_decks_cached_on_disk_are_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = Catalog.load([DECKS], cache_dir=cache)
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == len(first.decks)
    for entry in entries:  # plain JSON: no NaN or Infinity, no pickles
        json.loads(entry.read_text(encoding="utf-8"), parse_constant=pytest.fail)
    loader.clear_cache()  # as in a new process
    monkeypatch.setattr(loader, "_read", lambda path, data: pytest.fail(f"{path} was parsed again"))
    again = Catalog.load([DECKS], cache_dir=cache)
    assert repr(again) == repr(first)


def test_an_edited_deck_a_damaged_entry_or_a_new_engine_is_read_afresh(
    write_deck: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    path = write_deck(GOOD)
    store = DiskCache(cache)
    reads: list[Path] = []
    read = loader._read

    def counting(path: Path, data: bytes) -> LoadResult:
        reads.append(path)
        return read(path, data)

    monkeypatch.setattr(loader, "_read", counting)

    def load() -> Deck | None:
        loader.clear_cache()
        return load_deck(path, store).deck

    first = load()
    assert load() == first
    assert len(reads) == 1
    path.write_text(path.read_text(encoding="utf-8").replace("Because.", "Because!"), encoding="utf-8")
    edited = load()
    assert edited is not None
    assert edited.cards[1].explanation == "Because!"
    assert len(reads) == 2
    store.entry(path).write_text('{"key": [1, "x"], "deck": {"record": "os.system"', encoding="utf-8")
    assert load() == edited
    assert len(reads) == 3
    assert load() == edited
    assert len(reads) == 3
    monkeypatch.setattr(catalog, "engine_fingerprint", lambda: "another engine")
    assert load() == edited
    assert len(reads) == 4


def test_an_unwritable_cache_is_no_cache(write_deck: Callable[..., Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    catalog_ = Catalog.load([write_deck(GOOD)], cache_dir=blocker / "cache")
    assert [d.id for d in catalog_.decks] == ["act"]
    assert catalog_.problems == []


def test_decode_builds_only_deck_records() -> None:
    for hostile in (
        {"record": "Popen", "fields": {}},
        {"record": "Deck", "fields": {"id": "x"}},
        {"module": "os"},
        {"tuple": "abc"},
        {"float": "1e999999"},
    ):
        with pytest.raises((KeyError, ValueError)):
            decode(hostile)


def test_the_cache_folder_can_be_chosen_by_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(catalog.CACHE_ENV_VAR, str(tmp_path / "decks"))
    assert default_cache_dir() == tmp_path / "decks"
    monkeypatch.delenv(catalog.CACHE_ENV_VAR)
    assert default_cache_dir().name == "decks"


def test_the_deck_list_from_the_cache_needs_no_numpy_yaml_or_markdown(tmp_path: Path) -> None:
    """What the home screen imports to show cached decks: numpy and the parsers are left for later."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from engine.decks.catalog import Catalog\n"
        "import engine.study.scheduling, engine.storage\n"
        f"catalog = Catalog.load([Path({str(DECKS)!r})], cache_dir=Path({str(tmp_path)!r}))\n"
        "assert catalog.decks\n"
        "print(sorted(m for m in ('numpy', 'yaml', 'markdown_it', 'sympy', 'torch') if m in sys.modules))\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "numpy" in first.stdout  # reading the decks for the first time does need them
    cached = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert cached.stdout.strip() == "[]", cached.stdout


def test_decks_are_listed_by_their_order_then_by_file_name(tmp_path: Path) -> None:
    def write(name: str, front: str) -> None:
        card = "## A card {#a}\n\nText.\n\n### Answer\nMore.\n"
        (tmp_path / name).write_text(f"---\n{front}\n---\n\n{card}", encoding="utf-8")

    write("a.md", "id: a")
    write("b.md", "id: b\norder: -1")
    write("c.md", "id: c\norder: 5")
    write("d.md", "id: d")
    write("e.md", "id: e\norder: first")
    catalog = Catalog.load([tmp_path])
    assert [deck.id for deck in catalog.decks] == ["b", "a", "d", "e", "c"]
    (problem,) = catalog.problems
    assert (problem.path.name, problem.line, problem.code) == ("e.md", 2, "invalid-front-matter")
    assert "order must be a whole number" in problem.message


def test_the_starter_tour_is_listed_first() -> None:
    assert Catalog.load([DECKS]).decks[0].id == "starter"
