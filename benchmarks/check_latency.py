"""Latency of `check` over the bundled symbolic and numeric cards, warm, and on hostile input.

Prints p50 and p99 (aim: p99 under 50 ms) and the worst case over hostile inputs (aim:
under 1 s), all measured in this one run. Usage: python benchmarks/check_latency.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from engine.catalog import Catalog
from engine.checking import check_answer, expected_answer_text
from engine.instance import draw_instance

DECKS = Path(__file__).resolve().parent.parent / "decks"
HOSTILE = [
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "9**9**9**9",
    "9^9^9^9",
    "x^(10^6)",
    "(" * 5000 + "x" + ")" * 5000,
    "x" * 1_000_000,
    r"\input{/etc/passwd}",
    "+".join(["x"] * 5000),
    "-" * 1500 + "x",
    r"\frac{1}{" * 300 + "x" + "}" * 300,
    "exp(exp(exp(exp(x))))",
    "(x+1)^1000 - (x+1)^1000",
    "sin(1/x)^999",
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    catalog = Catalog.load([DECKS])
    cards = [c for d in catalog.decks for c in d.cards if c.kind in ("symbolic", "numeric")]
    cases = []
    for card in cards:
        for seed in range(10):
            instance = draw_instance(card, seed)
            answers = ["0.5", "x^2 + 1"]
            expected = expected_answer_text(instance)
            if card.kind == "numeric" or card.answer is None:
                answers.append(expected)
            else:
                answers.append(card.answer.text)
            answers.extend(m.answer.text for m in card.mistakes)
            cases.extend((card, seed, a) for a in answers)
    for card, seed, answer in cases[:20]:  # warm up: imports (sympy, torch), caches
        check_answer(draw_instance(card, seed), answer)
    timings = []
    for card, seed, answer in cases:
        start = time.perf_counter()
        # A fresh instance each time, so that computing the expected answer (torch) is counted.
        check_answer(draw_instance(card, seed), answer)
        timings.append((time.perf_counter() - start) * 1000)
    print(f"check latency over {len(cases)} checks on {len(cards)} symbolic and numeric cards (warm):")
    print(
        f"  p50 {statistics.median(timings):.2f} ms   p99 {percentile(timings, 0.99):.2f} ms   max {max(timings):.2f} ms"
    )

    symbolic = draw_instance(next(c for c in cards if c.kind == "symbolic"), 0)
    numeric = draw_instance(next(c for c in cards if c.kind == "numeric"), 0)
    worst = (0.0, "")
    for text in HOSTILE:
        for instance in (symbolic, numeric):
            start = time.perf_counter()
            verdict = check_answer(instance, text)
            elapsed = (time.perf_counter() - start) * 1000
            assert not verdict.correct
            worst = max(worst, (elapsed, text[:40]))
    print(f"worst hostile input: {worst[0]:.1f} ms ({worst[1]!r}...) over {len(HOSTILE) * 2} checks")


if __name__ == "__main__":
    main()
