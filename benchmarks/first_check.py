"""The first check of a session, with and without `engine.study.warmup.warm_up()`, against later ones.

Every measurement runs in a fresh interpreter, as a launch of the app does: it loads the
bundled decks (the app has them by then), then either
  1. checks an answer at once: no warm-up, so that check pays for importing sympy and
     torch, torch.optim's first step importing torch._dynamo, and the like; or
  2. calls `warm_up()` (timed too), then checks an answer: the first check after it;
and in both cases then
  3. checks fresh instances of the card again: a later check (the median of them).
A check is what a study session does: import engine.checking (free once imported), draw
a fresh instance, and `check_answer` it, which solves the card (its torch reference).
Runs alternate between the modes and the medians are compared. Aim: the first check
after warm_up() within 2× a later one.

Usage: python benchmarks/first_check.py [RUNS] [CARD ...]
(default: 5 runs of starter/adam-one-step; try also starter/gelu-at-point,
starter/sigmoid-derivative, starter/hessian-classify, schedules/step-lr-value)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECKS = ROOT / "decks"
DEFAULT_CARDS = ["starter/adam-one-step"]
LATER_CHECKS = 7


def answer_for(card: object) -> str:
    """An answer of the right form for `card`, written without solving it (that is timed)."""
    from engine.decks.cards import Card

    assert isinstance(card, Card)
    if card.kind == "symbolic":
        assert card.answer is not None
        return card.answer.text
    if card.kind == "choice":
        return card.options[0]
    if card.kind == "steps":
        return "; ".join(step.options[0] if step.is_choice else "0.5" for step in card.steps)
    return "0.5"


def child(mode: str, reference: str) -> None:
    """Measure in this (fresh) interpreter and print the figures as one JSON line."""
    from engine.decks.catalog import Catalog
    from engine.decks.instance import draw_instance

    card = Catalog.load([DECKS]).find_card(reference)
    answer = answer_for(card)

    def check(seed: int) -> float:
        start = time.perf_counter()
        from engine.decks.kinds import check_answer

        check_answer(draw_instance(card, seed), answer)
        return time.perf_counter() - start

    warm = None
    if mode == "warm":
        from engine.study.warmup import warm_up

        start = time.perf_counter()
        warm_up()
        warm = time.perf_counter() - start
    first = check(0)
    later = statistics.median(check(seed) for seed in range(1, LATER_CHECKS + 1))
    print(json.dumps({"warm_up": warm, "first": first, "later": later}), flush=True)


def measure(mode: str, reference: str) -> dict[str, float | None]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, reference],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the {mode} run on {reference} failed:\n{result.stderr}")
    figures: dict[str, float | None] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    args = sys.argv[1:]
    runs = int(args.pop(0)) if args and args[0].isdigit() else 5
    cards = args or DEFAULT_CARDS
    samples: dict[tuple[str, str], list[dict[str, float | None]]] = {}
    for _ in range(runs):
        for reference in cards:
            for mode in ("cold", "warm"):
                samples.setdefault((reference, mode), []).append(measure(mode, reference))

    def median(reference: str, mode: str, key: str) -> float:
        values = [s[key] for s in samples[(reference, mode)]]
        return statistics.median(v for v in values if v is not None)

    print(f"median of {runs} runs (each in a fresh interpreter, bundled decks loaded):")
    for reference in cards:
        cold_first = median(reference, "cold", "first")
        warm_up = median(reference, "warm", "warm_up")
        warm_first = median(reference, "warm", "first")
        later = statistics.median([median(reference, "cold", "later"), median(reference, "warm", "later")])
        print(f"  {reference}")
        print(f"    1. first check, no warm-up       {ms(cold_first)}   {cold_first / later:7.1f}× later")
        print(f"       warm_up() itself              {ms(warm_up)}")
        print(
            f"    2. first check after warm_up()   {ms(warm_first)}   {warm_first / later:7.1f}× later  (aim: ≤ 2×)"
        )
        print(f"    3. later check (median)          {ms(later)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
