"""Broadcasting follows numpy's rule on the items, with the batch axis kept apart, and the
shape functions `eye`, `len` and `size`.

The expected values come from numpy itself, applied to one instance at a time: that is
the rule a deck author knows, and a batch must give each instance exactly what it would
get alone.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pytest

from engine.errors import EvaluationError, ExpressionError
from engine.expr.ast import Call, Name
from engine.expr.numeric import MAX_EYE, Value, evaluate
from engine.expr.parser import parse
from engine.expr.printer import to_unicode
from engine.expr.symbolic import to_sympy

Array = npt.NDArray[np.float64]
RNG_SEED = 20240611
BATCH = 7  # a size no item shape below uses, so a message that showed it would be caught


def ev(text: str, batched: bool = False, **env: object) -> Value:
    return evaluate(parse(text), env, batched=batched)


def close(value: Value, expected: object, rank: int | None = None) -> None:
    np.testing.assert_allclose(value.data, np.asarray(expected, dtype=float), rtol=1e-12, atol=1e-14)
    if rank is not None:
        assert value.rank == rank


def batch(*shape: int) -> Array:
    return np.random.default_rng(RNG_SEED + len(shape)).normal(size=(BATCH, *shape))


# -- a vector with a matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("rows", [4, 3])
def test_a_vector_meets_each_row_of_a_matrix_in_either_order(rows: int) -> None:
    x = np.arange(rows * 3, dtype=float).reshape(rows, 3)
    v = np.array([10.0, 20.0, 30.0])
    close(ev("x - v", x=x, v=v), x - v, rank=2)
    close(ev("v - x", x=x, v=v), v - x, rank=2)
    close(ev("v * x", x=x, v=v), v * x)
    close(ev("x / v", x=x, v=v), x / v)
    close(ev("x + [1, 2, 3]", x=x), x + np.array([1.0, 2.0, 3.0]))
    close(ev("[1, 2, 3] + x", x=x), np.array([1.0, 2.0, 3.0]) + x)


def test_x_minus_its_column_means_on_a_4x3_matrix() -> None:
    x = np.arange(12.0).reshape(4, 3) ** 1.5
    result = ev("x - mean(x, 0)", x=x)
    close(result, x - x.mean(axis=0), rank=2)
    close(ev("sum(x - mean(x, 0), 0)", x=x), np.zeros(3))


def test_x_minus_its_column_means_on_a_square_matrix_subtracts_column_means() -> None:
    """On a 3×3 matrix a vector could line up either way; numpy's rule (along the last
    axis) subtracts each column's mean, which is what a standardisation means."""
    x = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0], [6.0, 60.0, 600.0]])
    result = ev("x - mean(x, 0)", x=x)
    close(result, x - x.mean(axis=0), rank=2)
    close(result, [[-2.0, -20.0, -200.0], [-1.0, -10.0, -100.0], [3.0, 30.0, 300.0]])
    close(ev("(x - mean(x, 0))/std(x, 0)", x=x), (x - x.mean(axis=0)) / x.std(axis=0))
    close(ev("x - mean(x, 1)", x=x), x - x.mean(axis=1))  # numpy's result, rows or not


def test_axes_of_length_one_stretch_as_in_numpy() -> None:
    close(ev("[[1], [2]] + [10, 20, 30]"), np.array([[1.0], [2.0]]) + np.array([10.0, 20.0, 30.0]), rank=2)
    close(ev("[[1, 2, 3]] * [[1], [2]]"), np.array([[1.0, 2.0, 3.0]]) * np.array([[1.0], [2.0]]))
    close(ev("[5] - [1, 2]"), [4.0, 3.0], rank=1)


def test_functions_of_several_arguments_broadcast_the_same_way() -> None:
    x = np.array([[-1.0, 2.0, 0.5], [3.0, -4.0, 1.5]])
    v = np.array([0.0, 1.0, 2.0])
    close(ev("where(x > v, x, v)", x=x, v=v), np.where(x > v, x, v), rank=2)
    close(ev("max(x, v)", x=x, v=v), np.maximum(x, v))
    close(ev("clip(x, -v, v)", x=x, v=v), np.minimum(np.maximum(x, -v), v))
    close(ev("log(x^2 + 2, v + 2)", x=x, v=v), np.log(x**2 + 2) / np.log(v + 2))


def test_reductions_use_the_item_axes() -> None:
    x = batch(4, 3)
    close(ev("sum(x, 1)", batched=True, x=x), x.sum(axis=2), rank=1)
    close(ev("mean(x, 0)", batched=True, x=x), x.mean(axis=1), rank=1)
    close(ev("var(x, 0)", batched=True, x=x), x.var(axis=1))
    close(ev("norm(x, 0)", batched=True, x=x), np.sqrt((x * x).sum(axis=1)))
    with pytest.raises(EvaluationError, match="axis 2 does not exist for a 4×3 array"):
        ev("sum(x, 2)", batched=True, x=x)  # the batch axis is not an axis of the item


# -- a batch gives each instance what it gets alone ---------------------------------------------

BATCHED_FORMULAS = [
    "x - mean(x, 0)",
    "x - mean(x, 0) + sum(x, 1)[0]",
    "(x - mean(x, 0))/std(x, 0)",
    "v - x",
    "x*v + a",
    "a*x - v",
    "where(x > v, x, a)",
    "max(x, v, a)",
    "clip(x, -abs(v), abs(v))",
    "x - [1, 2, 3]",
    "[[1], [2], [3], [4]]*x",
    "x @ eye(3) - x",
    "x/len(x) + size(v)",
    "softmax(x) - v",
    "[x[0] - v, x[1]]",
    "transpose(x) @ (x - mean(x, 0))",
    "sum((x - mean(x, 0))^2, 0)/len(x) - var(x, 0)",
]


@pytest.mark.parametrize("formula", BATCHED_FORMULAS)
def test_a_batch_gives_each_instance_its_own_result(formula: str) -> None:
    x, v, a = batch(4, 3), batch(3), batch()
    together = ev(formula, batched=True, x=x, v=v, a=a)
    data = np.broadcast_to(together.data, (BATCH, *together.item_shape))
    for i in range(BATCH):
        alone = ev(formula, x=x[i], v=v[i], a=a[i])
        assert alone.rank == together.rank
        close(Value(data[i], together.rank), alone.data)


# -- errors name the items' shapes, never the batch's --------------------------------------------

MISMATCHES = [
    ("x - mean(x)", "cannot combine a 4×3 array with a vector of 4"),
    ("x + [1, 2]", "cannot combine a 4×3 array with a vector of 2"),
    ("[1, 2] * x", "cannot combine a vector of 2 with a 4×3 array"),
    ("where(x > [1, 2], x, 0)", "cannot combine a 4×3 array with a vector of 2"),
    ("where(v > 0, x, [1, 2])", "cannot combine a vector of 3, a 4×3 array and a vector of 2"),
    ("max(x, w)", "cannot combine a 4×3 array with a vector of 4"),
    ("x @ x", "@ needs matching inner sizes: a 4×3 array @ a 4×3 array"),
    ("dot(v, w)", "dot needs two vectors of the same length, got a vector of 3 and a vector of 4"),
    ("[x, v]", "list items have different shapes: a 4×3 array and a vector of 3"),
]


@pytest.mark.parametrize(("formula", "message"), MISMATCHES)
def test_shape_errors_name_the_items_only(formula: str, message: str) -> None:
    x, v, w = batch(4, 3), batch(3), batch(4)
    with pytest.raises(EvaluationError) as alone:
        ev(formula, x=x[0], v=v[0], w=w[0])
    with pytest.raises(EvaluationError) as together:
        ev(formula, batched=True, x=x, v=v, w=w)
    assert message in alone.value.message
    assert together.value.message == alone.value.message
    assert not re.search(rf"\b{BATCH}\b", together.value.message), together.value.message


def test_the_shape_error_says_how_shapes_line_up() -> None:
    with pytest.raises(EvaluationError, match=r"matched from their last axis.*equal or 1"):
        ev("x - mean(x)", x=np.ones((4, 3)))


# -- eye, len and size ------------------------------------------------------------------------------


def test_eye_len_and_size_values() -> None:
    close(ev("eye(3)"), np.eye(3), rank=2)
    close(ev("eye(1)"), [[1.0]])
    close(ev("eye(2 + 1)"), np.eye(3))
    close(ev(f"trace(eye({MAX_EYE}))"), float(MAX_EYE))
    m = np.arange(12.0).reshape(4, 3)
    close(ev("len(m)", m=m), 4.0, rank=0)
    close(ev("size(m)", m=m), 12.0, rank=0)
    close(ev("len([5, 6, 7])"), 3.0)
    close(ev("size([5, 6, 7])"), 3.0)
    close(ev("size(2)"), 1.0)  # as numpy's size: a number is one element
    close(ev("len(m[0])", m=m), 3.0)
    close(ev("eye(len(v)) @ v", v=[1.0, 2.0]), [1.0, 2.0], rank=1)
    close(ev("m @ eye(size(m[0]))", m=m), m)
    close(ev("mean(m) - sum(m)/len(m[0])", m=m), np.zeros(4))


def test_shapes_in_a_batch_are_the_items_and_the_same_for_every_instance() -> None:
    x = batch(4, 3)
    length, count = ev("len(x)", batched=True, x=x), ev("size(x)", batched=True, x=x)
    assert (float(length.data), float(count.data), length.rank) == (4.0, 12.0, 0)
    identity = ev("eye(len(x))", batched=True, x=x)
    assert identity.data.shape == (4, 4)
    close(ev("x @ eye(len(x[0]))", batched=True, x=x), x, rank=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("eye(0)", "eye(n) needs a whole number n from 1 to 100, not 0"),
        ("eye(-2)", "eye(n) needs a whole number n from 1 to 100, not -2"),
        ("eye(2.5)", "eye(n) needs a whole number n from 1 to 100, not 2.5"),
        (f"eye({MAX_EYE + 1})", "eye(n) needs a whole number n from 1 to 100, not 101"),
        ("eye(1e300)", "not 1e+300"),
        ("eye(1/0)", "not inf"),
        ("eye(0/0)", "not nan"),
        ("eye([2, 3])", "eye(n) needs a single whole number n, got a vector of 2"),
        ("len(3)", "len needs a vector or a matrix, got a number"),
        ("eye(2) + eye(3)", "cannot combine a 2×2 array with a 3×3 array"),
    ],
)
def test_shape_function_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        ev(text)
    assert message in caught.value.message


def test_an_identity_matrix_is_bounded_like_any_array() -> None:
    with pytest.raises(EvaluationError, match="more than 4,194,304 numbers"):
        ev(f"eye({MAX_EYE}) * c", c=np.ones((500, 1, 1)))


def test_eye_of_a_value_that_may_differ_between_instances_is_refused() -> None:
    with pytest.raises(ExpressionError, match=r"same in every instance.*n is a value that may differ"):
        parse("eye(n)")
    with pytest.raises(ExpressionError, match=r"2·n uses n"):
        parse("eye(2n)")
    parse("eye(len(x) + size(y))")  # shapes are the same in every instance
    # The evaluator keeps the rule even for a tree that did not come from the parser.
    with pytest.raises(EvaluationError, match="eye\\(n\\) needs one n for every instance"):
        evaluate(Call("eye", (Name("n"),)), {"n": np.array([2.0, 3.0])}, batched=True)


def test_shape_functions_take_one_argument() -> None:
    for text in ("eye(2, 3)", "len(x, 0)", "size(x, 1)"):
        with pytest.raises(ExpressionError, match="takes 1 argument, got 2"):
            parse(text)


def test_shape_functions_are_printed_and_have_no_symbolic_meaning() -> None:
    assert to_unicode(parse("eye(3) @ x/len(x) + size(x)")) == "eye(3) @ x/len(x) + size(x)"
    for text in ("eye(2)", "len(x)", "size(x)"):
        with pytest.raises(ExpressionError, match="no place in a symbolic answer"):
            to_sympy(parse(text))
