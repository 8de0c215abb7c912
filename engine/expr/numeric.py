"""Evaluate an expression tree with numpy, on one instance or a whole batch at once.

A value is an array whose trailing `rank` axes are the item (0: a scalar, 1: a vector,
2: a matrix) and whose leading axes, if any, are the batch. Elementwise operations
broadcast the items by numpy's rule, from their last axis (a vector of 3 with a 4×3
matrix meets each row, as `x - mean(x, 0)` needs), while the batch axes stay apart and
line up only with each other: the same formula gives each instance of a thousand what it
gives that instance alone, and a shape error names the items' shapes, never the batch's.
Reductions (`sum`, `softmax`, ...) act on the item's last axis, or the item axis given.
Arithmetic follows real-number semantics: an undefined value (log of a negative number,
0/0) becomes NaN rather than an exception, and the caller decides what it means. What has
no value at all (an index of 1/0, lists nested 40 deep, an array too large to hold,
eye(10^6)) is an `EvaluationError` that says so; numpy never sees it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.errors import EvaluationError
from engine.expr.ast import BinOp, Call, Compare, Constant, Index, ListExpr, Name, Neg, Node, Number

Array = npt.NDArray[np.float64]

# Bounds on what one expression may build: a matrix of matrices is as deep as any card
# goes (numpy itself stops at 32 axes), and four million numbers are far more than any
# card needs, yet little enough memory (32 MB) that broadcasting [a, ...] * [[b, ...]] *
# [[[c, ...]]] cannot take the machine's.
MAX_ITEM_RANK: Final = 8
MAX_ELEMENTS: Final = 1 << 22
# eye(n): as large as the largest square matrix a sampler may draw (10,000 elements).
# Larger would be cheap to write and dear to use: eigvalsh(eye(1000)) takes half a second,
# and an answer of 600 symbols could ask for it a hundred times.
MAX_EYE: Final = 100


@dataclass(frozen=True)
class Value:
    """An evaluated array and the number of its trailing axes that form one item."""

    data: npt.NDArray[Any]
    rank: int

    @property
    def item_shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape[self.data.ndim - self.rank :])


def describe_shape(shape: tuple[int, ...]) -> str:
    """'a number', 'a vector of 3', 'a 2×2 array'."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return "a " + "×".join(str(n) for n in shape) + " array"


def evaluate(node: Node, env: Mapping[str, object] | None = None, *, batched: bool = False) -> Value:
    """Evaluate `node` with the values in `env`.

    With `batched`, every value in `env` carries a leading batch axis (N instances of
    the same names), and so does the result.
    """
    values: dict[str, Value] = {}
    for name, raw in (env or {}).items():
        data = np.asarray(raw, dtype=np.float64)
        values[name] = Value(data, data.ndim - 1 if batched else data.ndim)
    with np.errstate(all="ignore"):
        return _Evaluator(values).value_of(node)


def evaluate_constant(node: Node) -> float:
    """The value of an expression without names, as a float (inf or nan when it is)."""
    value = evaluate(node)
    if value.rank != 0:
        raise EvaluationError("expected a single number")
    return float(value.data)


_ERF: Final = np.frompyfunc(math.erf, 1, 1)
_ERFC: Final = np.frompyfunc(math.erfc, 1, 1)


def _erf(x: Array) -> Array:
    return np.asarray(_ERF(x), dtype=np.float64)


def _phi(x: Array) -> Array:
    # erfc keeps the lower tail accurate, where 1 + erf(x) would cancel to zero.
    return 0.5 * np.asarray(_ERFC(-x / math.sqrt(2.0)), dtype=np.float64)


def _sigmoid(x: Array) -> Array:
    # Two branches so that exp never overflows and the lower tail keeps its precision.
    exp_neg = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + exp_neg), exp_neg / (1.0 + exp_neg))


_ELEMENTWISE: Final[dict[str, Callable[[Array], Array]]] = {
    "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "sech": lambda x: 1.0 / np.cosh(x), "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0), "softplus": lambda x: np.logaddexp(0.0, x),
    "erf": _erf, "Phi": _phi, "floor": np.floor,
}  # fmt: skip


def _softmax(x: Array) -> Array:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _log_softmax(x: Array) -> Array:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))  # type: ignore[no-any-return]


def _logsumexp(x: Array) -> Array:
    top = np.max(x, axis=-1)
    return top + np.log(np.sum(np.exp(x - top[..., None]), axis=-1))  # type: ignore[no-any-return]


class _Evaluator:
    def __init__(self, env: dict[str, Value]) -> None:
        self.env = env

    def value_of(self, node: Node) -> Value:
        match node:
            case Number(text):
                return Value(np.asarray(float(text)), 0)
            case Constant(name):
                return Value(np.asarray(math.pi if name == "pi" else math.e), 0)
            case Name(name):
                if name not in self.env:
                    raise EvaluationError(f"no value for {name!r}")
                return self.env[name]
            case Neg(operand):
                value = self.value_of(operand)
                return Value(-value.data, value.rank)
            case BinOp("@", left, right):
                return self.matmul(self.value_of(left), self.value_of(right))
            case BinOp(op, left, right):
                return self.elementwise(op, [self.value_of(left), self.value_of(right)])
            case Compare(op, left, right):
                return self.elementwise(op, [self.value_of(left), self.value_of(right)])
            case Call(func, args):
                return self.call(func, [self.value_of(a) for a in args])
            case ListExpr(items):
                return self.stack([self.value_of(item) for item in items])
            case Index(base, index):
                return self.index(self.value_of(base), self.value_of(index))
        raise TypeError(f"not an expression node: {node!r}")

    # -- alignment -----------------------------------------------------------------------

    @staticmethod
    def align(values: list[Value]) -> tuple[list[npt.NDArray[Any]], int]:
        """Reshape the values so that numpy, broadcasting whole arrays, broadcasts their
        items by its own rule and their batches apart: the arrays and the item rank.

        Item shapes broadcast from their last axis (a vector of 3 with a 4×3 matrix is each
        row with the vector). Left to itself numpy would also line a vector's axis up with
        a matrix's batch axis, so axes of length 1 go between each value's batch axes and
        its item axes, and leading ones give every value as many batch axes as the
        deepest: batch axes then meet only batch axes, and item axes item axes.
        """
        items = [v.item_shape for v in values]
        try:
            item = tuple(np.broadcast_shapes(*items))
        except ValueError as error:
            raise EvaluationError(_cannot_combine(items)) from error
        batches = [v.data.shape[: v.data.ndim - v.rank] for v in values]
        batch = _batch_shape(batches)
        _check_size(batch + item)
        rank = len(item)
        arrays = [
            v.data.reshape((1,) * (len(batch) - len(b)) + b + (1,) * (rank - v.rank) + v.item_shape)
            for v, b in zip(values, batches, strict=True)
        ]
        return arrays, rank

    def elementwise(self, op: str, values: list[Value]) -> Value:
        (a, b), rank = self.align(values)
        return Value(np.asarray(_BINARY[op](a, b)), rank)

    def matmul(self, left: Value, right: Value) -> Value:
        if left.rank == 0 or right.rank == 0 or left.rank + right.rank > 4:
            raise EvaluationError("@ multiplies vectors and matrices")
        if left.item_shape[-1] != right.item_shape[0]:
            raise EvaluationError(
                f"@ needs matching inner sizes: {describe_shape(left.item_shape)}"
                f" @ {describe_shape(right.item_shape)}"
            )
        a, b = left.data, right.data
        if right.rank == 1:
            b = b[..., None]
        if left.rank == 1:
            a = a[..., None, :]
        _check_size((*_batch_shape([a.shape[:-2], b.shape[:-2]]), a.shape[-2], b.shape[-1]))
        result = np.matmul(a, b)
        if right.rank == 1:
            result = result[..., 0]
        if left.rank == 1:
            result = result[..., 0, :] if right.rank == 2 else result[..., 0]
        return Value(result, left.rank + right.rank - 2)

    def stack(self, items: list[Value]) -> Value:
        shapes = list(dict.fromkeys(item.item_shape for item in items))
        if len(shapes) > 1:  # [[1, 2], 3] is ragged, not [[1, 2], [3, 3]]
            shown = " and ".join(describe_shape(s) for s in shapes)
            raise EvaluationError(f"list items have different shapes: {shown}")
        if len(shapes[0]) >= MAX_ITEM_RANK:
            raise EvaluationError(f"lists are nested too deeply (more than {MAX_ITEM_RANK} levels)")
        arrays, rank = self.align(items)  # bounds the size of each item, not yet of the list
        arrays = list(np.broadcast_arrays(*arrays))
        _check_size((len(arrays), *arrays[0].shape))
        return Value(np.stack(arrays, axis=arrays[0].ndim - rank), rank + 1)

    def index(self, base: Value, index: Value) -> Value:
        if base.rank == 0:
            raise EvaluationError("only vectors and matrices can be indexed")
        size = base.item_shape[0]
        position = _whole_number(index, "an index")
        if not -size <= position < size:
            raise EvaluationError(f"index {position} is out of range for {describe_shape(base.item_shape)}")
        axis = base.data.ndim - base.rank
        return Value(np.take(base.data, position, axis=axis), base.rank - 1)

    # -- functions -----------------------------------------------------------------------

    def call(self, func: str, args: list[Value]) -> Value:
        if func in _ELEMENTWISE:
            (arg,) = args
            return Value(_ELEMENTWISE[func](arg.data.astype(np.float64)), arg.rank)
        if func == "log":
            if len(args) == 2:  # log(x, base)
                (x, base), rank = self.align(args)
                return Value(np.log(x) / np.log(base), rank)
            return Value(np.log(args[0].data), args[0].rank)
        if func in ("min", "max"):
            if len(args) == 1:
                return self.reduce(args[0], np.min if func == "min" else np.max)
            arrays, rank = self.align(args)
            combine = np.minimum if func == "min" else np.maximum
            result = arrays[0]
            for array in arrays[1:]:
                result = combine(result, array)
            return Value(result, rank)
        if func == "clip":
            (x, lo, hi), rank = self.align(args)
            return Value(np.minimum(np.maximum(x, lo), hi), rank)
        if func == "where":
            (condition, a, b), rank = self.align(args)
            return Value(np.where(condition.astype(bool), a, b), rank)
        return self.vector_function(func, args)

    def item_axis(self, value: Value, axis_arg: Value | None) -> int:
        """The data axis of item axis `axis_arg` (default: the item's last axis)."""
        if value.rank == 0:
            raise EvaluationError("this function needs a vector or a matrix, got a number")
        if axis_arg is None:
            return value.data.ndim - 1
        position = _whole_number(axis_arg, "an axis")
        if not 0 <= position < value.rank:
            raise EvaluationError(f"axis {position} does not exist for {describe_shape(value.item_shape)}")
        return value.data.ndim - value.rank + position

    def reduce(self, value: Value, fn: Callable[..., Array], axis: Value | None = None) -> Value:
        return Value(fn(value.data, axis=self.item_axis(value, axis)), value.rank - 1)

    def vector_function(self, func: str, args: list[Value]) -> Value:
        first = args[0]
        axis = args[1] if len(args) > 1 else None
        match func:
            case "sum" | "mean" | "var" | "std":
                return self.reduce(first, getattr(np, func), axis)
            case "norm":
                return self.reduce(first, lambda d, axis: np.sqrt(np.sum(d * d, axis=axis)), axis)
            case "dot":
                # Two vectors of one length, as numpy's dot: broadcasting a vector of 1
                # (or a number) would make dot(x, [2]) the sum of x, doubled.
                if args[0].rank != 1 or args[0].item_shape != args[1].item_shape:
                    shapes = " and ".join(describe_shape(a.item_shape) for a in args)
                    raise EvaluationError(f"dot needs two vectors of the same length, got {shapes}")
                (a, b), _ = self.align(args)
                return Value(np.sum(a * b, axis=-1), 0)
            case "len":
                if first.rank == 0:
                    raise EvaluationError("len needs a vector or a matrix, got a number")
                return Value(np.asarray(float(first.item_shape[0])), 0)
            case "size":
                return Value(np.asarray(float(math.prod(first.item_shape))), 0)
            case "eye":
                return Value(np.eye(_eye_size(first)), 2)
            case "softmax" | "log_softmax":
                self.item_axis(first, None)
                return Value((_softmax if func == "softmax" else _log_softmax)(first.data), first.rank)
            case "logsumexp":
                self.item_axis(first, None)
                return Value(_logsumexp(first.data), first.rank - 1)
            case "outer":
                if args[0].rank != 1 or args[1].rank != 1:
                    raise EvaluationError("outer needs two vectors")
                left, right = args[0].data[..., :, None], args[1].data[..., None, :]
                batch = _batch_shape([left.shape[:-2], right.shape[:-2]])
                _check_size((*batch, left.shape[-2], right.shape[-1]))
                return Value(left * right, 2)
        if first.rank != 2 or (func != "transpose" and first.item_shape[0] != first.item_shape[1]):
            kind = "a matrix" if func == "transpose" else "a square matrix"
            raise EvaluationError(f"{func} needs {kind}, got {describe_shape(first.item_shape)}")
        match func:
            case "det":
                return Value(np.linalg.det(first.data), 0)
            case "trace":
                return Value(np.trace(first.data, axis1=-2, axis2=-1), 0)
            case "inv":
                try:
                    return Value(np.linalg.inv(first.data), 2)
                except np.linalg.LinAlgError as error:
                    raise EvaluationError("inv of a singular matrix") from error
            case "eigvalsh":
                try:
                    return Value(np.linalg.eigvalsh(first.data), 1)
                except np.linalg.LinAlgError as error:  # NaN or infinite entries
                    raise EvaluationError(f"eigvalsh did not converge: {error}") from error
            case "transpose":
                return Value(np.swapaxes(first.data, -1, -2), 2)
        raise EvaluationError(f"unknown function {func!r}")


def _check_size(shape: tuple[int, ...]) -> None:
    """Refuse to build an array of more than `MAX_ELEMENTS` numbers."""
    if math.prod(shape) > MAX_ELEMENTS:
        raise EvaluationError(f"the result would hold more than {MAX_ELEMENTS:,} numbers")


def _cannot_combine(shapes: list[tuple[int, ...]]) -> str:
    """Why items of these shapes do not broadcast, in the items' terms (never the batch's)."""
    shown = [describe_shape(shape) for shape in dict.fromkeys(shapes)]
    listed = " with ".join(shown) if len(shown) == 2 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return (
        f"cannot combine {listed}: shapes are matched from their last axis, where sizes"
        " must be equal or 1 (a vector of 3 goes with each row of an n×3 matrix, as in numpy)"
    )


def _batch_shape(batches: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The batch shape the values' batch shapes broadcast to.

    Values evaluated together come from one batch, so this fails only when a caller
    passes names with different numbers of instances; the message says that.
    """
    try:
        return tuple(np.broadcast_shapes(*batches))
    except ValueError as error:
        counts = sorted({math.prod(b) for b in batches if b})
        raise EvaluationError(
            "the values given for one evaluation have different numbers of instances: "
            + " and ".join(f"{n:,}" for n in counts)
        ) from error


def _eye_size(value: Value) -> int:
    """The n of eye(n): a whole number from 1 to `MAX_EYE`, the same in every instance
    (an item's shape cannot vary within a batch)."""
    if value.rank != 0:
        raise EvaluationError(f"eye(n) needs a single whole number n, got {describe_shape(value.item_shape)}")
    if value.data.ndim != 0:
        raise EvaluationError("eye(n) needs one n for every instance: a number such as 3, or len(x)")
    number = float(value.data)
    if not (math.isfinite(number) and number == round(number) and 1 <= number <= MAX_EYE):
        raise EvaluationError(f"eye(n) needs a whole number n from 1 to {MAX_EYE:,}, not {number:g}")
    return int(number)


def _whole_number(value: Value, what: str) -> int:
    """The whole number a single-number `value` holds (an index, an axis), or an error saying why not."""
    if value.rank != 0 or value.data.ndim != 0:
        raise EvaluationError(f"{what} must be a single whole number")
    number = float(value.data)
    if not math.isfinite(number) or number != round(number):
        raise EvaluationError(f"{what} must be a whole number, not {number:g}")
    if abs(number) > MAX_ELEMENTS:
        raise EvaluationError(f"{what} of {number:g} is out of range")
    return int(number)


_BINARY: Final[dict[str, Callable[[npt.NDArray[Any], npt.NDArray[Any]], object]]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal,
}  # fmt: skip
