"""A card's givens and its torch reference agree: every given is taken or used, every default
it changes is said in the prompt, and a scalar is never taken for a vector because of the batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.authoring.validation import validate
from engine.decks.instance import draw_instance
from engine.decks.loader import load_deck
from engine.references import ReferenceInputError, get_reference, run_reference
from engine.references.registry import prepare_inputs

RMSPROP = """
## RMSprop's first step {{#rmsprop-first}}

```quiz
kind: numeric
given:
  theta_prev: uniform(-1, 1)
  grad: uniform(-1, 1)
  lr: 0.01
  {extra}
answer: theta_prev - lr*grad/(sqrt(0.01*grad^2) + 1e-8)
precision: 4 dp
reference: {{name: rmsprop_step, output: theta}}
```

`torch.optim.RMSprop(params, lr={lr})` at θ = {{theta_prev}} with gradient g = {{grad}}{shown}.
What is θ after one step?
"""


def rmsprop(write_deck: Callable[..., Path], extra: str, shown: str = "") -> Path:
    return write_deck(RMSPROP.format(extra=extra, shown=shown, lr="{lr}"))


def codes(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in validate([path], samples=50).problems:
        found.setdefault(problem.code, []).append(f"{problem.line}: {problem.severity}: {problem.message}")
    return found


def test_a_given_the_reference_does_not_take_is_an_error_with_the_input_it_meant(
    write_deck: Callable[..., Path],
) -> None:
    found = codes(rmsprop(write_deck, "beta: 0.9"))
    [problem] = found["unknown-given"]
    assert problem.startswith("9: error: `beta` is not an input of rmsprop_step; did you mean `alpha`?")
    assert "changes nothing" in problem


def test_a_misspelt_input_is_suggested_by_its_spelling(write_deck: Callable[..., Path]) -> None:
    [problem] = codes(rmsprop(write_deck, "weight_decy: 0.1"))["unknown-given"]
    assert "`weight_decy` is not an input of rmsprop_step; did you mean `weight_decay`?" in problem


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ("beta: 0.9", " (β = {beta})"),  # a placeholder uses it
        ("half: lr/2", " (half the lr: {half})"),
        ("alpha: 0.99", ""),  # an input, at torch's own default
    ],
)
def test_a_given_something_uses_is_no_problem(
    write_deck: Callable[..., Path], extra: str, shown: str
) -> None:
    assert "unknown-given" not in codes(rmsprop(write_deck, extra, shown))


def test_a_given_only_a_formula_uses_is_no_problem(write_deck: Callable[..., Path]) -> None:
    path = write_deck(
        RMSPROP.format(extra="scale: 1", shown="", lr="{lr}").replace("lr*grad/", "scale*lr*grad/")
    )
    assert "unknown-given" not in codes(path)


def test_a_changed_default_the_prompt_does_not_say_is_a_warning(write_deck: Callable[..., Path]) -> None:
    """The note's beta2 = 0.9999, written as a given under a prompt that says 'the default'."""
    [problem] = codes(rmsprop(write_deck, "alpha: 0.9"))["default-override-not-in-prompt"]
    assert problem.startswith(
        "9: warning: `alpha` = 0.9 sets rmsprop_step's alpha, which torch defaults to 0.99"
    )
    assert "(write {alpha} or 0.9 in it)" in problem


@pytest.mark.parametrize(
    "shown", [" (α = {alpha})", " (alpha=0.9)", ", with `torch.optim.RMSprop(alpha=0.9)`", " (α = 0.9)"]
)
def test_a_changed_default_the_prompt_says_is_no_problem(write_deck: Callable[..., Path], shown: str) -> None:
    assert "default-override-not-in-prompt" not in codes(rmsprop(write_deck, "alpha: 0.9", shown))


def test_a_value_inside_another_number_does_not_say_it(write_deck: Callable[..., Path]) -> None:
    found = codes(rmsprop(write_deck, "alpha: 0.9", " (momentum 0.95)"))
    assert "default-override-not-in-prompt" in found


def test_a_drawn_default_must_be_a_placeholder(write_deck: Callable[..., Path]) -> None:
    found = codes(rmsprop(write_deck, "alpha: choice(0.9, 0.95)"))
    [problem] = found["default-override-not-in-prompt"]
    assert "`alpha` (drawn at random) sets rmsprop_step's alpha" in problem


BCE = """
## BCE of one prediction {#bce-one}

```quiz
kind: numeric
given:
  input: uniform(0.05, 0.95)
  target: randint(0, 1)
answer: -(target*log(input) + (1 - target)*log(1 - input))
reference: bce
precision: 5 sig
```

`nn.BCELoss()` on one prediction $\\hat y = {input}$ with target $y = {target}$. What is the loss?
"""


def test_bce_with_scalar_givens_validates_as_torch_computes_it(write_deck: Callable[..., Path]) -> None:
    """200 instances of a scalar were read as one vector of 200: a false disagreement."""
    report = validate([write_deck(BCE)], samples=200)
    assert report.problems == []


def test_bce_with_scalar_givens_shows_what_torch_computes_on_0d_tensors(
    write_deck: Callable[..., Path],
) -> None:
    deck = load_deck(write_deck(BCE)).deck
    assert deck is not None
    for seed in range(5):
        instance = draw_instance(deck.cards[0], seed)
        p, y = float(instance.values["input"]), float(instance.values["target"])
        expected = torch.nn.functional.binary_cross_entropy(
            torch.tensor(p, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        )
        assert instance.solution.answer is not None
        assert float(instance.solution.answer.value) == pytest.approx(float(expected), rel=1e-12)
        assert float(instance.solution.answer.value) == pytest.approx(-math.log(p if y else 1 - p), rel=1e-12)


def test_a_batch_of_scalars_is_one_scalar_per_instance_not_a_vector() -> None:
    bce = get_reference("bce")
    p = np.array([0.2, 0.5, 0.9])
    arrays, dims = prepare_inputs(bce, {"input": p, "target": np.ones(3)}, 3, batched=True)
    assert arrays["input"].shape == (3, 1)
    assert dims["n"][0] == 1
    loss = run_reference(bce, arrays, 3, device="cpu")["loss"]
    np.testing.assert_allclose(loss, -np.log(p), rtol=1e-12)


def test_a_scalar_for_a_vector_input_is_broadcast_over_it() -> None:
    """As torch broadcasts a 0-d tensor, and as the input's own default is broadcast."""
    out = run_reference(
        "bce_with_logits",
        {"input": [0.5, -1.0, 2.0], "target": [1.0, 0.0, 1.0], "pos_weight": 3.0},
        1,
        device="cpu",
    )
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64),
        torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64),
        pos_weight=torch.tensor(3.0, dtype=torch.float64),
    )
    assert float(out["loss"][0]) == pytest.approx(float(expected), rel=1e-12)


def test_a_batched_input_without_its_batch_axis_is_an_error_without_the_batch_in_it() -> None:
    with pytest.raises(ReferenceInputError, match=r"'x' has shape \(2,\); expected a batch of 3"):
        prepare_inputs(get_reference("relu"), {"x": np.zeros(2)}, 3, batched=True)
    with pytest.raises(
        ReferenceInputError, match=r"'target' has item shape \(2,\); expected \(n,\) with n = 3"
    ):
        prepare_inputs(
            get_reference("bce"), {"input": np.zeros((4, 3)), "target": np.zeros((4, 2))}, 4, batched=True
        )
