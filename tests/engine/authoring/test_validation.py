"""`validate`: every problem an author can make, reported at its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
    assert report.problems == []


def test_a_mistake_that_can_never_be_matched_is_a_warning(write_deck: Callable[..., Path]) -> None:
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
    assert (problem.line, problem.severity) == (9, "warning")
    assert "can never be recognised" in problem.message
