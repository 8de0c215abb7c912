"""Curvature references against hand computations (numpy), at the points of torch-semantics.md §7."""

from __future__ import annotations

import numpy as np
import pytest

from engine.expr.numeric import evaluate
from engine.expr.parser import parse
from engine.references import FunctionInput, ReferenceInputError, get_reference, run_reference
from engine.references.curvature import CLASSES


def function(text: str, variables: tuple[str, ...], **coefficients: list[float]) -> FunctionInput:
    return FunctionInput(
        parse(text), variables, {k: np.asarray(v, dtype=float) for k, v in coefficients.items()}
    )


def classify(text: str, point: list[float], n: int = 1, **coefficients: list[float]) -> dict[str, np.ndarray]:
    variables = ("x", "y")[: len(point)]
    return run_reference(
        "hessian_classify", {"point": point}, n, "cpu", function=function(text, variables, **coefficients)
    )


def test_saddle_of_x2_minus_y2() -> None:
    out = classify("x^2 - y^2", [0.0, 0.0])
    np.testing.assert_allclose(out["hessian"][0], [[2.0, 0.0], [0.0, -2.0]], atol=1e-12)
    np.testing.assert_allclose(out["eigenvalues"][0], [-2.0, 2.0], atol=1e-12)
    assert CLASSES[int(out["classification"][0])] == "saddle point"
    assert out["min_ratio"][0] == 0.5


def test_indefinite_hessian_with_a_cross_term() -> None:
    # (x−1)² + 3xy + y²: H = [[2, 3], [3, 2]], eigenvalues (−1, 5); its critical point solves H p = [2, 0].
    point = np.linalg.solve(np.array([[2.0, 3.0], [3.0, 2.0]]), [2.0, 0.0])
    out = classify("(x-1)^2 + 3*x*y + y^2", list(point))
    np.testing.assert_allclose(
        out["eigenvalues"][0], np.linalg.eigvalsh([[2.0, 3.0], [3.0, 2.0]]), rtol=1e-12
    )
    np.testing.assert_allclose(out["gradient"][0], [0.0, 0.0], atol=1e-12)
    assert CLASSES[int(out["classification"][0])] == "saddle point"


def test_zero_eigenvalue_is_inconclusive_and_a_slope_is_not_critical() -> None:
    out = classify("x^2 + y^4", [0.0, 0.0])
    np.testing.assert_allclose(out["eigenvalues"][0], [0.0, 2.0], atol=1e-12)
    assert CLASSES[int(out["classification"][0])] == "inconclusive"
    assert out["min_ratio"][0] == 0.5
    assert CLASSES[int(classify("x^2 + y^2", [1.0, 0.0])["classification"][0])] == "not a critical point"


def test_batched_coefficients_classify_each_instance() -> None:
    out = classify("a*x^2 + b*y^2", [0.0, 0.0], n=4, a=[1, -1, 1, -1], b=[2, -2, -2, 2])
    labels = [CLASSES[int(c)] for c in out["classification"]]
    assert labels == ["local minimum", "local maximum", "saddle point", "saddle point"]
    hand = np.stack([np.diag([2.0 * a, 2.0 * b]) for a, b in [(1, 2), (-1, -2), (1, -2), (-1, 2)]])
    np.testing.assert_allclose(out["hessian"], hand, atol=1e-12)


def test_newton_step_in_one_and_two_dimensions() -> None:
    f = function("x^4 - 3*x^2 + 2", ("x",))
    out = run_reference("newton_step", {"point": [2.0]}, 1, "cpu", function=f)
    x = 2.0
    np.testing.assert_allclose(out["next_point"][0], [x - (4 * x**3 - 6 * x) / (12 * x**2 - 6)], rtol=1e-12)
    assert out["next_point"][0][0] == pytest.approx(1.5238095238, abs=1e-10)
    # On a quadratic ½pᵀAp − bᵀp one step reaches A⁻¹b.
    quadratic = function("0.5*(3*x^2 + 2*x*y + 2*y^2) - (x + 2*y)", ("x", "y"))
    out = run_reference("newton_step", {"point": [5.0, -7.0]}, 1, "cpu", function=quadratic)
    np.testing.assert_allclose(
        out["next_point"][0], np.linalg.solve([[3.0, 1.0], [1.0, 2.0]], [1.0, 2.0]), rtol=1e-12
    )


def test_mistakes_differ_from_torch() -> None:
    three = function("x^2 + y^2 - z^2", ("x", "y", "z"))
    out = run_reference("hessian_classify", {"point": [0.0, 0.0, 0.0]}, 1, "cpu", function=three)
    assert out["min_ratio"][0] == pytest.approx(2 / 3)
    (ratio_mistake,) = get_reference("hessian_classify").mistakes
    wrong = evaluate(parse(ratio_mistake.formula), {"min_ratio": out["min_ratio"]}, batched=True).data
    np.testing.assert_allclose(wrong, [1 / 3])
    f = function("x^4 - 3*x^2 + 2", ("x",))
    out = run_reference("newton_step", {"point": [2.0]}, 1, "cpu", function=f)
    (step_mistake,) = get_reference("newton_step").mistakes
    env = {"point": np.array([[2.0]]), "gradient": out["gradient"]}
    wrong = evaluate(parse(step_mistake.formula), env, batched=True).data
    np.testing.assert_allclose(wrong, [[2.0 - (4 * 8 - 12)]])
    assert not np.allclose(wrong, out["next_point"])


def test_a_function_is_required() -> None:
    with pytest.raises(ReferenceInputError, match="needs a function"):
        run_reference("hessian_classify", {"point": [0.0, 0.0]}, 1, "cpu")
