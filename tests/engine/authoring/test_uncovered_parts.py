"""`validate` on steps parts that torch does not compute: checked through the card's own chain of
formulas where a part torch computes uses them, and said (a warning) where nothing checks them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.authoring.validation import validate
from engine.decks.instance import draw_instance
from engine.decks.kinds.steps import formula_only_parts
from engine.decks.loader import load_deck

ADAM_STEPS = """
## Adam, one step {#adam-steps}

```quiz
kind: steps
given:
  theta_prev: uniform(-1, 1)
  grad: uniform(-1, 1)
  lr: 0.1
steps:
  - name: m
    answer: (1 - beta1)*grad
  - name: v
    answer: (1 - beta2)*grad^2
  - name: bias2
    answer: 1 - beta2^t
  - name: denom
    answer: sqrt(v/bias2) + eps
  - name: update
    answer: lr*(m/(1 - beta1))/denom
  - name: theta
    answer: theta_prev - update
  - name: lr_t
    answer: lr*sqrt(1 - beta2^t)/(1 - beta1^t)
reference: adam_step
```

One Adam step from θ = {theta_prev} with gradient {grad} and lr = {lr}: m, v, the bias
correction of v, the denominator, the update, θ₁, and the effective step size.
"""


def test_a_part_no_torch_checked_formula_uses_is_said_to_be_checked_by_its_formula_only(
    write_deck: Callable[..., Path],
) -> None:
    """lr_t is no output of adam_step and no later formula uses it; bias2, denom and update are
    no outputs either, but θ's formula uses update (which uses denom, which uses bias2), and θ's
    formula is compared with torch: they are checked through it."""
    report = validate([write_deck(ADAM_STEPS)], samples=100)
    assert report.errors == 0, [str(p) for p in report.problems]
    assert [p.message for p in report.problems if p.severity == "warning"] == [
        "part 'lr_t' is not a torch output of adam_step: it is checked against its own formula only"
    ]
    (problem,) = report.problems
    assert problem.line == ADAM_STEPS.lstrip("\n").splitlines().index("  - name: lr_t") + 1
    assert problem.severity == "warning"


def test_a_wrong_part_in_the_chain_is_found_through_the_part_torch_computes(
    write_deck: Callable[..., Path],
) -> None:
    """bias2 is no output of adam_step; written wrong (1 − β₂^(t+1)), θ's formula, which uses it,
    disagrees with torch."""
    deck = ADAM_STEPS.replace("answer: 1 - beta2^t\n", "answer: 1 - beta2^(t + 1)\n")
    report = validate([write_deck(deck)], samples=100)
    errors = [str(p) for p in report.problems if p.severity == "error"]
    assert len(errors) == 1
    assert "step 'theta' disagrees with torch reference adam_step.theta" in errors[0]


def test_the_parts_listed_are_those_outside_every_chain(write_deck: Callable[..., Path]) -> None:
    result = load_deck(write_deck(ADAM_STEPS))
    assert result.deck is not None
    card = result.deck.cards[0]
    solution = draw_instance(card, 0).solution
    assert [message.split("'")[1] for _, message in formula_only_parts(card, solution)] == ["lr_t"]
    no_theta_formula = ADAM_STEPS.replace("    answer: theta_prev - update\n", "")
    result = load_deck(write_deck(no_theta_formula, "plain.md"))
    assert result.deck is not None
    card = result.deck.cards[0]
    solution = draw_instance(card, 0).solution  # θ from torch alone: nothing checks the chain
    listed = [message.split("'")[1] for _, message in formula_only_parts(card, solution)]
    assert listed == ["bias2", "denom", "update", "lr_t"]


def test_a_card_without_a_reference_has_its_formulas_for_truth(write_deck: Callable[..., Path]) -> None:
    deck = ADAM_STEPS.replace("reference: adam_step\n", "").replace(
        "  lr: 0.1\n", "  lr: 0.1\n  beta1: 0.9\n  beta2: 0.999\n  eps: 1e-8\n  t: 1\n"
    )
    report = validate([write_deck(deck)], samples=50)
    assert [str(p) for p in report.problems] == []
