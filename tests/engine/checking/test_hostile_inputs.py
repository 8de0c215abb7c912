"""Hostile input: code injection, exponent bombs, deep nesting, huge or garbled text.

Every case must be refused with an `ExpressionError` whose message says why (or be read
harmlessly), quickly, and without anything being executed; and every answer, however
hostile, gets a verdict from `check_answer` (never a traceback) within the check's time
bound. The time bounds are generous limits on hostile input, not performance targets.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.checking.equivalence import equivalent
from engine.checking.verdict import Verdict
from engine.decks.catalog import Catalog
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import check_answer, read_as
from engine.decks.kinds.steps import check_step
from engine.errors import ExpressionError
from engine.expr.ast import Node
from engine.expr.domains import parse_domain
from engine.expr.parser import ParseOptions, parse, parse_with_variables
from tests.conftest import DECKS

PARSE_LIMIT_S = 1.0
CHECK_LIMIT_S = 2.0


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def refused(text: str, options: ParseOptions | None = None) -> ExpressionError:
    """The error `text` raises; fails if it parses or takes too long."""
    caught: list[ExpressionError] = []

    def attempt() -> None:
        try:
            parse(text, options or ParseOptions(variables=frozenset({"x", "y"})))
        except ExpressionError as error:
            caught.append(error)

    _, elapsed = timed(attempt)
    assert elapsed < PARSE_LIMIT_S, f"{elapsed:.2f} s for {text[:40]!r}"
    assert caught, f"{text[:60]!r} was accepted"
    assert caught[0].message.strip()
    return caught[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("().__class__.__bases__", "unexpected character '.'"),
        ("lambda: 1", "unexpected character ':'"),
        ("exec('1')", 'unexpected character "\'"'),
        ("eval('1')", 'unexpected character "\'"'),
        ("open('/etc/passwd').read()", 'unexpected character "\'"'),
        ("x.__dict__", "unexpected character '.'"),
        ("getattr(x, 'y')", 'unexpected character "\'"'),
        ("\\input{/etc/passwd}", "unknown LaTeX command \\input"),
        ("\\include{secrets}", "unknown LaTeX command \\include"),
        ("\\def\\x{1}", "unknown LaTeX command \\def"),
        ("\\catcode`\\^=11", "unknown LaTeX command \\catcode"),
        ("\\write18{rm -rf /}", "unknown LaTeX command \\write"),
        ("\\", "a lone backslash"),
    ],
)
def test_code_and_tex_commands_are_refused(text: str, reason: str) -> None:
    assert reason in refused(text).message


def test_injection_executes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {marker}')",
        f"x + __import__('os').system('touch {marker}')",
        f"\\operatorname{{__import__}}('os').system('touch {marker}')",
    ]
    evaluated: list[object] = []
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy_eval(source: Any, *args: Any, **kwargs: Any) -> Any:
        evaluated.append(source)
        return real_eval(source, *args, **kwargs)

    def spy_exec(source: Any, *args: Any, **kwargs: Any) -> Any:
        evaluated.append(source)
        return real_exec(source, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", spy_eval)
    monkeypatch.setattr(builtins, "exec", spy_exec)
    for payload in payloads:
        refused(payload)
        with pytest.raises(ExpressionError):
            parse(payload)  # a deck formula, where any name is allowed
    assert not marker.exists()
    assert not [source for source in evaluated if "pwned" in str(source)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9**9**9**9", "too large"),
        ("9^9^9^9", "too large"),
        ("x^(10^6)", "exponent 1e+06 is too large"),
        ("10^10^10", "exponent 1e+10 is too large"),
        ("2^2^2^2^2^2", "too large"),
        ("x^1001", "exponent 1001 is too large (the limit is ±1000)"),
        ("(10^300)^2", "number too large"),
        ("1e300^2", "number too large"),
        ("1e999999", "out of range"),
        ("1e-999999", "out of range"),
        ("9" * 60, "too long"),
        ("2⁹⁹⁹⁹", "too large"),
        ("x" + "⁹" * 500, "too large"),
    ],
)
def test_number_and_exponent_bombs(text: str, reason: str) -> None:
    assert reason in refused(text).message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(" * 5000 + "x" + ")" * 5000, "input is too long"),
        ("\\frac{1}{" * 5000 + "x" + "}" * 5000, "input is too long"),
        ("x+" * 500_000 + "x", "input is too long (1,000,001 characters"),
        ("+".join(["x"] * 10_000), "input is too long"),
        ("-" * 10_000 + "x", "input is too long"),
        # The same shapes, short enough to pass the length check, hit the other bounds.
        ("(" * 300 + "x" + ")" * 300, "nested too deeply"),
        ("\\frac{1}{" * 150 + "x" + "}" * 150, "nested too deeply"),
        ("sqrt(" * 100 + "x" + ")" * 100, "nested too deeply"),
        ("[" * 100 + "x" + "]" * 100, "nested too deeply"),
        ("|" * 200 + "x" + "|" * 200, "nested too deeply"),
        ("|" * 400 + "x" + "|" * 400, "too long (more than 600 symbols)"),
        ("x^" * 200 + "2", "nested too deeply"),
        ("-" * 500 + "x", "nested too deeply"),
        ("+".join(["x"] * 900), "too long (more than 600 symbols)"),
        # Declared x: xxx...x is x·x·x·...; its pieces count as symbols and as levels.
        ("x" * 1999, "too long (more than 600 symbols)"),
        ("x" * 598, "nested too deeply (more than 300 levels)"),
        ("x " * 599, "nested too deeply (more than 300 levels)"),
    ],
)
def test_size_and_nesting_bounds(text: str, reason: str) -> None:
    assert reason in refused(text).message


@pytest.mark.parametrize(
    "text",
    [
        "x\x00+1",
        "\x00",
        "\u202ex+1",  # right-to-left override
        "x\u200f+1",  # right-to-left mark
        "x\u200b+1",  # zero-width space
        "x\ufeff",  # byte-order mark
        "\u2603 \ufffd \U0001f600",
        "ｘ+1",  # fullwidth x
        "x\ud800",  # a lone surrogate
        "x + \u0007",
        "\x1b[31mx",
    ],
)
def test_garbled_unicode_and_control_characters(text: str) -> None:
    error = refused(text)
    assert "unexpected character" in error.message
    assert "column" in error.message
    assert error.position is not None


def test_harmless_long_inputs_are_read_quickly() -> None:
    cases = [
        "-" * 100 + "x",
        "(" * 39 + "x" + ")" * 39,
        "\\frac{1}{" * 19 + "x" + "}" * 19,
        "+".join(["x"] * 250),
        "x\u00a0+\u20031",  # no-break and em spaces are spaces
    ]
    for text in cases:
        node, elapsed = timed(lambda text=text: parse_with_variables(text, ["x"]))
        assert elapsed < PARSE_LIMIT_S
        assert node is not None


@pytest.mark.parametrize(
    "text",
    [
        "x+" * 299 + "x",
        "x*" * 299 + "x",
        "x-" * 299 + "x",
        "x" * 300,
        "-" * 150 + "x",
        "|" * 150 + "x" + "|" * 150,
    ],
)
def test_the_largest_accepted_trees_can_be_printed_evaluated_and_compared(text: str) -> None:
    """Whatever the bounds let through must not overflow the recursive readers of the tree."""
    from engine.expr.numeric import evaluate
    from engine.expr.printer import to_unicode

    def everything() -> None:
        node = parse_with_variables(text, ["x"])
        assert to_unicode(node)
        assert evaluate(node, {"x": 0.5}).rank == 0
        assert equivalent(node, node).equal

    _, elapsed = timed(everything)
    assert elapsed < CHECK_LIMIT_S


def test_refusals_are_quick_even_for_a_megabyte_of_anything() -> None:
    for text in ["(" * 1_000_000, "\\frac" * 200_000, "é" * 1_000_000, "1" * 1_000_000]:
        assert "too long" in refused(text).message


# -- the full checking path -------------------------------------------------------------------


def _node(text: str) -> Node:
    return parse_with_variables(text, ["x", "y"])


@pytest.mark.parametrize(
    ("answer", "expected", "equal"),
    [
        ("exp(exp(exp(x)))", "exp(exp(exp(x)))", True),
        ("exp(exp(exp(x)))", "exp(exp(exp(x))) + 1", False),
        ("x^1000", "x^999 * x", True),
        ("x^1000", "x^1000 + x", False),
        ("(x+1)^1000 - (x+1)^1000", "0", True),
        ("(x+1)^1000", "(x+1)^999 + 1", False),
        ("sin(1/x)", "sin(1/x)", True),
        ("sin(1/x)", "cos(1/x)", False),
        ("x^(1/1000)", "x", False),
        ("tan(x)^1000", "tan(x)^1000", True),
        ("(x+y)^1000", "(y+x)^999 (x+y)", True),
        ("log(log(log(x)))", "log(log(log(x))) + 1", False),
        ("sqrt(-1 - x^2)", "sqrt(-2 - x^2)", False),  # undefined everywhere: no claim of equality
        ("max(x,y,x,y,x,y,x,y)", "max(x, y)", True),
        ("where(x > 0, exp(exp(exp(x))), -1)", "1", False),
    ],
)
def test_adversarial_but_valid_checks_return_in_time(answer: str, expected: str, equal: bool) -> None:
    outcome, elapsed = timed(lambda: equivalent(_node(answer), _node(expected), time_budget=1.0))
    assert elapsed < CHECK_LIMIT_S
    assert outcome.equal is equal


def test_domains_refuse_hostile_ends() -> None:
    from engine.expr.domains import DomainError

    for spec in ["(0, __import__('os'))", "(0, 9^9^9^9)", "(0, x)", "[0, 1e999999]"]:
        with pytest.raises(DomainError, match="cannot read interval end"):
            parse_domain(spec)


# -- a verdict for every answer, on time (regressions from a fuzzing probe) -------------------


@pytest.fixture(scope="module", autouse=True)
def sympy_worker_started() -> None:
    """Start the sympy worker once, so that no timed check below pays for its start-up."""
    from engine.checking.equivalence import SYMPY

    SYMPY.warm(wait=True)


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    """One instance of a symbolic, numeric, choice and steps card of the bundled decks."""
    catalog = Catalog.load([DECKS])
    cards = {
        "symbolic": "starter/sigmoid-derivative",
        "numeric": "starter/gelu-at-point",
        "vector": "starter/softmax-vector",
        "choice": "starter/hessian-classify",
        "steps": "activations/swish-1702-not-gelu",
    }
    by_id = {card.full_id: card for deck in catalog.decks for card in deck.cards}
    drawn = {kind: draw_instance(by_id[full_id], 0) for kind, full_id in cards.items()}
    for instance in drawn.values():  # solved now, so that the timed checks do not import torch
        check_answer(instance, "0")
    return drawn


def checked(instance: Instance, answer: str) -> Verdict:
    """The verdict on `answer`, which must come within the check's time bound, with the
    preview (`read_as`) agreeing on whether the answer is readable."""
    verdict, elapsed = timed(lambda: check_answer(instance, answer))
    assert elapsed < CHECK_LIMIT_S, f"{elapsed:.2f} s for {answer[:40]!r}"
    (readable, message), elapsed = timed(lambda: read_as(instance, answer))
    assert elapsed < CHECK_LIMIT_S, f"{elapsed:.2f} s to preview {answer[:40]!r}"
    if instance.card.kind != "steps":  # a steps card previews one part at a time
        assert readable == verdict.readable, (verdict, message)
    if not verdict.readable:
        assert verdict.interpreted is None
        assert verdict.error
    return verdict


NESTED_34 = "[" * 34 + "1" + "]" * 34


@pytest.mark.parametrize(
    "answer",
    [
        "2^(1e300+x-x)",  # the exponent folds to a constant that the parser never saw
        "2^(1e9+x-x)",
        "(2^(1000x))^(1e6/x)",
        "2^(3x)*2^(1e9-3x)",
        "exp(1e9*log(2) + x - x)",
        "sinh((1e9+x-x)*log(2))",
        "cosh(123456789012345678901234567890**0.89)",
        "(123456789012345678901234567890 + x - x)^(1/3)",
        "floor(exp(exp(10+x-x)))",
        "max(exp(exp(exp(10+x-x))), x)",
        "floor(exp(exp(10)))",
        "relu(0/0)",
        "max(x, 1/0)",
        "where(0/0 > x, 1, 2)",
        "sqrt(-2 + x - x)",
    ],
)
def test_answers_that_fold_to_huge_or_undefined_constants_get_a_verdict_on_time(
    instances: dict[str, Instance], answer: str
) -> None:
    verdict = checked(instances["symbolic"], answer)
    assert verdict.readable
    assert not verdict.correct


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("symbolic", "1*(x>0)"),
        ("symbolic", "|x<1|"),
        ("symbolic", "log(x<1)"),
        ("symbolic", "(1<2)-(2<3)"),
        ("symbolic", "x <= 1"),
        ("numeric", "-(1<2)"),
        ("numeric", "(1<2)-(2<3)"),
        ("numeric", "1 < 2"),
    ],
)
def test_a_comparison_outside_where_is_not_a_number(
    instances: dict[str, Instance], kind: str, answer: str
) -> None:
    verdict = checked(instances[kind], answer)
    assert not verdict.readable
    assert verdict.error is not None
    assert "comparison" in verdict.error


@pytest.mark.parametrize(("kind", "answer"), [("symbolic", "where(3, 3, 1)"), ("numeric", "where(3, 3, 1)")])
def test_where_needs_a_comparison(instances: dict[str, Instance], kind: str, answer: str) -> None:
    verdict = checked(instances[kind], answer)
    assert not verdict.readable
    assert verdict.error is not None
    assert "where needs a comparison" in verdict.error


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("sum([1,2], 0/0)", "an axis must be a whole number, not nan"),
        ("sum([1,2], 1/0)", "an axis must be a whole number, not inf"),
        ("sum([1,2],[0,1])", "an axis must be a single whole number"),
        ("softmax([1,2])[1/0]", "an index must be a whole number, not inf"),
        ("softmax([1,2])[0/0]", "an index must be a whole number, not nan"),
        ("softmax([1,2])[1e300]", "an index of 1e+300 is out of range"),
        (NESTED_34, "nested too deeply"),
        (
            "sum(eye(100) * [" + ", ".join(["[[1]]"] * 21) + "] * [" + ", ".join(["[[[1]]]"] * 21) + "])",
            "more than 4,194,304 numbers",
        ),
    ],
)
def test_numbers_that_are_no_index_axis_or_array_are_typed_errors(
    instances: dict[str, Instance], answer: str, reason: str
) -> None:
    for kind in ("numeric", "vector"):
        verdict = checked(instances[kind], answer)
        assert not verdict.readable
        assert verdict.error is not None
        assert reason in verdict.error


@pytest.mark.parametrize("answer", ["²", "1" * 5000, "x²", "(b)²", "\x00", "1e999999"])
def test_every_card_kind_reaches_a_clean_verdict(instances: dict[str, Instance], answer: str) -> None:
    for instance in instances.values():
        checked(instance, answer)


def test_a_steps_part_fails_alone(instances: dict[str, Instance]) -> None:
    instance = instances["steps"]
    steps = instance.card.steps
    verdict = checked(instance, "sum([1,2], 0/0); 1; 1; no")
    assert not verdict.readable
    assert verdict.error is not None
    assert verdict.error.startswith(steps[0].label)
    part = check_step(instance, steps[0], "softmax([1,2])[1/0]")
    assert not part.readable
    assert part.part == steps[0].name


def test_a_failure_after_the_answer_is_read_is_a_readable_wrong_answer(
    instances: dict[str, Instance], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of ours must not leave the learner stuck on an answer they cannot fix."""
    import engine.decks.kinds.numeric
    import engine.decks.kinds.symbolic

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine.decks.kinds.symbolic, "equivalent", broken)
    verdict = checked(instances["symbolic"], "x + 1")
    assert verdict.readable
    assert not verdict.correct
    assert verdict.interpreted == "x + 1"
    assert verdict.error is not None
    assert "RuntimeError: a bug" in verdict.error
    monkeypatch.setattr(engine.decks.kinds.numeric, "evaluate", broken)
    verdict = checked(instances["numeric"], "1 + 1")
    assert verdict.readable
    assert not verdict.correct
    assert verdict.interpreted == "1 + 1"
    assert read_as(instances["numeric"], "1 + 1") == (
        True,
        "read as: 1 + 1 (it could not be evaluated: the checker failed on this answer (RuntimeError: a bug))",
    )


def test_a_large_result_is_previewed_by_its_shape(instances: dict[str, Instance]) -> None:
    readable, message = read_as(instances["vector"], "outer([1,2,3,4,5], [1,2,3,4,5])")
    assert readable
    assert message.endswith("= a 5×5 array")


# -- the sympy worker: late work is stopped, whatever it is doing ------------------------------


def test_a_late_task_is_stopped_and_the_worker_replaced() -> None:
    import time as clock

    from engine.checking.timeouts import Worker
    from engine.errors import CheckTimeout

    worker = Worker(preload=())
    try:
        # Exact powers run inside one C call, which no thread could interrupt.
        for task, args in [("builtins:pow", (3, 10**9)), ("time:sleep", (30,))]:
            worker.warm(wait=True)  # the replacement of the worker killed before
            started = clock.perf_counter()
            with pytest.raises(CheckTimeout, match=r"took longer than 0\.3 s"):
                worker.run(task, args, 0.3, "the task")
            assert clock.perf_counter() - started < CHECK_LIMIT_S
        assert worker.run("math:sqrt", (4.0,), 30, "a square root") == 2.0
    finally:
        worker.close()


def test_the_worker_reports_failures_and_caps_its_memory() -> None:
    import sys

    from engine.checking.timeouts import MEMORY_HEADROOM, Worker
    from engine.errors import EvaluationError

    worker = Worker(preload=())
    try:
        worker.warm(wait=True)
        with pytest.raises(EvaluationError, match="ZeroDivisionError"):
            worker.run("builtins:divmod", (1, 0), 30, "a division")
        if sys.platform == "linux":
            with pytest.raises(EvaluationError, match="MemoryError"):
                worker.run("builtins:bytearray", (3 * MEMORY_HEADROOM,), 30, "a huge allocation")
        assert worker.run("builtins:divmod", (7, 2), 30, "a division") == (3, 1)
    finally:
        worker.close()
