"""The numeric evaluator: one instance or a batch, vectors and matrices, stable reductions,
and shape errors a person can act on."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from engine.errors import EvaluationError
from engine.expr.numeric import Value, evaluate, evaluate_constant
from engine.expr.parser import parse


def ev(text: str, batched: bool = False, **env: object) -> Value:
    return evaluate(parse(text), env, batched=batched)


def close(value: Value, expected: object, rank: int | None = None) -> None:
    np.testing.assert_allclose(value.data, np.asarray(expected, dtype=float), rtol=1e-12, atol=1e-14)
    if rank is not None:
        assert value.rank == rank


# -- batches ----------------------------------------------------------------------------------


def test_batch_of_scalars_times_batch_of_vectors() -> None:
    a = np.array([1.0, 2.0, 3.0])
    v = np.arange(6.0).reshape(3, 2)
    result = ev("a*v + 1", batched=True, a=a, v=v)
    close(result, a[:, None] * v + 1, rank=1)
    assert result.item_shape == (2,)


def test_batched_result_matches_one_instance_at_a_time() -> None:
    rng = np.random.default_rng(0)
    lr, m, v = rng.uniform(0.01, 1, 5), rng.normal(size=(5, 3)), rng.uniform(0.1, 2, (5, 3))
    formula = "lr*m/(sqrt(v)+1e-8) + sum(m*v)"
    batch = ev(formula, batched=True, lr=lr, m=m, v=v)
    for i in range(5):
        close(Value(batch.data[i], 1), ev(formula, lr=lr[i], m=m[i], v=v[i]).data)


def test_batched_matrix_times_vector_and_det() -> None:
    matrices = np.stack([np.eye(2) * k for k in (1.0, 2.0, 3.0)])
    vectors = np.ones((3, 2))
    close(ev("M @ v", batched=True, M=matrices, v=vectors), [[1, 1], [2, 2], [3, 3]], rank=1)
    close(ev("det(M)", batched=True, M=matrices), [1, 4, 9], rank=0)


def test_batches_that_do_not_line_up() -> None:
    """Only a caller can give names different numbers of instances; the message says so."""
    with pytest.raises(EvaluationError, match="different numbers of instances: 2 and 3"):
        ev("a*v", batched=True, a=np.ones(2), v=np.ones((3, 2)))


# -- reductions -------------------------------------------------------------------------------


def test_sum_mean_var_std_norm() -> None:
    data = [1.0, 2.0, 3.0, 4.0]
    close(ev("sum(v)", v=data), 10.0, rank=0)
    close(ev("mean(v)", v=data), 2.5)
    close(ev("var(v)", v=data), 1.25)  # biased, as torch.var(unbiased=False) and BatchNorm
    close(ev("std(v)", v=data), math.sqrt(1.25))
    close(ev("norm([3, 4])"), 5.0)


def test_reductions_act_on_the_item_last_axis_or_the_given_axis() -> None:
    matrix = [[1.0, 2.0], [3.0, 4.0]]
    close(ev("sum(M)", M=matrix), [3.0, 7.0], rank=1)
    close(ev("sum(M, 0)", M=matrix), [4.0, 6.0], rank=1)
    close(ev("mean(M, 1)", M=matrix), [1.5, 3.5])
    close(ev("sum(v)", batched=True, v=[[1.0, 2.0], [3.0, 4.0]]), [3.0, 7.0], rank=0)
    with pytest.raises(EvaluationError, match="axis 5 does not exist for a vector of 2"):
        ev("var([1, 2], 5)")
    with pytest.raises(EvaluationError, match="needs a vector or a matrix, got a number"):
        ev("sum(3)")


def test_softmax_is_stable_for_large_logits() -> None:
    logits = np.array([1000.0, 1001.0, 1002.0])
    expected = np.exp(logits - 1002) / np.exp(logits - 1002).sum()
    result = ev("softmax(z)", z=logits)
    close(result, expected, rank=1)
    assert math.isclose(float(result.data.sum()), 1.0)
    close(ev("softmax([1000, 1001, 1002])"), expected)
    close(ev("log_softmax(z)", z=logits), np.log(expected))
    close(ev("logsumexp(z)", z=logits), 1002 + math.log(np.exp(logits - 1002).sum()), rank=0)
    close(ev("logsumexp(z)", z=-logits), -1000 + math.log(np.exp(-logits + 1000).sum()))


def test_softmax_of_a_batch_is_per_row() -> None:
    rows = np.array([[1.0, 2.0], [3.0, 5.0]])
    result = ev("softmax(z)", batched=True, z=rows)
    close(result.data.sum(axis=-1), [1.0, 1.0])
    close(result, np.exp(rows) / np.exp(rows).sum(axis=1, keepdims=True))


# -- matrices and indexing ----------------------------------------------------------------------


def test_matrix_functions() -> None:
    a = [[1.0, 2.0], [3.0, 4.0]]
    close(ev("A @ [1, 1]", A=a), [3.0, 7.0], rank=1)
    close(ev("[1, 1] @ A", A=a), [4.0, 6.0], rank=1)
    close(ev("[1, 2] @ [3, 4]"), 11.0, rank=0)
    close(ev("A @ A", A=a), np.array(a) @ np.array(a), rank=2)
    close(ev("det(A)", A=a), -2.0, rank=0)
    close(ev("inv(A) @ A", A=a), np.eye(2))
    close(ev("eigvalsh([[2, 1], [1, 2]])"), [1.0, 3.0], rank=1)
    close(ev("transpose([[1, 2, 3], [4, 5, 6]])"), [[1, 4], [2, 5], [3, 6]], rank=2)
    close(ev("trace(A)", A=a), 5.0, rank=0)
    close(ev("outer([1, 2], [3, 4])"), [[3, 4], [6, 8]], rank=2)
    close(ev("dot([1, 2], [3, 4])"), 11.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[1, 2], [3, 4]] @ [1, 2, 3]", "@ needs matching inner sizes: a 2×2 array @ a vector of 3"),
        ("2 @ [1, 2]", "@ multiplies vectors and matrices"),
        ("det([1, 2])", "det needs a square matrix, got a vector of 2"),
        ("inv([[1, 2, 3], [4, 5, 6]])", "inv needs a square matrix, got a 2×3 array"),
        ("inv([[1, 2], [2, 4]])", "inv of a singular matrix"),
        ("[1, 2] + [1, 2, 3]", "cannot combine a vector of 2 with a vector of 3"),
        ("[[1, 2], [3]]", "list items have different shapes: a vector of 2 and a vector of 1"),
        ("[[1, 2], 3]", "list items have different shapes: a vector of 2 and a number"),
        ("dot(1, 2)", "dot needs two vectors"),
        ("dot([1, 2], [3])", "dot needs two vectors of the same length, got a vector of 2 and a vector of 1"),
        ("dot([1, 2], 3)", "dot needs two vectors of the same length, got a vector of 2 and a number"),
    ],
)
def test_shape_errors_are_explained(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        ev(text)
    assert message in caught.value.message


def test_indexing() -> None:
    v = [5.0, 6.0, 7.0]
    close(ev("v[0]", v=v), 5.0, rank=0)
    close(ev("v[-1]", v=v), 7.0)
    close(ev("M[1]", M=[[1.0, 2.0], [3.0, 4.0]]), [3.0, 4.0], rank=1)
    close(ev("v[1]", batched=True, v=[[1.0, 2.0], [3.0, 4.0]]), [2.0, 4.0], rank=0)
    with pytest.raises(EvaluationError, match="index 3 is out of range for a vector of 3"):
        ev("v[3]", v=v)
    with pytest.raises(EvaluationError, match=r"an index must be a whole number, not 0\.5"):
        ev("v[0.5]", v=v)
    with pytest.raises(EvaluationError, match="only vectors and matrices can be indexed"):
        ev("x[0]", x=3.0)


def test_where_and_comparisons() -> None:
    z = [-2.0, 0.0, 3.0]
    close(ev("where(z > 0, z, 0.1z)", z=z), [-0.2, 0.0, 3.0], rank=1)
    close(ev("where(z >= 0, 1, 0)", z=z), [0.0, 1.0, 1.0])
    close(ev("where(z <= 0, z, -z)", z=z), [-2.0, 0.0, -3.0])
    close(ev("where(z < 0, 1, 0)", z=z), [1.0, 0.0, 0.0])
    close(ev("clip(z, -1, 1)", z=z), [-1.0, 0.0, 1.0])
    close(ev("max(z, 0)", z=z), [0.0, 0.0, 3.0])
    close(ev("max(z)", z=z), 3.0, rank=0)


def test_unknown_value() -> None:
    with pytest.raises(EvaluationError, match="no value for 'y'"):
        ev("x + y", x=1.0)


# -- scalar functions ----------------------------------------------------------------------------


def test_sigmoid_is_accurate_in_both_tails() -> None:
    for x in [-745.0, -700.0, -40.0, -20.0, -1.0, 0.0, 1.0, 20.0, 40.0, 700.0]:
        value = float(ev("σ(x)", x=x).data)
        exact = 1.0 / (1.0 + math.exp(-x)) if x > -700 else math.exp(x)
        assert math.isclose(value, exact, rel_tol=1e-14), x
    assert float(ev("σ(x)", x=-800.0).data) == 0.0
    assert float(ev("σ(x)", x=800.0).data) == 1.0
    # The lower tail keeps its relative precision: σ(−40) is e^−40/(1 + e^−40), not 0.
    assert math.isclose(float(ev("sigmoid(-40)").data), math.exp(-40), rel_tol=1e-15)


def test_phi_and_erf() -> None:
    assert float(ev("Phi(0)").data) == 0.5
    assert math.isclose(float(ev("Φ(1.96)").data), 0.9750021048517795, rel_tol=1e-14)
    # Lower tail through erfc: 1 + erf(−10/√2) would cancel to 0.
    assert math.isclose(float(ev("Phi(-10)").data), 7.619853024160527e-24, rel_tol=1e-12)
    assert math.isclose(float(ev("Phi(10)").data), 1.0)
    assert math.isclose(float(ev("erf(0.5)").data), math.erf(0.5), rel_tol=1e-15)
    close(ev("erf(v)", v=[-1.0, 0.0, 1.0]), [math.erf(-1), 0.0, math.erf(1)], rank=1)


def test_other_elementwise_functions() -> None:
    close(ev("softplus(1000)"), 1000.0)
    close(ev("softplus(-1000)"), 0.0)
    close(ev("softplus(0)"), math.log(2))
    close(ev("relu(v)", v=[-1.0, 2.0]), [0.0, 2.0])
    close(ev("sech(1)"), 1 / math.cosh(1))
    close(ev("log(8, 2)"), 3.0)
    close(ev("e^x", x=1.0), math.e)


def test_undefined_values_are_nan_not_exceptions() -> None:
    assert math.isnan(float(ev("log(-1)").data))
    assert math.isnan(float(ev("sqrt(-1)").data))
    assert math.isnan(float(ev("0/0").data))
    assert math.isinf(float(ev("1/0").data))


def test_evaluate_constant() -> None:
    assert evaluate_constant(parse("sqrt(2)/2")) == pytest.approx(math.sqrt(2) / 2, rel=1e-15)
    assert evaluate_constant(parse("2^10")) == 1024.0
    with pytest.raises(EvaluationError, match="single number"):
        evaluate_constant(parse("[1, 2]"))


# -- what has no value is an error, not a crash or a memory bomb -------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sum([1, 2], 0/0)", "an axis must be a whole number, not nan"),
        ("sum([1, 2], 1/0)", "an axis must be a whole number, not inf"),
        ("sum([1, 2], [0, 1])", "an axis must be a single whole number"),
        ("sum([1, 2], 0.5)", "an axis must be a whole number, not 0.5"),
        ("sum([1, 2], 1)", "axis 1 does not exist for a vector of 2"),
        ("softmax([1, 2])[1/0]", "an index must be a whole number, not inf"),
        ("softmax([1, 2])[-(1/0)]", "an index must be a whole number, not -inf"),
        ("softmax([1, 2])[0/0]", "an index must be a whole number, not nan"),
        ("softmax([1, 2])[1e300]", "an index of 1e+300 is out of range"),
        ("[" * 9 + "1" + "]" * 9, "lists are nested too deeply (more than 8 levels)"),
        ("[" * 34 + "1" + "]" * 34, "lists are nested too deeply"),
    ],
)
def test_indices_axes_and_depth_that_have_no_meaning(text: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=re.escape(message)):
        ev(text)


def test_nesting_up_to_the_bound_is_fine() -> None:
    close(ev("[" * 8 + "1" + "]" * 8), np.ones((1,) * 8), rank=8)


def test_broadcasting_cannot_build_a_huge_array() -> None:
    """A column times a row is a matrix: items of 3,000 numbers each would otherwise make
    9 × 10^6 of them, and a batch of 64 modest ones 5.8 × 10^6."""
    column = np.ones((3000, 1))
    with pytest.raises(EvaluationError, match="more than 4,194,304 numbers"):
        ev("v * c", v=np.ones(3000), c=column)
    with pytest.raises(EvaluationError, match="more than 4,194,304 numbers"):
        ev("v * c", batched=True, v=np.ones((64, 300)), c=np.ones((64, 300, 1)))
    assert ev("v * c", v=np.ones(300), c=np.ones((300, 1))).item_shape == (300, 300)
    # In an answer's own text: 21 × 21 identity matrices of 100 × 100, from 300 symbols.
    columns = "[" + ", ".join(["[[1]]"] * 21) + "] * [" + ", ".join(["[[[1]]]"] * 21) + "]"
    with pytest.raises(EvaluationError, match="more than 4,194,304 numbers"):
        ev(f"sum(eye(100) * {columns})")
    with pytest.raises(EvaluationError, match="more than 4,194,304 numbers"):
        ev("outer(v, v)", batched=True, v=np.ones((64, 300)))  # fine alone, not 64 times over
    assert ev("outer(v, v)", v=np.ones(300)).item_shape == (300, 300)


def test_eigenvalues_of_a_matrix_with_nan_do_not_raise_numpy_errors() -> None:
    try:
        value = ev("eigvalsh([[0/0, 1], [1, 0]])")
    except EvaluationError as error:
        assert "eigvalsh" in error.message
    else:
        assert value.item_shape == (2,)
