"""Throughput of `validate` on the bundled decks: cost per instance, against checking one at a time.

`validate` draws many instances of every card and compares each formula with torch over
all of them at once. This prints, measured in this one run:

- the time of `validate decks` at 100 and at 1,000 samples, and their ratio (the aim:
  10× the samples for at most 1.5× the time);
- the cost of one validated instance, against the cost of checking one instance at a time
  the way a learner's answer is checked (`draw_instance` + `check_answer` with the expected
  answer, over the same cards), and the ratio between the two (the aim: ≥ 100×);
- the same on CUDA when it is present (`--device cuda`).

Each `validate` is timed `--repeat` times and the fastest kept: on a shared machine the
others' load only ever adds time. What grows with the samples is drawing (every seed at
once), the formulas (each evaluated once over the batch) and torch (once per distinct set
of hyperparameters); the search for disagreement costs the same at any sample count.

Usage: python benchmarks/validate_throughput.py [--samples N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.authoring.validation import validate
from engine.decks.catalog import Catalog
from engine.decks.instance import draw_instance
from engine.decks.kinds import check_answer, expected_answer_text, kind_of

DECKS = Path(__file__).resolve().parent.parent / "decks"
ONE_AT_A_TIME_SEEDS = 5


def drawn_cards() -> int:
    """The bundled cards whose instances are drawn (they have givens)."""
    return sum(1 for deck in Catalog.load([DECKS]).decks for card in deck.cards if card.given)


def timed_validate(samples: int, device: str, repeat: int = 1) -> tuple[float, int]:
    """Seconds for `validate` of the bundled decks (the fastest of `repeat`), and how many
    instances it drew."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        report = validate([DECKS], samples=samples, device=device)
        best = min(best, time.perf_counter() - start)
    if report.errors:
        print(f"  (validate found {report.errors} errors)")
    return best, drawn_cards() * samples


def one_at_a_time() -> float:
    """Seconds per instance drawn, solved and checked one at a time (the learner's path)."""
    cards = [c for deck in Catalog.load([DECKS]).decks for c in deck.cards if c.given and kind_of(c).checked]
    count, start = 0, time.perf_counter()
    for card in cards:
        for seed in range(ONE_AT_A_TIME_SEEDS):
            instance = draw_instance(card, seed)
            if not card.steps:
                check_answer(instance, expected_answer_text(instance))
            else:
                expected_answer_text(instance)
            count += 1
    return (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, default=2, help="time each validate this often, keep the fastest"
    )
    args = parser.parse_args()
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    validate([DECKS], samples=10, device="cpu")  # imports and first calls, not measured
    single = one_at_a_time()
    print(f"one instance at a time (draw, solve, check): {single * 1e3:.2f} ms")
    for device in devices:
        small_s, _ = timed_validate(args.samples // 10, device, args.repeat)
        large_s, instances = timed_validate(args.samples, device, args.repeat)
        per_instance = large_s / instances
        print(f"validate decks on {device}:")
        print(
            f"  {args.samples // 10} samples {small_s:.2f} s, {args.samples} samples {large_s:.2f} s:"
            f" 10x the samples for {large_s / small_s:.2f}x the time"
        )
        print(f"  {per_instance * 1e6:.1f} µs per instance: {single / per_instance:.0f}x one at a time")


if __name__ == "__main__":
    main()
