"""Latency of `check` over the bundled symbolic and numeric cards, warm, and on hostile input.

Prints p50 and p99 (aim: p99 under 50 ms), then the cost of diagnosing a wrong symbolic
answer on its own (`engine.checking.diagnosis`, which runs after a wrong verdict; aim: p99
under 50 ms, its deadline), then the worst case of each family of hostile
input (aim: every one under 1 s, with a verdict and never an exception), all measured in
this one run. The families are those a fuzzing probe found: exponents that cancel to a
huge constant (`2^(1e300 + x − x)`), roots of huge integers, nested exponentials,
booleans in arithmetic, NaN and infinity where a number is needed, impossible shapes and
over-long numbers, besides code injection and size bombs. Each hostile input is checked
on a symbolic, a numeric, a choice and a steps card, and previewed (`read_as`) there too.
Usage: python benchmarks/check_latency.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from engine.checking.diagnosis import diagnose
from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import check_answer, expected_answer_text, read_as
from engine.errors import EngineError
from engine.expr.parser import parse_with_variables

DECKS = Path(__file__).resolve().parent.parent / "decks"
HOSTILE: dict[str, list[str]] = {
    "injection and size bombs": [
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
    ],
    "cancelling exponents": [
        "2^(1e300+x-x)",
        "2^(1e9+x-x)",
        "3^(1e6+x-x)",
        "(2x)^(1e9+x-x)",
        "(x-x+2)^(1e9+x-x)",
        "exp(1e9*log(2)+x-x)",
        "sinh((1e9+x-x)*log(2))",
        "2^(3x)*2^(1e9-3x)",
        "(2^(1000x))^(1e6/x)",
    ],
    "roots of huge integers": [
        "cosh(123456789012345678901234567890**0.89)",
        "(123456789012345678901234567890+x-x)^(1/3)",
        "sqrt(99999999999999999999999999999999999999+x-x)",
    ],
    "nested exponentials": [
        "floor(exp(exp(10+x-x)))",
        "floor(exp(exp(10)))",
        "max(exp(exp(exp(10+x-x))), x)",
        "where(exp(exp(exp(x-x+10))) > x, 1, 0)",
    ],
    "booleans in arithmetic": ["1*(x>0)", "|x<1|", "log(x<1)", "(1<2)-(2<3)", "-(1<2)", "where(3, 3, 1)"],
    "NaN and infinity": [
        "relu(0/0)",
        "max(x, 1/0)",
        "sum([1,2], 0/0)",
        "softmax([1,2])[1/0]",
        "where(0/0 > x, 1, 2)",
    ],
    "shapes and depth": [
        "sum([1,2],[0,1])",
        "[" * 34 + "1" + "]" * 34,
        " * ".join("[" * depth + ",".join(["1"] * 50) + "]" * depth for depth in range(1, 6)),
    ],
    "long numbers and superscripts": ["1" * 5000, "²", "x²²", "1e999999"],
}


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
    symbolic = [case for case in cases if case[0].kind == "symbolic"]
    numeric = [case for case in cases if case[0].kind == "numeric"]
    for card, seed, answer in symbolic[:10] + numeric[:10]:  # warm up: torch, the sympy worker, caches
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

    costs = _diagnosis_costs([card for card in cards if card.kind == "symbolic"])
    print(f"diagnosis of a wrong symbolic answer over {len(costs)} searches (after the verdict, warm):")
    print(
        f"  p50 {statistics.median(costs):.2f} ms   p99 {percentile(costs, 0.99):.2f} ms   max {max(costs):.2f} ms"
    )

    every_kind = [c for d in catalog.decks for c in d.cards]
    instances = [draw_instance(next(c for c in every_kind if c.kind == kind), 0) for kind in KINDS]
    for instance in instances:  # solved now: torch is not what is measured below
        check_answer(instance, "0")
    print("hostile input, worst case of each family (check and preview, on each card kind):")
    overall = (0.0, "", "")
    count = 0
    for family, texts in HOSTILE.items():
        worst = (0.0, "", "")
        for text in texts:
            for instance in instances:
                elapsed = _time_hostile(instance, text)
                count += 2
                worst = max(worst, (elapsed, text[:40], instance.card.kind))
        overall = max(overall, worst)
        print(f"  {family:<32} {worst[0]:8.1f} ms  ({worst[1]!r} on a {worst[2]} card)")
    print(
        f"worst hostile input: {overall[0]:.1f} ms ({overall[1]!r}... on a {overall[2]} card) over {count} calls"
    )


KINDS = ("symbolic", "numeric", "choice", "steps")
DIAGNOSED = ("0.5", "x^2 + 1", "2*({})", "-({})", "({})^2")
"""Wrong answers to diagnose on each symbolic card ({} is its answer): unrelated ones, which search
every edit (the slowest case), and edits that are found early or late."""


def _diagnosis_costs(cards: list[Card]) -> list[float]:
    """Milliseconds of each `diagnose` call (the search that follows a wrong verdict) on wrong
    answers to `cards`, at 10 seeds each."""
    costs = []
    for card in cards:
        assert card.answer is not None
        expected = parse_with_variables(card.answer.text, card.variables)
        for text in DIAGNOSED:
            try:
                answer = parse_with_variables(text.format(card.answer.text), card.variables)
            except EngineError:  # x is not a variable of this card
                continue
            for seed in range(10):
                start = time.perf_counter()
                diagnose(answer, expected, card.variables, seed=seed)
                costs.append((time.perf_counter() - start) * 1000)
    return costs


def _time_hostile(instance: Instance, text: str) -> float:
    """Milliseconds to check and to preview `text`, the slower of the two; the check must
    give a verdict (an exception fails the benchmark) and must not accept the answer."""
    start = time.perf_counter()
    verdict = check_answer(instance, text)
    checked = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    read_as(instance, text)
    previewed = (time.perf_counter() - start) * 1000
    if instance.card.kind in ("symbolic", "numeric"):
        assert not verdict.correct, (text, verdict)
    return max(checked, previewed)


if __name__ == "__main__":
    main()
