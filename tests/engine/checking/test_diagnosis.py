"""Automatic diagnosis of a wrong answer: the one small edit of the expected answer it is.

The cases (tests/fixtures/diagnosis/cases.yaml) are formulas of the bundled decks: every wrong
answer must get its edit, and no right answer in another form, and no unrelated wrong one,
may get any. A diagnosis is only ever what was verified at every point, so a near miss (the
tanh GELU) is no edit of GELU.
"""

from __future__ import annotations

import math
import statistics
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.checking.diagnosis import AUTO_MISTAKE, EDITS, Diagnosis, diagnose, diagnose_number
from engine.checking.verdict import Verdict
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import check_answer
from engine.decks.loader import load_deck
from engine.expr.ast import Node
from engine.expr.domains import Domain, parse_domain
from engine.expr.names import canonical_name
from engine.expr.parser import parse_with_variables
from engine.storage import ReviewStore
from engine.study.stats import compute_stats, format_stats
from tests.conftest import DECKS, FIXTURES

CASES_FILE = FIXTURES / "diagnosis" / "cases.yaml"
GENEROUS_BUDGET = 5.0  # the cases test what is found, not how fast (the shared test machine is slow)


@cache
def cases() -> dict[str, Any]:
    loaded = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def formula(name: str) -> tuple[Node, dict[str, Domain]]:
    spec = cases()["formulas"][name]
    domains = {
        canonical_name(variable): parse_domain(domain) for variable, domain in spec["variables"].items()
    }
    return parse_with_variables(spec["expected"], domains), domains


def diagnosis_of(case: dict[str, str], seed: int = 0) -> Diagnosis | None:
    expected, domains = formula(case["formula"])
    answer = parse_with_variables(case["answer"], domains)
    return diagnose(answer, expected, domains, seed=seed, budget=GENEROUS_BUDGET)


def case_id(case: dict[str, str]) -> str:
    return f"{case['formula']}: {case['answer']}"


WRONG = cases()["wrong"]
EQUIVALENT = cases()["equivalent"]
UNRELATED = cases()["unrelated"]


def test_the_fixture_covers_every_edit_of_a_formula_with_enough_cases() -> None:
    assert len(WRONG) >= 60
    assert len(EQUIVALENT) >= 60
    assert len(UNRELATED) >= 30
    named = {case["edit"] for case in WRONG}
    formula_edits = set(EDITS) - {"neighbour-value"}  # a number's edit: tested below
    assert named == formula_edits, formula_edits ^ named


@pytest.mark.parametrize("case", WRONG, ids=case_id)
def test_a_wrong_answer_one_edit_away_gets_that_edit(case: dict[str, str]) -> None:
    found = diagnosis_of(case)
    assert found is not None, "no diagnosis"
    assert found.edit == case["edit"], found.message
    assert found.message.endswith(".")
    assert "\n" not in found.message


@pytest.mark.parametrize("case", EQUIVALENT, ids=case_id)
def test_a_right_answer_in_another_form_gets_no_diagnosis(case: dict[str, str]) -> None:
    assert diagnosis_of(case) is None


@pytest.mark.parametrize("case", UNRELATED, ids=case_id)
def test_an_unrelated_wrong_answer_gets_no_diagnosis(case: dict[str, str]) -> None:
    assert diagnosis_of(case) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_diagnoses_do_not_depend_on_the_seed(seed: int) -> None:
    for case in WRONG[::7]:
        found = diagnosis_of(case, seed)
        assert (found.edit if found else None) == case["edit"], (case, found)


def message_for(expected: str, answer: str, variables: dict[str, str]) -> str:
    domains = {name: parse_domain(domain) for name, domain in variables.items()}
    found = diagnose(
        parse_with_variables(answer, domains),
        parse_with_variables(expected, domains),
        domains,
        seed=0,
        budget=GENEROUS_BUDGET,
    )
    assert found is not None
    return found.message


ADAM = "theta - lr*(m/(1 - beta1^t))/(sqrt(v/(1 - beta2^t)) + eps)"
ADAM_VARIABLES = {"theta": "real", "lr": "positive", "m": "real", "v": "positive", "beta_1": "(0, 1)",
                  "beta_2": "(0, 1)", "t": "positive integer", "eps": "positive"}  # fmt: skip


def test_messages_name_the_piece_in_the_engines_unicode() -> None:
    assert message_for(ADAM, "theta - lr*m/(sqrt(v/(1 - beta2^t)) + eps)", ADAM_VARIABLES) == (
        "Your answer is the expected one without the factor (1 − β₁^t) in the denominator."
    )
    assert message_for("x*y/(x^2 + 1)", "2*x*y/(x^2 + 1)", {"x": "real", "y": "real"}) == (
        "Off by a factor of 2: your answer is twice the expected one."
    )
    assert message_for("x - 2*y + 3", "x + 2*y + 3", {"x": "real", "y": "real"}) == (
        "The sign of the second term (−2·y) is flipped."
    )
    assert message_for("sqrt(v) + eps", "sqrt(v + eps)", {"v": "positive", "eps": "positive"}) == (
        "This is the expected answer with ε inside the square root: √(v + ε) in place of √v + ε."
    )
    assert message_for("x^2*y", "y^2*x", {"x": "real", "y": "real"}) == "x and y are swapped."
    assert message_for(
        "beta*m + (1 - beta)*g", "beta*m + beta*g", {"beta": "(0, 1)", "m": "real", "g": "real"}
    ) == ("This is the expected answer with β in place of 1 − β.")


def test_a_piece_that_appears_twice_is_said_with_where_it_is() -> None:
    """Two 2s in 2σ(2x) − 1: the message says which one is missing."""
    message = message_for("2*sigmoid(2*x) - 1", "2*sigmoid(x) - 1", {"x": "real"})
    assert message == "Your answer is the expected one without the factor 2 (in 2·x)."


def test_a_term_of_an_inner_sum_is_said_with_its_sum() -> None:
    message = message_for(
        "sqrt(v + eps)*g", "sqrt(v - eps)*g", {"v": "positive", "eps": "positive", "g": "real"}
    )
    assert message == "The sign of the second term (ε) of v + ε is flipped."


def test_a_constant_ratio_is_said_as_a_person_writes_it() -> None:
    assert message_for("x^2", "3*x^2/2", {"x": "real"}) == "Your answer is the expected one times 3/2."
    assert message_for("x^2", "x^2/sqrt(3)", {"x": "real"}) == "Your answer is the expected one times √(1/3)."
    assert (
        message_for("x^2", "x^2/log(10)", {"x": "real"}) == "Your answer is the expected one times 0.434294."
    )


def test_an_answer_the_points_cannot_tell_from_the_expected_one_gets_nothing() -> None:
    """A diagnosis never contradicts the points: an answer equal to the expected one there is no edit of it."""
    x = parse_with_variables("x", ["x"])
    assert diagnose(x, x, ["x"], seed=0) is None


def test_too_few_defined_points_give_nothing() -> None:
    """log(−x²−1) is a real number nowhere: there are no points to verify anything at."""
    answer = parse_with_variables("log(-x^2 - 1)", ["x"])
    assert diagnose(answer, parse_with_variables("x", ["x"]), ["x"], seed=0) is None


def test_variables_may_be_names_or_left_out() -> None:
    expected, answer = parse_with_variables("x - y", ["x", "y"]), parse_with_variables("y - x", ["x", "y"])
    every_way: tuple[list[str] | dict[str, Domain] | None, ...] = (["x", "y"], None, {})
    for variables in every_way:
        found = diagnose(answer, expected, variables, seed=0, budget=GENEROUS_BUDGET)
        assert found is not None
        assert found.edit == "sign-flipped"


def test_the_search_stops_at_its_deadline() -> None:
    expected, domains = formula("adam")
    answer = parse_with_variables("exp(theta) - lr", domains)
    started = time.perf_counter()
    assert diagnose(answer, expected, domains, seed=0, budget=0.0) is None
    assert time.perf_counter() - started < 1.0


def test_a_diagnosis_takes_milliseconds() -> None:
    """The cost after a wrong verdict: the median over the wrong and unrelated cases (measured
    in CPU time, so that other work on a shared machine is not counted) is well under 50 ms."""
    costs = []
    for case in WRONG[::4] + UNRELATED[::3]:
        started = time.process_time()
        diagnosis_of(case)
        costs.append(time.process_time() - started)
    assert statistics.median(costs) < 0.05


def test_hostile_answers_get_no_diagnosis_and_raise_nothing() -> None:
    expected, domains = formula("sigmoid-derivative")
    for text in ("exp(exp(exp(exp(x))))", "(x+1)^1000 - (x+1)^1000", "sin(1/x)^999", "0/0*x", "x^(10^3)"):
        answer = parse_with_variables(text, domains)
        assert diagnose(answer, expected, domains, seed=0) is None


# -- numbers --------------------------------------------------------------------------------------


def test_a_number_off_by_a_factor_or_a_sign_is_named() -> None:
    expected = 0.3712
    for answer, edit in ((0.7424, "factor-2"), (0.1856, "factor-0.5"), (3.712, "factor-10"),
                         (0.03712, "factor-0.1"), (-0.3712, "sign-flipped")):  # fmt: skip
        found = diagnose_number(answer, expected)
        assert (found.edit if found else None) == edit, (answer, found)
    doubled = diagnose_number(0.7424, expected)
    assert doubled is not None
    assert doubled.message == "Off by a factor of 2: your answer is twice the expected one."


def test_a_number_that_is_a_neighbouring_value_is_named_first() -> None:
    """m₁ = 0.1·g is also a tenth of m̂₁ = g: the neighbour is the likelier story, and comes first."""
    found = diagnose_number(0.0437, 0.437, {"m₁ (part 1)": 0.0437, "β₁ (torch's default)": 0.9})
    assert found == Diagnosis("neighbour-value", "Your answer is the value of m₁ (part 1).")


def test_a_small_whole_neighbour_says_nothing() -> None:
    assert diagnose_number(3.0, 0.437, {"t (given in the question)": 3.0}) is None
    found = diagnose_number(0.001, 0.437, {"lr (torch's default)": 0.001})
    assert found is not None
    assert found.edit == "neighbour-value"


def test_a_number_is_named_only_where_the_band_tells_the_candidate_from_the_expected_value() -> None:
    assert diagnose_number(0.0, 0.0) is None  # nothing is twice 0
    assert diagnose_number(-1e-9, 1e-9) is None  # ±1e-9 agree at the default band
    assert diagnose_number(0.3713, 0.3712) is None  # within the band: not wrong at all
    assert diagnose_number(0.5, 0.3712) is None  # unrelated
    assert diagnose_number(math.nan, 0.3712) is None
    assert diagnose_number(math.inf, 0.3712) is None


def test_the_caller_sets_the_band() -> None:
    exact = lambda candidate, value: abs(candidate - value) <= 1e-12 * abs(candidate)  # noqa: E731
    assert diagnose_number(0.742, 0.3712, agrees=exact) is None
    found = diagnose_number(0.7424, 0.3712, agrees=exact)
    assert found is not None
    assert found.edit == "factor-2"


# -- through the card kinds ------------------------------------------------------------------------


def bundled(card_id: str, seed: int = 0) -> Instance:
    deck_id, _, card = card_id.partition("/")
    loaded = load_deck(DECKS / f"{deck_id}.md")
    assert loaded.deck is not None
    return draw_instance(next(c for c in loaded.deck.cards if c.card_id == card), seed)


def test_a_symbolic_card_names_the_edit_and_still_shows_where_the_answer_differs() -> None:
    verdict = check_answer(bundled("normalization/bn-identity-gamma", 3), "sqrt(sigma2) + eps")
    assert not verdict.correct
    assert verdict.mistake == f"{AUTO_MISTAKE}eps-outside-sqrt"
    assert verdict.feedback.startswith("This is the expected answer with ε outside the square root")
    assert "Not equivalent: at " in verdict.feedback
    assert "your answer gives" in verdict.feedback


def test_a_declared_mistake_comes_before_a_diagnosis() -> None:
    verdict = check_answer(bundled("normalization/bn-identity-gamma", 3), "sqrt(sigma2)")
    assert verdict.mistake is not None
    assert not verdict.mistake.startswith(AUTO_MISTAKE)


def test_a_symbolic_answer_no_edit_explains_is_told_only_where_it_differs() -> None:
    verdict = check_answer(bundled("normalization/bn-identity-gamma", 3), "sigma2*eps + 7")
    assert verdict.mistake is None
    assert verdict.feedback.startswith("Not equivalent")


def test_a_numeric_card_names_a_factor_and_a_sign() -> None:
    instance = bundled("losses/mse-value")
    assert instance.solution.answer is not None
    value = float(instance.solution.answer.value)
    doubled = check_answer(instance, repr(2 * value))
    assert doubled.mistake == "auto:factor-2"
    assert doubled.feedback.startswith("Off by a factor of 2")
    assert "Expected " in doubled.feedback
    assert check_answer(instance, repr(-value)).mistake == "auto:sign-flipped"
    assert check_answer(instance, repr(value)).mistake is None  # right: nothing to diagnose


def test_a_steps_part_that_is_another_parts_value_is_named(write_deck: Any) -> None:
    path: Path = write_deck(STEPS_DECK)
    loaded = load_deck(path)
    assert loaded.deck is not None
    assert loaded.problems == []
    instance = draw_instance(loaded.deck.cards[0], 0)
    m = float(instance.solution.parts["m"].value)
    m_hat = float(instance.solution.parts["m_hat"].value)
    verdict = check_answer(instance, f"{m!r}; {m!r}")
    assert not verdict.correct
    assert verdict.mistake == "auto:neighbour-value"
    assert verdict.parts[1].feedback.startswith("Your answer is the value of part 1, m₁.")
    assert check_answer(instance, f"{m!r}; {-m_hat!r}").parts[1].mistake == "auto:sign-flipped"


STEPS_DECK = """\
## Adam's first moment {#adam-m}

```quiz
kind: steps
given:
  g: uniform(0.2, 1)
  beta1: 0.9
steps:
  - name: m
    prompt: "m₁ ="
    answer: (1 - beta1)*g
    precision: 4 sig
  - name: m_hat
    prompt: "m̂₁ ="
    answer: m/(1 - beta1)
    precision: 4 sig
```

With gradient $g = {g}$ and $\\beta_1 = {beta1}$, give Adam's first moment after one step and its bias correction.
"""


# -- in the statistics -----------------------------------------------------------------------------


def test_the_statistics_show_diagnosed_mistakes_in_words(tmp_path: Path) -> None:
    from quizapp.screens.stats import summary_text

    moment = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    doubled = Verdict(False, "2·x", "x", "Off by a factor of 2.", f"{AUTO_MISTAKE}factor-2")
    root = Verdict(False, "√v + ε", "√(v + ε)", "ε outside.", f"{AUTO_MISTAKE}eps-outside-sqrt")
    named = Verdict(False, "σ(x)", "σ′(x)", "That is σ.", "[b]forgot[/b]")
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        session = store.start_session("study", ["d"], now=moment)
        for verdict in (doubled, doubled, root, named):
            store.record_review(session, "d/c", 0, "x", verdict, 1, 4000, now=moment)
        stats = compute_stats(store, now=moment)
    assert stats.mistakes[0] == (f"{AUTO_MISTAKE}factor-2", 2)  # the log's and --json's stable code
    shown = dict(stats.mistakes_shown)
    assert shown == {"auto: factor 2": 2, "auto: eps outside sqrt": 1, "[b]forgot[/b]": 1}
    assert "  auto: factor 2 ×2" in format_stats(stats).splitlines()
    summary = summary_text(stats)
    assert "auto: factor 2 ×2" in summary
    assert r"\[b]forgot\[/b] ×1" in summary  # a mistake's name is text, never markup
