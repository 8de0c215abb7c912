"""Initialization references: the bounds and standard deviations torch.nn.init samples with.

torch's init functions compute a bound or a std and then sample; they never return it.
So each one is run on a meta tensor (no memory, no values) under a dispatch mode that
records the arguments of the sampling call (aten.uniform_ / aten.normal_) instead of
sampling: the numbers are exactly the ones torch's own code computed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    as_count,
    group_instances,
    scalars,
)

if TYPE_CHECKING:
    import torch

Sizes = dict[str, float]
Recipe = Callable[[Sizes], dict[str, float]]
"""Computes a reference's outputs (Python floats) for one combination of its inputs."""


def sampled_with(*inits: Callable[[], object]) -> list[tuple[float, float]]:
    """The (low, high) or (mean, std) of every uniform_/normal_ call that `inits` make, in order.

    One recording session runs them all: a reference's outputs for one combination of its
    inputs (kaiming's four) cost one session, not four, since each distinct combination is
    run by torch on its own (`per_group`).
    """
    calls: list[tuple[float, float]] = []
    with _recorder()(calls):
        for init in inits:
            init()
    return calls


@cache
def _recorder() -> Callable[[list[tuple[float, float]]], Any]:
    """The dispatch mode that records sampling calls instead of sampling (a class built once)."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    sampling = (torch.ops.aten.uniform_.default, torch.ops.aten.normal_.default)

    class RecordSampling(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __init__(self, calls: list[tuple[float, float]]) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.calls = calls

        def __torch_dispatch__(
            self,
            func: object,
            types: object,
            args: tuple[object, ...] = (),
            kwargs: dict[str, object] | None = None,
        ) -> object:
            if func in sampling:
                # The two numbers come positionally or by name, depending on the call path.
                given = {**dict(zip(("a", "b"), args[1:3], strict=False)), **(kwargs or {})}
                low = given.get("a", given.get("from", given.get("mean", 0.0)))
                high = given.get("b", given.get("to", given.get("std", 1.0)))
                self.calls.append((float(low), float(high)))  # type: ignore[arg-type]
                return args[0]
            return func(*args, **(kwargs or {}))  # type: ignore[operator]

    return RecordSampling


def weight(h: Sizes) -> torch.Tensor:
    """A meta weight of shape (fan_out, fan_in), as nn.Linear stores it."""
    import torch

    fan_in = as_count(h["fan_in"], "fan_in", minimum=1)
    fan_out = as_count(h["fan_out"], "fan_out", minimum=1)
    return torch.empty(fan_out, fan_in, device="meta")


def _xavier(h: Sizes) -> dict[str, float]:
    from torch.nn import init

    (_, bound), (_, std) = sampled_with(
        lambda: init.xavier_uniform_(weight(h), gain=h["gain"]),
        lambda: init.xavier_normal_(weight(h), gain=h["gain"]),
    )
    return {"uniform_bound": bound, "normal_std": std}


def _kaiming(h: Sizes) -> dict[str, float]:
    from torch.nn import init

    names, inits, tensor = [], [], weight(h)  # a meta tensor: init only reads its shape
    for mode, suffix in (("fan_in", ""), ("fan_out", "_fan_out")):
        for init_fn, output in (
            (init.kaiming_uniform_, "uniform_bound"),
            (init.kaiming_normal_, "normal_std"),
        ):
            names.append(f"{output}{suffix}")
            inits.append(partial(init_fn, tensor, a=h["a"], mode=mode))  # type: ignore[arg-type]
    return {name: second for name, (_, second) in zip(names, sampled_with(*inits), strict=True)}


def _lecun(h: Sizes) -> dict[str, float]:
    from torch.nn import init

    shape = {"fan_in": h["fan_in"], "fan_out": 1.0}
    (_, std), (_, bound) = sampled_with(
        lambda: init.kaiming_normal_(weight(shape), nonlinearity="linear"),
        lambda: init.kaiming_uniform_(weight(shape), nonlinearity="linear"),
    )
    return {"normal_std": std, "uniform_bound": bound}


def _linear_default(h: Sizes) -> dict[str, float]:
    import torch

    fan_in = as_count(h["fan_in"], "fan_in", minimum=1)
    fan_out = as_count(h["fan_out"], "fan_out", minimum=1)
    (_, weight_bound), (_, bias_bound) = sampled_with(lambda: torch.nn.Linear(fan_in, fan_out, device="meta"))
    return {"weight_bound": weight_bound, "bias_bound": bias_bound}


def _fans(h: Sizes) -> dict[str, float]:
    import torch
    from torch.nn import init

    shape = [as_count(h[name], name, minimum=1) for name in ("out_features", "in_features")]
    receptive = as_count(h["receptive_field"], "receptive_field", minimum=1)
    tensor = torch.empty(*shape, *([receptive] if receptive > 1 else []), device="meta")
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(tensor)
    return {"fan_in": float(fan_in), "fan_out": float(fan_out)}


GAINS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _gains(h: Sizes) -> dict[str, float]:
    from torch.nn import init

    return {
        f"gain_{name}": float(init.calculate_gain(name, h["negative_slope"]))  # type: ignore[arg-type]
        for name in GAINS
    }


def _compute(recipe: Recipe) -> Compute:
    """Run `recipe` once per distinct combination of the (scalar) inputs.

    Each combination is a torch call of its own (torch.nn.init is Python over a shape), so
    the rest is kept out of the loop: the results are spread over the instances at the end.
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import numpy as np

        names = list(arrays)
        groups = group_instances(arrays, names)
        results = [recipe(scalars(arrays, int(idx[0]), names)) for idx in groups]
        which = np.empty(len(arrays[names[0]]), dtype=np.intp)
        for number, idx in enumerate(groups):
            which[idx] = number
        return {name: np.array([found[name] for found in results])[which] for name in results[0]}

    return compute


FAN_IN = Param("fan_in", (), None, "inputs per unit: size(1) of a Linear weight (out, in)")
FAN_OUT = Param("fan_out", (), None, "outputs per unit: size(0) of a Linear weight")


def _reference(
    name: str,
    summary: str,
    torch_api: str,
    inputs: tuple[Param, ...],
    outputs: tuple[Output, ...],
    recipe: Recipe,
    mistakes: tuple[Mistake, ...] = (),
) -> Reference:
    return Reference(name, summary, torch_api, inputs, outputs, mistakes, "initialization", _compute(recipe))


REFERENCES = (
    _reference(
        "fan_in_fan_out",
        "fan_in = size(1)·receptive field and fan_out = size(0)·receptive field of a weight.",
        "torch.nn.init._calculate_fan_in_and_fan_out",
        (
            Param("out_features", (), None, "size(0): output features or channels"),
            Param("in_features", (), None, "size(1): input features or channels"),
            Param("receptive_field", (), 1.0, "product of the kernel sizes (1 for Linear)"),
        ),
        (Output("fan_in", (), ""), Output("fan_out", (), "")),
        _fans,
        (
            Mistake(
                "fans-swapped",
                "fan_in",
                "out_features * receptive_field",
                "Took fan_in from size(0); a weight is (out, in), so fan_in = size(1)·k.",
            ),
        ),
    ),
    _reference(
        "calculate_gain",
        "The recommended gain of each nonlinearity.",
        "torch.nn.init.calculate_gain",
        (Param("negative_slope", (), 0.01, "leaky_relu's slope (param=None means 0.01)"),),
        tuple(Output(f"gain_{name}", (), f"calculate_gain('{name}')") for name in GAINS),
        _gains,
        (
            Mistake(
                "sqrt-2-for-leaky-relu",
                "gain_leaky_relu",
                "sqrt(2)",
                "Gave ReLU's √2; leaky_relu's gain is sqrt(2/(1 + s²)) with s = 0.01 by default (1.41414).",
            ),
            Mistake("tanh-gain-one", "gain_tanh", "1", "Gave 1 for tanh; torch recommends 5/3."),
        ),
    ),
    _reference(
        "xavier_init",
        "Xavier (Glorot): uniform bound gain·sqrt(6/(fan_in+fan_out)), normal std "
        "gain·sqrt(2/(fan_in+fan_out)).",
        "torch.nn.init.xavier_uniform_, torch.nn.init.xavier_normal_",
        (FAN_IN, FAN_OUT, Param("gain", (), 1.0, "scale, e.g. calculate_gain(...)")),
        (
            Output("uniform_bound", (), "xavier_uniform_ samples U(−bound, bound)"),
            Output("normal_std", (), "xavier_normal_ samples N(0, std²)"),
        ),
        _xavier,
        (
            Mistake(
                "lecun-variance",
                "normal_std",
                "gain / sqrt(fan_in)",
                "Used variance 1/n (that is LeCun); Xavier's is 2/(fan_in + fan_out).",
            ),
            Mistake(
                "no-factor-2",
                "normal_std",
                "gain * sqrt(1 / (fan_in + fan_out))",
                "Dropped the 2: Xavier's variance is 2/(fan_in + fan_out).",
            ),
            Mistake(
                "std-as-bound",
                "uniform_bound",
                "normal_std",
                "Used the std as the uniform bound; U(−b, b) has std b/√3, so b = √3·std.",
            ),
        ),
    ),
    _reference(
        "kaiming_init",
        "Kaiming (He) for leaky_relu(a) (a = 0: ReLU): std gain/sqrt(fan), bound √3·std.",
        "torch.nn.init.kaiming_uniform_, torch.nn.init.kaiming_normal_",
        (FAN_IN, FAN_OUT, Param("a", (), 0.0, "negative slope of the rectifier after the layer")),
        (
            Output("normal_std", (), "kaiming_normal_ std, mode='fan_in' (the default)"),
            Output("uniform_bound", (), "kaiming_uniform_ bound, mode='fan_in'"),
            Output("normal_std_fan_out", (), "kaiming_normal_ std, mode='fan_out'"),
            Output("uniform_bound_fan_out", (), "kaiming_uniform_ bound, mode='fan_out'"),
        ),
        _kaiming,
        (
            Mistake(
                "fan-out",
                "normal_std",
                "sqrt(2 / (1 + a ^ 2)) / sqrt(fan_out)",
                "Used the output dimension; torch's default mode is 'fan_in' (size(1)).",
            ),
            Mistake(
                "no-factor-2",
                "normal_std",
                "1 / sqrt(fan_in)",
                "Left out the ReLU gain √2 (that is LeCun); He's variance is 2/fan_in.",
            ),
            Mistake(
                "std-as-bound",
                "uniform_bound",
                "normal_std",
                "Used the std as the uniform bound; the bound is √3·std = sqrt(6/fan_in).",
            ),
        ),
    ),
    _reference(
        "lecun_init",
        "LeCun: std 1/sqrt(fan_in) (Kaiming with the linear gain 1; torch has no lecun_).",
        "torch.nn.init.kaiming_normal_/kaiming_uniform_(nonlinearity='linear')",
        (FAN_IN,),
        (
            Output("normal_std", (), "normal std 1/sqrt(fan_in)"),
            Output("uniform_bound", (), "uniform bound sqrt(3/fan_in)"),
        ),
        _lecun,
        (
            Mistake(
                "he-factor",
                "normal_std",
                "sqrt(2 / fan_in)",
                "Included ReLU's factor 2 (that is He); LeCun's variance is 1/fan_in.",
            ),
        ),
    ),
    _reference(
        "linear_default_init",
        "nn.Linear's default: weight and bias U(±1/sqrt(fan_in)) (kaiming_uniform_, a = √5).",
        "torch.nn.Linear.reset_parameters",
        (FAN_IN, FAN_OUT),
        (
            Output("weight_bound", (), "the weight's uniform bound"),
            Output("bias_bound", (), "the bias's uniform bound"),
        ),
        _linear_default,
        (
            Mistake(
                "he-uniform",
                "weight_bound",
                "sqrt(6 / fan_in)",
                "Assumed He (a = 0); nn.Linear uses a = √5, giving 1/sqrt(fan_in).",
            ),
            Mistake(
                "xavier-uniform",
                "weight_bound",
                "sqrt(6 / (fan_in + fan_out))",
                "Assumed Xavier; nn.Linear's default bound is 1/sqrt(fan_in).",
            ),
        ),
    ),
)
