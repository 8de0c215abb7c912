"""Invisible characters in what a learner reads are errors at their line, with the fix.

A YAML double-quoted `"\\theta"` is a TAB and `heta`: the card loaded, its text was wrong,
and `validate` reported nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.authoring.validation import validate
from engine.decks.hygiene import hidden
from engine.decks.loader import load_deck
from engine.decks.problems import Problem
from tests.conftest import DECKS

HINT = "a YAML double-quoted string turns \\t into a TAB: write '\\\\theta' or use single quotes / a block scalar"

STEPS = r"""
## Adam's first step {#adam-first}

```quiz
kind: steps
given:
  theta_prev: 0.5
  grad: 0.2
steps:
  - name: m
    prompt: "m_1 ="
    answer: 0.1*grad
  - name: theta
    prompt: "\theta_1 ="
    answer: theta_prev - 0.001
    mistakes:
      - answer: theta_prev
        feedback: "You forgot the step: \beta_1 applies to m."
        name: no-step
```

Adam (torch's defaults) at θ = {theta_prev}, g = {grad}.
"""


def problems_of(path: Path, code: str) -> list[Problem]:
    return [p for p in load_deck(path).problems if p.code == code]


def test_a_double_quoted_latex_command_is_an_error_at_its_line_with_the_fix(
    write_deck: Callable[..., Path],
) -> None:
    path = write_deck(STEPS)
    found = problems_of(path, "control-character")
    assert [(p.line, p.severity, p.part) for p in found] == [(12, "error", "theta"), (12, "error", "theta")]
    prompt, feedback = sorted(found, key=lambda p: "feedback" in p.message)
    assert "U+0009 (TAB) in a step's prompt" in prompt.message
    assert prompt.message.endswith(HINT)
    assert "U+0008 (BACKSPACE) in a mistake's feedback" in feedback.message
    assert "turns \\b into a backspace: write '\\\\beta'" in feedback.message
    assert prompt.card == "deck/adam-first"


def test_the_tab_is_found_though_the_loader_strips_it(write_deck: Callable[..., Path]) -> None:
    """`"\\theta_1 ="` starts with the TAB, which the stripped prompt no longer shows."""
    deck = load_deck(write_deck(STEPS)).deck
    assert deck is not None
    assert deck.cards[0].steps[1].prompt == "heta_1 ="  # what the learner would have read


def test_single_quotes_and_block_scalars_keep_latex_as_written(write_deck: Callable[..., Path]) -> None:
    fixed = STEPS.replace('"\\theta_1 ="', "'\\theta_1 ='").replace(
        'feedback: "You forgot the step: \\beta_1 applies to m."',
        "feedback: |\n          You forgot the step: \\beta_1 applies to m.",
    )
    path = write_deck(fixed)
    assert load_deck(path).problems == []
    deck = load_deck(path).deck
    assert deck is not None
    assert deck.cards[0].steps[1].prompt == "\\theta_1 ="


def test_options_are_checked_one_by_one_at_their_own_line(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## Pick {#pick}

        ```quiz
        kind: choice
        options:
          - plain
          - "\\frac{1}{2}"
        answer: plain
        ```

        Which?
        """
    )
    [problem] = problems_of(path, "control-character")
    assert problem.line == 7
    assert "U+000C (FORM FEED) in an option" in problem.message
    assert "write '\\\\frac'" in problem.message


def test_a_line_break_escape_before_a_latex_name_is_an_error(write_deck: Callable[..., Path]) -> None:
    """`"\\nabla"` is a line break and `abla`: a line break is allowed, so this is its own check."""
    path = write_deck(
        """
        ## Gradient {#gradient}

        ```quiz
        kind: numeric
        given:
          x: uniform(1, 2)
        answer: 2*x
        mistakes:
          - answer: x
            feedback: "The gradient \\nabla f is 2x here."
        ```

        The gradient of x² at {x}?
        """
    )
    [problem] = problems_of(path, "latex-escape")
    assert problem.line == 10  # the feedback's own line
    assert problem.message.startswith("\\nabla in a YAML double-quoted string is a line break and 'abla'")
    assert "write '\\\\nabla'" in problem.message


def test_markdown_text_is_checked_at_the_line_of_the_character(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        "## Title\x07 bell {#t}\n"
        "\n"
        "A prompt\twith a tab.\n"
        "\n"
        "```python\n"
        "if x:\n"
        "\treturn 1  # a tab in code is fine\n"
        "```\n"
        "\n"
        "\tindented code is fine too\n"
        "\n"
        "### Answer\n"
        "An explanation\x0b.\n"
    )
    found = problems_of(path, "control-character")
    assert [(p.line, p.message.split(":")[0]) for p in found] == [
        (1, "control character U+0007 (BELL) in the title"),
        (3, "control character U+0009 (TAB) in the prompt"),
        (13, "control character U+000B (VERTICAL TAB) in the explanation"),
    ]
    deck = load_deck(path).deck
    assert deck is not None
    assert len(deck.cards) == 1  # a problem of its text, not of its structure: the card still loads
    # Lines are markdown's (split at \n only): a \v or \f does not shift the text after it.
    assert deck.cards[0].explanation == "An explanation\x0b."


def test_a_card_with_a_control_character_fails_validation(write_deck: Callable[..., Path]) -> None:
    report = validate([write_deck(STEPS)], samples=5)
    assert report.errors >= 2
    assert {p.code for p in report.problems if p.severity == "error"} >= {"control-character"}


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"])
def test_hidden_characters_are_what_unicode_calls_control(char: str) -> None:
    assert hidden(char)


def test_every_control_character_but_line_break_and_tab_is_hidden() -> None:
    controls = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"]
    assert [c for c in controls if not hidden(c)] == ["\t", "\n"]
    assert not any(hidden(c) for c in "aé θ₁∇ \u00a0")


def test_the_bundled_decks_have_no_hidden_characters() -> None:
    for path in sorted(DECKS.glob("*.md")):
        found = [p for p in load_deck(path).problems if p.code in ("control-character", "latex-escape")]
        assert found == [], path


def test_a_formula_with_a_yaml_escape_is_named_as_one(write_deck: Callable[..., Path]) -> None:
    """`"\\theta"` in double quotes is a TAB then `heta`: say so, not "unknown name 'heta'"."""
    from engine.decks.catalog import Catalog

    path = write_deck(
        "---\nid: f\ntitle: F\n---\n\n## Softplus {#sp}\n\n```quiz\nkind: symbolic\nvariables: [x, theta]\n"
        'answer: "log(1 + exp(x))\\theta"\n```\n\nWrite it.\n',
        "f.md",
    )
    problems = Catalog.load([path]).problems
    assert [p.code for p in problems] == ["control-character"]
    assert "\\t" in problems[0].message
