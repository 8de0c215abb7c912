"""Reading decks: structure, ids, and a clear `file:line` for every problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.catalog import Catalog
from engine.loader import add_missing_ids, load_deck, load_decks
from tests.conftest import DECKS

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
    assert gelu.kind == "numeric" and gelu.line == 11
    assert gelu.answer is not None and gelu.answer.text == "x*Phi(x)" and gelu.answer.line == 17
    assert gelu.tolerance.rtol == 1e-3
    assert "Compute GELU" in gelu.prompt and "```quiz" not in gelu.prompt
    assert "## not a heading" in gelu.prompt  # a code block stays part of the prompt
    assert gelu.explanation == "$x\\Phi(x)$."
    assert flash.kind == "flash" and flash.explanation == "Because."
    assert flash.tags == ("activations",)


def test_deck_id_defaults_to_the_file_stem(write_deck: Callable[..., Path]) -> None:
    deck = load_deck(write_deck("## Q {#q}\n\nFront\n\n### Answer\nBack\n", name="my-deck.md")).deck
    assert deck is not None and deck.id == "my-deck" and deck.cards[0].full_id == "my-deck/q"


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
    assert deck is not None and [c.card_id for c in deck.cards] == ["first-card", "dup"]


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
    assert problem.severity == "error" and problem.line in (5, 6)
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
        "13: error: unknown kind 'numerc' (did you mean 'numeric'?); kinds: flash, symbolic, numeric, choice, steps",
        "23: error: 'options' does not apply to symbolic cards (they take: answer, kind, mistakes, plot, reference, tags, variables)",
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
    assert second.is_choice and second.options == ("up", "down")


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
    assert kinds == {"flash", "symbolic", "numeric", "choice", "steps"}
