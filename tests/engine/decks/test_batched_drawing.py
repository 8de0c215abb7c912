"""Drawing many seeds at once gives, bit for bit, what drawing each seed alone gives."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.decks.cards import Card, Given
from engine.decks.catalog import Catalog
from engine.decks.drawing import draw_batch, draw_streams
from engine.decks.instance import GivenError, draw_instance, draw_values, instance_rng, plan_givens
from engine.decks.loader import load_deck
from engine.decks.streams import Streams
from tests.conftest import DECKS, FIXTURES

SEEDS = range(100)


def drawn_cards() -> list[Card]:
    catalog = Catalog.load([DECKS, FIXTURES])
    return [card for deck in catalog.decks for card in deck.cards if card.given]


def one_at_a_time(
    givens: tuple[Given, ...], full_id: str, seeds: range, draw: int = 0
) -> dict[str, np.ndarray]:
    plans = plan_givens(givens)
    rows = [draw_values(plans, instance_rng(full_id, seed, draw)) for seed in seeds]
    return {name: np.stack([row[name] for row in rows]) for name in rows[0]}


def assert_same(batch: dict[str, np.ndarray], alone: dict[str, np.ndarray]) -> None:
    assert batch.keys() == alone.keys()
    for name, values in alone.items():
        assert batch[name].shape == values.shape, name
        assert np.array_equal(batch[name], values, equal_nan=True), name


def test_every_bundled_and_fixture_card_draws_the_same_batched() -> None:
    cards = drawn_cards()
    assert len(cards) > 100
    for card in cards:
        try:
            plans = plan_givens(card.given)
        except GivenError:
            continue
        assert_same(draw_batch(plans, card.full_id, SEEDS), one_at_a_time(card.given, card.full_id, SEEDS))


def test_further_streams_are_drawn_the_same_too() -> None:
    card = next(card for card in drawn_cards() if card.full_id == "optimizers/adam-steps")
    plans = plan_givens(card.given)
    assert_same(
        draw_batch(plans, card.full_id, SEEDS, draw=3), one_at_a_time(card.given, card.full_id, SEEDS, 3)
    )
    mixed = draw_streams(plans, card.full_id, [(5, 0), (5, 2), (7, 1)])
    for row, (seed, draw) in enumerate([(5, 0), (5, 2), (7, 1)]):
        alone = draw_values(plans, instance_rng(card.full_id, seed, draw))
        assert all(np.array_equal(mixed[name][row], alone[name]) for name in alone)


def test_a_drawn_instance_is_its_row_of_the_batch() -> None:
    card = next(card for card in drawn_cards() if card.full_id == "optimizers/adam-steps")
    batch = draw_batch(plan_givens(card.given), card.full_id, range(20))
    for seed in (0, 7, 19):
        instance = draw_instance(card, seed)
        if instance.draw == 0:  # trap-aware drawing may keep a further stream
            assert all(np.array_equal(batch[name][seed], value) for name, value in instance.values.items())


def test_the_seeds_of_the_streams_are_those_of_instance_rng() -> None:
    """`instance_rng` is what it always was: SHA-256 of "card NUL seed" (then "NUL draw")."""
    for seed, draw in ((0, 0), (12, 0), (12, 3)):
        key = f"deck/card\x00{seed}" if draw == 0 else f"deck/card\x00{seed}\x00{draw}"
        expected = np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))
        assert instance_rng("deck/card", seed, draw).uniform() == expected.uniform()


@pytest.mark.parametrize(
    "spec",
    [
        "uniform(-3, 3)",
        "uniform(0, 1, shape=[2, 3], decimals=4)",
        "loguniform(1e-6, 1e-1)",
        "loguniform(2e-6, 5e-5, shape=[3])",
        "randint(1, 6)",
        "randint(-5, 5, shape=[4])",
        "randint(3, 3)",
        "randint(0, 2999999999)",  # Lemire's rejection: those streams are drawn alone
        "choice(0.9, 0.99, 0.999)",
        "choice(1)",
        "normal(0, 1, shape=[2])",  # not reproduced together: every stream drawn alone
    ],
)
def test_each_sampler_draws_the_same_batched(spec: str) -> None:
    givens = (
        Given("a", "uniform(0, 1)", 1),
        Given("x", spec, 2),
        Given("b", "randint(0, 9)", 3),
        Given("y", "x*2 + b", 4),
    )
    plans = plan_givens(givens)
    assert_same(draw_batch(plans, "deck/card", range(300)), one_at_a_time(givens, "deck/card", range(300)))


def test_streams_follow_numpys_generators() -> None:
    seeds = [0, 1, 2**32 - 1, 2**32, 2**63 + 5, 2**64 - 1, *range(1000, 1200)]
    streams = Streams(seeds)
    uniform = streams.uniform(-2.0, 3.0, (2,))
    integers = streams.integers(0, 10, (3,))
    choice = streams.choice([0.5, 1.5, 2.5], ())
    wide = streams.integers(0, 3_000_000_000, ())
    for row, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        assert np.array_equal(uniform[row], rng.uniform(-2.0, 3.0, size=(2,)))
        assert np.array_equal(integers[row], rng.integers(0, 10, size=(3,)))
        assert choice[row] == rng.choice(np.array([0.5, 1.5, 2.5]))
        if not streams.redraw[row]:
            assert wide[row] == rng.integers(0, 3_000_000_000)
    assert streams.redraw.any()  # that wide a range is often rejected once


def test_a_derived_given_that_fails_names_the_first_seed_it_fails_at() -> None:
    givens = (Given("i", "randint(0, 3)", 1), Given("x", "[1, 2, 3]", 2), Given("y", "x[i]", 3))
    plans = plan_givens(givens)
    first = None
    for seed in range(50):
        try:
            draw_values(plans, instance_rng("deck/card", seed))
        except GivenError:
            first = seed
            break
    assert first is not None
    with pytest.raises(GivenError) as raised:
        draw_batch(plans, "deck/card", range(50))
    assert raised.value.seed == first
    assert raised.value.line == 3


def test_validate_reports_the_failing_seed(write_deck: Callable[..., Path]) -> None:
    from engine.authoring.validation import validate

    deck = write_deck(
        "---\ntitle: T\nid: t\n---\n\n## Card {#card}\n\n```quiz\nkind: numeric\ngiven:\n"
        '  i: randint(0, 3)\n  x: "[1, 2, 3]"\n  y: x[i]\nanswer: y\n```\n\nWhat is {y}?\n'
    )
    loaded = load_deck(deck).deck
    assert loaded is not None
    plans = plan_givens(loaded.cards[0].given)
    with pytest.raises(GivenError) as raised:
        draw_batch(plans, "t/card", range(200))
    report = validate([deck], samples=200)
    assert any(f"(seed {raised.value.seed})" in p.message for p in report.problems)
