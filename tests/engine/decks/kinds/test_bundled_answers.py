"""Every numeric card and steps part of the bundled decks, at 20 seeds: what it asks is what it accepts.

At each instance (drawn as a learner gets it, trap-aware), the exact value written at the
precision the card states (3 significant figures when it states none; a whole number
whole) must be accepted. Its traps (its named mistakes, the card's and its reference's),
written the same way or in full, must be rejected and named wherever they differ from the
answer, and drawing must make them differ: a card whose traps can be tested together
(some instance rejects them all) must reject them all at every instance; a card whose
traps live apart (a clamp for small w, a sign for negative w) must test one at every
instance, and each at some instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
import pytest

from engine.checking.verdict import Verdict
from engine.decks.cards import Accuracy, Card, Precision, Step
from engine.decks.catalog import Catalog
from engine.decks.instance import Instance, draw_instances
from engine.decks.kinds import check_answer
from engine.decks.kinds.steps import check_step
from engine.decks.solution import answer_targets
from tests.conftest import DECKS

SEEDS: Final = range(20)
NOISE: Final = 1e-9
"""A stated precision counts significant figures; an exact value as small as this is float
noise where the value is 0, which no learner could give to that many figures."""


def numeric_cards() -> list[Card]:
    catalog = Catalog.load([DECKS])
    return [card for deck in catalog.decks for card in deck.cards if card.kind in ("numeric", "steps")]


def written(value: npt.NDArray[np.float64], accuracy: Accuracy, digits: int = 0) -> str:
    """`value` as a learner writes it at `accuracy`: rounded to the stated precision, else to 3
    significant figures, or a whole number whole (with `digits`, to that many figures)."""

    def number(x: float) -> str:
        if digits:
            return f"{x:.{digits}g}"
        if isinstance(accuracy, Precision):
            return f"{x:.{accuracy.digits}f}" if accuracy.unit == "dp" else f"{x:.{accuracy.digits}g}"
        return str(int(x)) if x.is_integer() else f"{x:.3g}"

    if value.ndim == 0:
        return number(float(value))
    return "[" + ", ".join(written(item, accuracy, digits) for item in value) + "]"


def checker(instance: Instance, step: Step | None) -> Callable[[str], Verdict]:
    if step is None:
        return lambda text: check_answer(instance, text)
    return lambda text: check_step(instance, step, text)


@pytest.mark.parametrize("card", numeric_cards(), ids=lambda card: card.full_id)
def test_the_stated_precision_is_accepted_and_every_trap_rejected(card: Card) -> None:
    failures: list[str] = []
    traps: set[str] = set()
    tested: list[set[str]] = []
    for instance in draw_instances(card, SEEDS):
        rejected: set[str] = set()
        for step, target, accuracy in answer_targets(card, instance.solution):
            where = f"seed {instance.seed}" + (f", part {step.name}" if step else "")
            check = checker(instance, step)
            if isinstance(accuracy, Precision) and accuracy.unit == "sig":
                noise = (target.value != 0) & (np.abs(target.value) < NOISE)
                if noise.any():
                    failures.append(f"{where}: {target.value} has float noise where it is 0")
            right = written(target.value, accuracy)
            if not check(right).correct:
                failures.append(f"{where}: {right} (the exact value written as asked) is rejected")
            for mistake in target.mistakes:
                trap = f"{step.name if step else 'answer'}: {mistake.name}"
                traps.add(trap)
                if not np.isfinite(mistake.value).all():
                    continue  # no mistake here (and not tested here)
                verdicts = [
                    check(text)
                    for text in (
                        written(mistake.value, accuracy),
                        written(mistake.value, accuracy, digits=17),
                    )
                ]
                if not any(verdict.correct for verdict in verdicts):
                    rejected.add(trap)
                    if any(verdict.mistake is None for verdict in verdicts):
                        failures.append(f"{where}: {trap} is rejected without being named")
        tested.append(rejected)
    together = any(rejected == traps for rejected in tested)
    for seed, rejected in zip(SEEDS, tested, strict=True):
        if together and rejected != traps:
            failures.append(f"seed {seed}: {sorted(traps - rejected)} pass as right")
        elif traps and not rejected:
            failures.append(f"seed {seed}: no trap is tested")
    untested = traps.difference(*tested)
    if untested:
        failures.append(f"never tested: {sorted(untested)}")
    assert failures == []
