"""What `validate` says of cloze cards an author got wrong (engine.authoring.cloze_checks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.authoring.validation import validate
from tests.conftest import FIXTURES

AUTHORED = r"""---
title: Author's cloze cards
id: authored
---

## A blank that does not read {#unreadable}

```quiz
kind: cloze
variables: {x: real}
```

$$y = \blank{\sqrt{x} + \delta}$$

## Filled in, not the answer {#wrong-whole}

```quiz
kind: cloze
variables: {theta: real, eta: positive, g: real}
answer: theta - eta*g
```

Gradient descent:

$$\theta \leftarrow \theta + \eta\,\blank{g}$$

## Given away {#guessable}

```quiz
kind: cloze
variables: {v: positive, eps: positive}
```

The denominator is $\sqrt{v} + \epsilon$; fill it in:

$$u = \frac{g}{\blank{\sqrt{v} + \epsilon}}$$

## Blank in prose {#prose}

```quiz
kind: cloze
variables: {x: real}
```

The answer is \blank{x}, and the formula is $$y = x$$

## Not a cloze card {#stray}

```quiz
variables: {x: real}
answer: 2*x
```

Differentiate $x^2$: $$\blank{2x}$$

## A mistake that does not read {#bad-mistake}

```quiz
kind: cloze
variables: {x: real}
mistakes:
  - answer: x +* 1
    feedback: no
```

$$y = \blank{x + 1}$$
"""


def test_each_authoring_error_is_named_at_its_line(write_deck: Callable[..., Path]) -> None:
    path = write_deck(AUTHORED)
    report = validate([path], samples=200, seed=0)
    by_card = {(p.card or "").split("/")[-1]: p for p in report.problems}
    assert by_card["unreadable"].code == "blank-error"
    assert "⟦1⟧" in by_card["unreadable"].message
    assert "delta" in by_card["unreadable"].message
    assert by_card["unreadable"].line == 13
    assert by_card["wrong-whole"].code == "blank-formula-disagrees"
    assert "θ + η·g" in by_card["wrong-whole"].message
    assert "θ − η·g" in by_card["wrong-whole"].message
    assert by_card["guessable"].code == "blank-guessable"
    assert by_card["guessable"].severity == "warning"
    assert by_card["stray"].code == "blank-outside-cloze"
    assert by_card["bad-mistake"].code == "formula-error"
    prose = [p for p in report.problems if p.code == "invalid-blank"]
    assert len(prose) == 1
    assert "inside the card's display formula" in prose[0].message
    assert prose[0].line == 45


def test_a_good_cloze_deck_validates_clean() -> None:
    report = validate([FIXTURES / "cloze"], samples=200, seed=0)
    assert report.problems == []
