"""Running a torch optimizer for the optimizer references: the specs' shape, one real step, a trajectory.

`OptimizerSpec` says what a torch optimizer needs (hyperparameters, state, mistakes);
`step_reference` and `trajectory_reference` turn a spec into references that build the
optimizer, load the given state with `load_state_dict` (the path by which torch resumes
from a checkpoint), take real `step()`s and read the state back. The specs themselves,
one per torch optimizer, are in `engine.references.optimizers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.references.device_runs import DeviceBatch, DeviceOutputs
from engine.references.registry import (
    Arrays,
    Mistake,
    Output,
    Param,
    Reference,
    as_count,
    as_flag,
    group_instances,
    scalars,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

FLAGS = ("nesterov", "amsgrad", "centered", "decoupled_weight_decay")
"""Hyperparameters that torch takes as booleans (given here as 0/1)."""


@dataclass(frozen=True)
class StateEntry:
    """One tensor of optimizer state: our name for it and torch's key in `state[p]`."""

    name: str
    torch_key: str
    doc: str


@dataclass(frozen=True)
class OptimizerSpec:
    """What the step and trajectory references of one torch optimizer need to know."""

    key: str
    torch_class: str
    title: str
    hyper: tuple[Param, ...]
    state: tuple[StateEntry, ...]
    mistakes: tuple[Mistake, ...] = ()
    counter: bool = True
    """Whether torch keeps state["step"]; `t` is then an input of the step reference."""
    derived: tuple[Output, ...] = ()
    """Further outputs of the step reference, derived from torch's results by `derive`."""
    derive: Callable[[Arrays, Arrays], Arrays] | None = None
    """(inputs, torch's outputs) -> the derived outputs."""
    initial: tuple[Param, ...] = ()
    """Constructor arguments that only set torch's initial state (Adagrad's
    initial_accumulator_value): inputs of the trajectory, which starts from that state; the
    step reference is given its state instead, so they would do nothing there."""


def torch_options(hyper: dict[str, float]) -> dict[str, Any]:
    """Our hyperparameter values as torch's constructor arguments (betas, booleans)."""
    options: dict[str, Any] = {}
    for name, value in hyper.items():
        if name in FLAGS:
            options[name] = as_flag(value, name)
        elif name not in ("beta1", "beta2"):
            options[name] = value
    if "beta1" in hyper:
        options["betas"] = (hyper["beta1"], hyper["beta2"])
    return options


def nadam_mu_product(steps: int, beta1: float, momentum_decay: float) -> float:
    """NAdam's state["mu_product"] after `steps` steps: ∏ β1(1 − 0.5·0.96^(i·ψ)).

    The step reference must hand torch the state it would hold before step t; this
    product is that state, a function of t alone (tests compare it with torch's own).
    """
    product = 1.0
    for i in range(1, steps + 1):
        product *= beta1 * (1.0 - 0.5 * 0.96 ** (i * momentum_decay))
    return product


# A state tensor torch keeps only when this hyperparameter is nonzero (absent otherwise).
KEPT_WHEN = {"max_exp_avg_sq": "amsgrad", "grad_avg": "centered", "momentum_buffer": "momentum"}


@dataclass(frozen=True)
class _Group:
    """The instances `idx` that share their hyperparameters: one parameter tensor, one optimizer."""

    optimizer: torch.optim.Optimizer
    param: torch.nn.Parameter
    idx: np.ndarray


def _build(
    spec: OptimizerSpec,
    batch: DeviceBatch,
    theta: str,
    arguments: list[str],
    keys: list[str],
) -> list[_Group]:
    """One torch optimizer per group of instances, each over one parameter tensor.

    Instances are grouped by `keys`: the constructor `arguments`, and for a single step the
    step counter too, since torch keeps one counter per parameter tensor. Each group's
    hyperparameters are constructor arguments, as in a user's code, not param-group
    entries: torch validates them only there (lr ≥ 0, Nesterov needs momentum, ...), and
    some act only there (Adagrad fills state["sum"] from the constructor's
    initial_accumulator_value, whatever a param group says). So torch is called once per
    distinct set of hyperparameters, and never adds a param group (each `add_param_group`
    checks every parameter added before it: one optimizer of N groups costs N²).
    """
    import torch

    optimizer_class = getattr(torch.optim, spec.torch_class)
    groups = []
    for idx in group_instances(batch.arrays, keys):
        param = torch.nn.Parameter(batch.rows(theta, idx))
        options = torch_options(scalars(batch.arrays, int(idx[0]), arguments))
        groups.append(_Group(optimizer_class([param], **options), param, idx))
    return groups


def _initial_state(spec: OptimizerSpec, batch: DeviceBatch, idx: np.ndarray) -> dict[str, torch.Tensor]:
    """The state torch would hold before step t, built from the `_prev` inputs."""
    import torch

    first = int(idx[0])
    hyper = scalars(batch.arrays, first, [p.name for p in spec.hyper])
    t = as_count(float(batch.arrays["t"][first]), "t", minimum=1)
    state: dict[str, torch.Tensor] = {}
    if spec.counter:
        # torch's own initial step: a CPU float tensor of the default scalar dtype.
        state["step"] = torch.tensor(float(t - 1))
    for entry in spec.state:
        kept_when = KEPT_WHEN.get(entry.torch_key)
        if kept_when is not None and hyper[kept_when] == 0.0:
            continue
        if entry.torch_key == "momentum_buffer" and not spec.counter and t == 1:
            continue  # SGD: no buffer before the first step; torch then starts it as g
        if entry.torch_key == "mu_product":
            state["mu_product"] = torch.tensor(
                nadam_mu_product(t - 1, hyper["beta1"], hyper["momentum_decay"]),
                dtype=torch.float64,
            )
        else:
            state[entry.torch_key] = batch.rows(f"{entry.name}_prev", idx)
    return state


def _read_state(spec: OptimizerSpec, groups: list[_Group], out: DeviceOutputs) -> None:
    """Each state entry after stepping, from torch, where torch keeps it (`out` holds what it
    does not keep: the state given, unchanged, or zeros)."""
    for group in groups:
        state = group.optimizer.state[group.param]
        for entry in spec.state:
            if entry.torch_key in state:
                # A per-tensor scalar (NAdam's mu_product) is shared by the whole group.
                out.put(entry.name, group.idx, state[entry.torch_key])


def _step(spec: OptimizerSpec, arrays: Arrays, device: torch.device) -> Arrays:
    """One real optimizer.step() from the given state, for every instance at once."""
    import numpy as np
    import torch

    batch = DeviceBatch(arrays, device)
    arguments = [p.name for p in spec.hyper]
    groups = _build(spec, batch, "theta_prev", arguments, [*arguments, "t"])
    out = DeviceOutputs(batch.count, device)
    everyone = np.arange(batch.count)
    for entry in spec.state:  # state torch does not keep in a configuration comes back unchanged
        given = f"{entry.name}_prev"
        kept = batch.whole(given) if given in arrays else torch.zeros(batch.count, dtype=torch.float64)
        out.put(entry.name, everyone, kept)
    for group in groups:
        group.param.grad = batch.rows("grad", group.idx)
        param_groups = group.optimizer.state_dict()["param_groups"]
        state = {0: _initial_state(spec, batch, group.idx)}
        group.optimizer.load_state_dict({"state": state, "param_groups": param_groups})
        group.optimizer.step()
        out.put("theta", group.idx, group.param)
    _read_state(spec, groups, out)
    result = out.numpy()
    if spec.derive is not None:
        result.update(spec.derive(arrays, result))
    return result


def _trajectory(spec: OptimizerSpec, arrays: Arrays, device: torch.device) -> Arrays:
    """Steps from torch's own initial state, one gradient per step; θ after every step."""
    import numpy as np
    import torch

    batch = DeviceBatch(arrays, device)
    arguments = [p.name for p in (*spec.hyper, *spec.initial)]
    groups = _build(spec, batch, "theta0", arguments, arguments)
    out = DeviceOutputs(batch.count, device)
    everyone = np.arange(batch.count)
    for entry in spec.state:
        out.put(entry.name, everyone, torch.zeros(batch.count, dtype=torch.float64))
    for group in groups:
        grads = batch.rows("grads", group.idx)
        record = []
        for k in range(grads.shape[1]):
            group.param.grad = grads[:, k].contiguous()
            group.optimizer.step()
            record.append(group.param.detach().clone())
        out.put("theta", group.idx, torch.stack(record, dim=1))
    _read_state(spec, groups, out)
    return out.numpy()


def _state_params(spec: OptimizerSpec) -> tuple[Param, ...]:
    return tuple(
        Param(f"{entry.name}_prev", (), 0.0, f"{entry.doc} before the step (torch: {entry.torch_key})")
        for entry in spec.state
        if entry.torch_key != "mu_product"
    )


def _step_counter(spec: OptimizerSpec) -> Param:
    if not spec.counter:
        return Param(
            "t",
            (),
            1.0,
            "step number; at t = 1 torch has no momentum buffer and starts it as a copy of g "
            "(b_prev is then ignored)",
        )
    return Param("t", (), 1.0, "step number (1 for the first step); torch's state['step'] is t−1 before it")


def step_reference(spec: OptimizerSpec) -> Reference:
    """The reference for one step of `spec` from a given state."""
    outputs = [
        *(Output(entry.name, (), f"{entry.doc} after the step") for entry in spec.state),
        *spec.derived,
        Output("theta", (), "the parameter after the step"),
    ]
    return Reference(
        name=f"{spec.key}_step",
        summary=f"One step of {spec.title}, from a given state.",
        torch_api=f"torch.optim.{spec.torch_class}",
        inputs=(
            Param("theta_prev", (), None, "the parameter θ before the step"),
            Param("grad", (), None, "the gradient of the loss at θ"),
            *_state_params(spec),
            _step_counter(spec),
            *spec.hyper,
        ),
        outputs=tuple(outputs),
        mistakes=spec.mistakes,
        topic="optimizers",
        compute=lambda arrays, device: _step(spec, arrays, device),
    )


def trajectory_reference(spec: OptimizerSpec) -> Reference:
    """The reference for a run of `spec` from torch's initial state through a list of gradients."""
    return Reference(
        name=f"{spec.key}_trajectory",
        summary=f"Several steps of {spec.title} from torch's initial state, one gradient per step.",
        torch_api=f"torch.optim.{spec.torch_class}",
        inputs=(
            Param("theta0", (), None, "the parameter θ before the first step"),
            Param("grads", ("t",), None, "the gradient given at each step (not computed from θ)"),
            *spec.hyper,
            *spec.initial,
        ),
        outputs=(
            Output("theta", ("t",), "θ after each step"),
            *(Output(entry.name, (), f"{entry.doc} after the last step") for entry in spec.state),
        ),
        mistakes=(),
        topic="optimizers",
        compute=lambda arrays, device: _trajectory(spec, arrays, device),
    )
