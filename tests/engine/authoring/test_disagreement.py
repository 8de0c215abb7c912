"""The search for disagreement: it finds, inside the declared ranges, what random draws miss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.authoring.disagreement as disagreement
from engine.authoring.disagreement import SEARCH_LIMIT
from engine.authoring.validation import validate
from tests.conftest import FIXTURES

EPS = FIXTURES / "eps_placement"

ADAGRAD = """\
---
title: T
id: t
---

## AdaGrad {{#adagrad}}

```quiz
kind: numeric
given:
  theta: uniform(-1, 1)
  g: {gradient}
  lr: 0.1
  eps: 1e-10
answer: {answer}
precision: 4 dp
reference:
  name: adagrad_step
  output: theta
  inputs: {{theta_prev: theta, grad: g}}
```

`torch.optim.Adagrad(params, lr={{lr}}, eps={{eps}})` takes its first step from θ = {{theta}}
with gradient {{g}}. What is θ after it?
"""


def test_the_notes_eps_placement_is_found_where_random_draws_miss_it() -> None:
    report = validate([EPS / "wrong.md"], samples=200)
    assert report.cards == 2
    assert report.errors == 2
    lines = (EPS / "wrong.md").read_text().splitlines()
    for problem in report.problems:
        assert problem.code == "formula-disagrees-with-torch"
        assert lines[problem.line - 1].startswith("answer:")
        assert "inside the givens' declared ranges" in problem.message
        assert (
            "all 200 random instances agree, so random draws alone would not have found it" in problem.message
        )
        assert problem.seed is None  # not a random instance: the instance itself is given
        assert problem.formula is not None
        assert problem.torch is not None
        assert problem.formula != problem.torch
        assert dict(problem.inputs)["grad"]  # the givens of the instance found
        assert problem.mistake == "eps-inside-sqrt"  # the reference's own name for the error
    adagrad, adam = sorted(report.problems, key=lambda p: p.line)
    assert "changes sign" in adagrad.message  # where g = grad + weight_decay·θ crosses 0
    assert 0.1 <= float(dict(adam.inputs)["grad"]) <= 1  # gradients stay in [0.1, 1]


def test_the_twin_with_torchs_eps_placement_is_clean() -> None:
    report = validate([EPS / "right.md"], samples=200)
    assert report.problems == []
    assert report.cards == 2


def test_a_formula_that_agrees_everywhere_in_the_declared_ranges_is_not_flagged(
    write_deck: Callable[..., Path],
) -> None:
    """Fair: with gradients in [0.1, 1] and nothing else to move, √(g² + ε) and |g| + ε agree to
    1e-9 everywhere the card can be drawn, so ε's place is not this card's error to report."""
    deck = write_deck(ADAGRAD.format(gradient="uniform(0.1, 1)", answer="theta - lr*g/sqrt(g^2 + eps)"))
    assert validate([deck], samples=200).errors == 0
    wider = write_deck(
        ADAGRAD.format(gradient="uniform(-1, 1)", answer="theta - lr*g/sqrt(g^2 + eps)"), "w.md"
    )
    problems = validate([wider], samples=50).problems
    assert [p.code for p in problems] == ["formula-disagrees-with-torch"]  # near g = 0


def test_a_disagreement_the_random_draws_find_is_reported_once(write_deck: Callable[..., Path]) -> None:
    deck = write_deck(ADAGRAD.format(gradient="uniform(-1, 1)", answer="theta - lr*g/(abs(g) + 1e-3)"))
    problems = validate([deck], samples=200).problems
    assert len(problems) == 1
    assert " at seed " in problems[0].message
    assert "random draws alone" not in problems[0].message


def test_the_search_is_bounded_and_stays_inside_the_declared_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    solved: list[dict[str, np.ndarray]] = []
    original = disagreement.solve

    def recording(card: Any, values: dict[str, np.ndarray], **options: Any) -> Any:
        solved.append(dict(values))
        return original(card, values, **options)

    monkeypatch.setattr(disagreement, "solve", recording)
    validate([EPS / "wrong.md"], samples=200)
    by_card: dict[bool, int] = {}
    for values in solved:
        adagrad = "weight_decay" in values
        by_card[adagrad] = by_card.get(adagrad, 0) + len(values["grad"])
        assert np.all((values["grad"] >= 0.1) & (values["grad"] <= 1))
        if adagrad:
            assert np.all((values["theta"] >= -60) & (values["theta"] <= -5))
        else:
            assert np.all((values["v_prev"] >= 0) & (values["v_prev"] <= 0.5))
            assert np.all(np.isin(values["t"], np.arange(1, 21)))
    assert set(by_card) == {True, False}
    # each card's search, and the one instance of each finding solved again to report it
    assert all(count <= SEARCH_LIMIT + 1 for count in by_card.values())
