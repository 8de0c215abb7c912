"""Function plots on cards: the `plot:` key is read, validated, and turned into points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.authoring.validation import validate
from engine.decks.catalog import Catalog
from engine.decks.instance import draw_instance
from engine.decks.plot import plot_data
from tests.conftest import DECKS, FIXTURES

PLOT_CARD = """
## Softplus {#softplus}

```quiz
kind: numeric
given:
  x: uniform(-2, 2)
answer: log(1 + exp(x))
plot:
  function: %s
  range: %s
  derivative: true
  mark: x
```

softplus({x})?
"""


def test_a_plot_has_its_curve_derivative_and_marked_point() -> None:
    card = Catalog.load([FIXTURES / "drill"]).find_card("drillfix/softplus")
    assert card.plot is not None
    assert card.plot.numeric_derivative
    assert card.plot.mark == "x"
    data = plot_data(card.plot, draw_instance(card, 0).values)
    assert data.xs[0] == -4
    assert data.xs[-1] == 4
    assert data.mark == pytest.approx((1.5, np.log1p(np.exp(1.5))))
    assert data.dys is not None
    assert np.allclose(data.dys, 1 / (1 + np.exp(-data.xs)), atol=1e-6)  # softplus' = sigmoid


def test_bounds_may_use_the_givens() -> None:
    card = Catalog.load([DECKS / "schedules.md"]).find_card("schedules/cosine-lr-value")
    assert card.plot is not None
    instance = draw_instance(card, 3)
    data = plot_data(card.plot, instance.values)
    assert data.xs[-1] == float(instance.values["T_max"])
    assert data.mark is not None
    assert data.mark[0] == float(instance.values["t"])


@pytest.mark.parametrize(
    ("function", "bounds", "message"),
    [
        ("log(1 + exp(x)) + y", "[-1, 1]", "plot function uses y, which is neither"),
        ("log(x - 10)", "[-1, 1]", "not a real number at most points"),
        ("x", "[1, -1]", "is empty"),
        ("__import__('os')", "[-1, 1]", "plot function"),
    ],
)
def test_validate_reports_a_plot_that_cannot_be_drawn(
    write_deck: Callable[..., Path], function: str, bounds: str, message: str
) -> None:
    path = write_deck(PLOT_CARD % (function, bounds))
    problems = [str(p) for p in validate([path], samples=5).problems]
    assert any(message in p and ":8: error:" in p for p in problems), problems


def test_unknown_plot_keys_are_named(write_deck: Callable[..., Path]) -> None:
    path = write_deck(PLOT_CARD.replace("mark: x", "marks: x") % ("x", "[-1, 1]"))
    problems = [str(p) for p in validate([path], samples=5).problems]
    assert any("unknown key 'marks' in plot (did you mean 'mark'?)" in p for p in problems), problems


def test_the_bundled_plots_validate() -> None:
    report = validate([DECKS / "activations.md", DECKS / "schedules.md"], samples=20)
    assert not [p for p in report.problems if "plot" in p.message]
