"""Properties of checking that must hold for every input, tried on generated answers.

Answers are generated from the expression language itself (its numbers, names,
operators, functions, brackets, lists, indices and comparisons, with the constant
folding that once hid exponent bombs from the parser) and as raw text. For every one, on
symbolic, numeric, vector, choice and steps cards of the bundled decks:

- no exception escapes `check_answer`, `check_step` or `read_as`;
- every check ends within its time bound (generous for a busy two-core machine);
- the preview and the check agree on whether the answer can be read, and an unreadable
  verdict says why.

The example counts are small and fixed, so that the suite stays fast; hypothesis draws
new examples on every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checking.verdict import Verdict
from engine.decks.catalog import Catalog
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import check_answer, read_as
from engine.decks.kinds.steps import check_step
from engine.expr.names import FUNCTION_ALIASES, FUNCTIONS
from tests.conftest import DECKS

CHECK_LIMIT_S: Final = 2.0
PROPERTY_SETTINGS: Final = settings(
    max_examples=60,
    deadline=None,  # the per-check bound below is the deadline that matters
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CARDS: Final = {
    "symbolic": "starter/sigmoid-derivative",  # with declared mistakes
    "symbolic-domains": "starter/huber-gradient",  # a: real, delta: positive
    "numeric": "starter/gelu-at-point",
    "vector": "starter/softmax-vector",
    "choice": "starter/hessian-classify",
    "steps": "starter/adam-one-step",
    "steps-with-choice": "activations/swish-1702-not-gelu",
}


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    """An instance of each card, solved, with the sympy worker started: the timed checks
    below measure the check, not the one-off start-up costs."""
    from engine.checking.equivalence import SYMPY

    SYMPY.warm(wait=True)
    catalog = Catalog.load([DECKS])
    by_id = {card.full_id: card for deck in catalog.decks for card in deck.cards}
    drawn = {kind: draw_instance(by_id[full_id], 3) for kind, full_id in CARDS.items()}
    for instance in drawn.values():
        check_answer(instance, "0")
    return drawn


# -- answers in the expression language ------------------------------------------------------

NUMBERS: Final = st.one_of(
    st.sampled_from(["0", "1", "2", "0.5", ".5", "3.", "1e9", "1e300", "1e-300", "0.89", "1000"]),
    st.sampled_from(["123456789012345678901234567890", "9" * 40, "1e-5", "2.5e+06", "7"]),
    st.integers(0, 10**6).map(str),
)
CALLABLE: Final = sorted(FUNCTIONS) + sorted(FUNCTION_ALIASES) + ["\\sqrt", "\\exp", "\\log", "\\tanh"]
BINARY: Final = ["+", "-", "*", "/", "^", "**", " ", "@", "·", "−"]
COMPARISONS: Final = ["<", ">", "<=", ">=", "==", "≤"]


def expressions(names: list[str]) -> st.SearchStrategy[str]:
    """Answers built from the language's pieces, up to a few dozen symbols."""
    leaves = st.one_of(NUMBERS, st.sampled_from([*names, "pi", "e", "π"]))

    def bigger(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a, op, b: f"{a}{op}{b}", inner, st.sampled_from(BINARY), inner),
            st.builds(lambda a: f"-{a}", inner),
            st.builds(lambda a: f"({a})", inner),
            st.builds(lambda a: f"|{a}|", inner),
            st.builds(lambda a, sup: f"({a}){sup}", inner, st.sampled_from(["²", "³", "⁻¹", "⁹⁹"])),
            st.builds(
                lambda f, args: f"{f}({', '.join(args)})",
                st.sampled_from(CALLABLE),
                st.lists(inner, min_size=1, max_size=3),
            ),
            st.builds(lambda items: "[" + ", ".join(items) + "]", st.lists(inner, min_size=1, max_size=4)),
            st.builds(
                lambda f, a, i: f"{f}({a})[{i}]", st.sampled_from(["softmax", "sigmoid"]), inner, inner
            ),
            st.builds(
                lambda a, op, b, t, o: f"where({a} {op} {b}, {t}, {o})",
                inner,
                st.sampled_from(COMPARISONS),
                inner,
                inner,
                inner,
            ),
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(COMPARISONS), inner),
            st.builds(lambda a, b: f"\\frac{{{a}}}{{{b}}}", inner, inner),
            # Constant folding: the parser sees names, sympy sees a constant.
            st.builds(lambda a, n: f"({a} + {n} - {n})", inner, st.sampled_from([*names, "1"])),
        )

    return st.recursive(leaves, bigger, max_leaves=20)


FOLDED_BOMBS: Final = st.builds(
    lambda base, big, name, shape: shape.format(b=base, k=big, n=name),
    st.sampled_from(["2", "3", "0.5", "10", "123456789012345678901234567890", "e", "(2x)"]),
    st.sampled_from(["1e9", "1e300", "1e6", "1000.5", "123456.789", "99999"]),
    st.sampled_from(["x", "a", "delta"]),
    st.sampled_from(
        [
            "{b}^({k}+{n}-{n})",
            "({b}+{n}-{n})^({k}+{n}-{n})",
            "floor(exp(exp({b}+{n}-{n})))",
            "exp(({k}+{n}-{n})*log({b}))",
            "cosh(({b}+{n}-{n})^0.89)",
            "{b}^({k}*{n})*{b}^(1-{k}*{n})",
            "({b}^({k}*{n}))^(1/{n})",
            "max({n}, exp(exp(exp({b}+{n}-{n}))))",
            "sqrt({b}+{k}+{n}-{n})",
        ]
    ),
)

RAW_TEXT: Final = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789.eE+-*/^()[]{}|,<>=! xyapi\\_²σΦ√·−", max_size=60),
)


def timed(action: Callable[[], Any], what: str) -> Any:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    assert elapsed < CHECK_LIMIT_S, f"{elapsed:.2f} s to {what}"
    return result


def assert_checked(instance: Instance, answer: str) -> Verdict:
    """The properties above, for one answer to one card."""
    verdict: Verdict = timed(lambda: check_answer(instance, answer), f"check {answer!r}")
    assert isinstance(verdict, Verdict)
    if not verdict.readable:
        assert verdict.interpreted is None, verdict
        assert verdict.error, verdict
    card = instance.card
    if card.kind == "steps":
        for step in card.steps:
            part = timed(lambda step=step: check_step(instance, step, answer), f"check part {answer!r}")
            assert part.part == step.name
            readable, _ = timed(lambda step=step: read_as(instance, answer, step), f"preview {answer!r}")
            assert readable == part.readable, (answer, part)
    else:
        readable, message = timed(lambda: read_as(instance, answer), f"preview {answer!r}")
        assert readable == verdict.readable, (answer, verdict, message)
        assert message
    return verdict


@PROPERTY_SETTINGS
@given(answer=st.one_of(expressions(["x", "a", "delta"]), FOLDED_BOMBS))
def test_symbolic_answers_in_the_language(instances: dict[str, Instance], answer: str) -> None:
    assert_checked(instances["symbolic"], answer)
    assert_checked(instances["symbolic-domains"], answer)


@PROPERTY_SETTINGS
@given(answer=expressions([]))
def test_numeric_answers_in_the_language(instances: dict[str, Instance], answer: str) -> None:
    for kind in ("numeric", "vector", "choice"):
        assert_checked(instances[kind], answer)


@PROPERTY_SETTINGS
@given(answers=st.lists(st.one_of(expressions([]), RAW_TEXT), min_size=1, max_size=6))
def test_steps_answers(instances: dict[str, Instance], answers: list[str]) -> None:
    for kind in ("steps", "steps-with-choice"):
        assert_checked(instances[kind], "; ".join(answers))
        assert_checked(instances[kind], answers[0])


@PROPERTY_SETTINGS
@given(answer=RAW_TEXT)
def test_raw_text(instances: dict[str, Instance], answer: str) -> None:
    for instance in instances.values():
        assert_checked(instance, answer)
