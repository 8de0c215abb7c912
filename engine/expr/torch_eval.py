"""Evaluate a scalar expression tree with torch tensors, so autograd can differentiate it.

The curvature references (gradient, Hessian, Newton step of a function a deck writes as
an expression) need torch's own derivatives of that function; this walks the same inert
tree the parser builds, mapping each whitelisted operation to its torch counterpart. Only
scalar (elementwise) functions are supported: that is all a function of a point needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import EvaluationError
from engine.expr.ast import BinOp, Call, Compare, Constant, Name, Neg, Node, Number

if TYPE_CHECKING:
    import torch


def torch_evaluate(node: Node, env: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The value of `node` with the tensors in `env` (all broadcastable to one shape)."""
    import torch

    functions: dict[str, Callable[..., Any]] = {
        "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs,
        "sign": torch.sign, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
        "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh,
        "sech": lambda x: 1 / torch.cosh(x), "sigmoid": torch.sigmoid, "relu": torch.relu,
        "softplus": torch.nn.functional.softplus, "erf": torch.erf, "floor": torch.floor,
        "Phi": lambda x: 0.5 * torch.erfc(-x / math.sqrt(2.0)),
        "min": lambda *a: _fold(torch.minimum, a), "max": lambda *a: _fold(torch.maximum, a),
        "clip": lambda x, lo, hi: torch.minimum(torch.maximum(x, lo), hi),
        "where": lambda c, a, b: torch.where(c.bool(), a, b),
    }  # fmt: skip
    binary: dict[str, Callable[[Any, Any], Any]] = {
        "+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "^": torch.pow,
        "<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge, "=": torch.eq,
    }  # fmt: skip
    first = next(iter(env.values()), None)
    device = first.device if first is not None else None

    def constant(value: float) -> torch.Tensor:
        return torch.tensor(value, dtype=torch.float64, device=device)

    def walk(current: Node) -> torch.Tensor:
        match current:
            case Number(text):
                return constant(float(text))
            case Constant(name):
                return constant(math.pi if name == "pi" else math.e)
            case Name(name):
                if name not in env:
                    raise EvaluationError(f"no value for {name!r}")
                return env[name]
            case Neg(operand):
                return -walk(operand)
            case BinOp(op, left, right) if op in binary:
                return binary[op](walk(left), walk(right))  # type: ignore[no-any-return]
            case Compare(op, left, right):
                return binary[op](walk(left), walk(right)).to(torch.float64)  # type: ignore[no-any-return]
            case Call(func, args) if func in functions:
                if func == "log" and len(args) == 2:
                    return torch.log(walk(args[0])) / torch.log(walk(args[1]))
                return functions[func](*(walk(a) for a in args))  # type: ignore[no-any-return]
        raise EvaluationError("only scalar expressions can be differentiated (no vectors or matrices)")

    return walk(node)


def _fold(combine: Callable[[Any, Any], Any], values: tuple[Any, ...]) -> Any:
    result = values[0]
    for value in values[1:]:
        result = combine(result, value)
    return result
