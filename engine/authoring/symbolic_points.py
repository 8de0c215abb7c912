"""Where a symbolic card's answer meets torch: random points, with torch's settings kept few.

A symbolic card is compared with its torch reference at random points of its variables'
domains. Some of those variables are what torch takes as Python numbers (an optimizer's
lr and betas, a scheduler's T_max): instances that differ there cannot share a torch call,
so 1,000 points of a card whose lr is a variable would be 1,000 optimizers. Those
variables take `SETTINGS` settings among the points instead (each point still has its own
values of the others), so that 10× the points is not 10× the torch calls. Which inputs a
reference groups its instances by is not declared: it is seen, by running the reference on
two points (`engine.references.registry.recording_groupings`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Card
from engine.decks.solution import run_card_reference
from engine.expr.ast import free_names
from engine.expr.names import canonical_name
from engine.expr.parser import ParseOptions, parse
from engine.references.registry import recording_groupings

Array = npt.NDArray[np.float64]
SETTINGS: Final = 32
"""The settings that a symbolic card's torch-grouped variables take among its points."""


def symbolic_points(card: Card, samples: int, rng: np.random.Generator, device: str) -> dict[str, Array]:
    """`samples` points: each variable drawn from its domain, those that the card's reference
    groups its instances by (or that its mapped inputs use) taking `SETTINGS` settings."""
    points = {name: domain.sample(rng, samples) for name, domain in card.variables.items()}
    if card.reference is None or samples <= SETTINGS:
        return points
    probe = {name: values[:2] for name, values in points.items()}
    try:
        with recording_groupings() as groupings:
            run_card_reference(card, probe, batched=True, device=device)
    except Exception:
        return points  # the full run reports it
    mapped = dict(card.reference.inputs)
    grouped: set[str] = set()
    for name in {name for names in groupings for name in names}:
        if name in mapped:
            node = parse(mapped[name].text, ParseOptions(variables=frozenset(points)))
            grouped |= free_names(node) & points.keys()
        elif canonical_name(name) in points:
            grouped.add(canonical_name(name))
    which = np.arange(samples) % SETTINGS
    for name in grouped:
        points[name] = points[name][:SETTINGS][which]
    return points
