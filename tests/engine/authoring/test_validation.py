"""`validate`: every problem an author can make, reported at its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.authoring.validation import validate
from tests.conftest import DECKS

BAD = """
## Division {#div}

```quiz
kind: numeric
given:
  x: uniform(-1, 1, decimals=1)
answer: 1/x
```

What is 1/{x}? And {y}?

## Unknown name {#unknown}

```quiz
kind: numeric
given: {x: 1.0}
answer: x + z
```

x

## Symbolic {#sym}

```quiz
kind: symbolic
variables: [x]
answer: log(-1 - x^2)
mistakes:
  - answer: log(-1-x*x)
    feedback: same thing
```

Q

## Choice {#choice}

```quiz
kind: choice
options: [min, max]
answer: saddle
```

Q

## Flow mapping {#flow}

```quiz
kind: numeric
given: {x: uniform(1, 2)}
answer: 2*x
mistakes:
  - {answer: x + x, feedback: same}
```

Q {x}

## Vector function in symbolic {#vec}

```quiz
kind: symbolic
variables: [x]
answer: sum(x)
```
"""


def test_each_problem_is_reported_with_file_and_line(write_deck: Callable[..., Path]) -> None:
    path = write_deck(BAD)
    report = validate([path], samples=300, seed=0)
    lines = [f"{p.line}: {p.severity}: {p.message}" for p in report.problems]
    assert any(line.startswith("7: error: answer is NaN or infinite at seed ") for line in lines), lines
    assert "1: error: placeholder {y} has no value (givens: x)" in lines
    assert "17: error: answer: unknown name 'z' at column 5; this card's variables: x" in lines
    assert "27: error: answer is not a real number at any of 300 sampled points" in lines
    assert "29: warning: this mistake is equivalent to the answer, so it can never be recognised" in lines
    assert "40: error: answer 'saddle' is not one of the options: min, max" in lines
    assert (
        "49: error: given '2)' is not a name: YAML splits {x: uniform(1, 2)} at the comma;"
        " write one given per line (x: uniform(1, 2)) or quote the value"
    ) in lines
    assert "62: error: answer: sum() works on vectors; it has no place in a symbolic answer" in lines
    assert len(lines) == 8
    assert report.errors == 7
    assert report.warnings == 1
    assert all(str(p).startswith(f"{path}:") for p in report.problems)


def test_bundled_decks_validate_clean() -> None:
    report = validate([DECKS], samples=300)
    uncovered = [p for p in report.problems if "is not a torch output of" in p.message]
    assert all(p.severity == "warning" for p in uncovered)  # parts torch does not check: said, not errors
    assert [p for p in report.problems if p not in uncovered] == []


def test_a_mistake_that_can_never_be_matched_is_an_error(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## Never matched {#never}

        ```quiz
        kind: numeric
        given:
          x: uniform(1, 2)
        answer: 2*x
        mistakes:
          - {answer: x + x, feedback: same}
        ```

        Twice {x}?
        """
    )
    (problem,) = validate([path], samples=50).problems
    assert (problem.line, problem.severity) == (9, "error")
    assert "can never be recognised" in problem.message


def test_a_mistake_that_coincides_at_the_stated_precision_is_an_error(
    write_deck: Callable[..., Path],
) -> None:
    path = write_deck(
        """
        ## Close {#close}

        ```quiz
        kind: numeric
        given:
          x: uniform(1, 2)
        answer: x
        precision: 3 sig
        mistakes:
          - {answer: x*(1 + 1e-6), feedback: a hair off}
        ```

        {x}?
        """
    )
    (problem,) = validate([path], samples=50).problems
    assert (problem.line, problem.severity) == (10, "error")
    assert problem.message.startswith(
        "this mistake cannot be told from the answer to 3 significant figures on any of the 50 sampled"
        " instances, so it can never be recognised"
    )


@pytest.mark.parametrize(("low", "warned"), [(-1, False), (-0.1, True)])
def test_a_trap_that_seldom_differs_from_the_answer_is_a_warning(
    low: float, warned: bool, write_deck: Callable[..., Path]
) -> None:
    path = write_deck(
        f"""
        ## Absolute {{#abs}}

        ```quiz
        kind: numeric
        given:
          x: uniform({low}, 1)
        answer: abs(x)
        mistakes:
          - {{answer: x, feedback: Negative x has a positive absolute value.}}
        ```

        |{{x}}|?
        """
    )
    problems = validate([path], samples=200).problems
    assert [(p.line, p.severity) for p in problems] == ([(9, "warning")] if warned else [])
    if warned:  # half the draws coincide: drawing finds a negative x; 95% of them: it often does not
        assert "so even 16 draws often miss where it can" in problems[0].message


def test_a_reference_trap_the_precision_cannot_see_is_a_warning(write_deck: Callable[..., Path]) -> None:
    card = """
        ## GELU {{#gelu}}

        ```quiz
        kind: numeric
        given:
          x: uniform(-3, 3)
        reference: gelu
        {precision}
        ```

        GELU({{x}})?
        """
    (problem,) = validate([write_deck(card.format(precision=""))], samples=200).problems
    assert (problem.line, problem.severity) == (7, "warning")
    assert problem.message.startswith(
        "the reference's mistake 'tanh-approximation' cannot be told from the answer"
    )
    assert validate([write_deck(card.format(precision="precision: 5 sig"))], samples=200).problems == []


def test_a_mistake_that_is_never_a_number_is_an_error(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        """
        ## Overflow {#overflow}

        ```quiz
        kind: numeric
        given:
          z: uniform(800, 900)
        answer: 1/(1 + exp(-z))
        mistakes:
          - {answer: exp(z), feedback: You forgot the denominator.}
        ```

        σ({z})?
        """
    )
    (problem,) = validate([path], samples=50).problems
    assert (problem.line, problem.severity) == (9, "error")
    assert (
        problem.message
        == "this mistake is NaN or infinite on all 50 sampled instances, so it can never be recognised"
    )
