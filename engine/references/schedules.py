"""Learning-rate schedule references: the lr after t scheduler steps, from the real scheduler.

A scheduler with the given parameters is attached to a one-parameter SGD and stepped the
usual way (optimizer.step(), then scheduler.step()) up to the largest t asked for; the
lr is read from the optimizer's param group after each step. Instances sharing their
parameters share one run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    as_count,
    as_flag,
    per_group,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

MakeScheduler = Callable[["torch.optim.Optimizer", dict[str, float]], Any]
"""Builds the scheduler under test on an optimizer, from the shared parameters."""


def _schedule(make: MakeScheduler, hyper: list[str], start_lr: str, outputs: list[str]) -> Compute:
    """Step `make`'s scheduler and read `outputs` ("lr", "momentum") at each instance's t."""

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import numpy as np
        import torch

        def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
            steps = [as_count(float(t), "t") for t in arrays["t"][idx]]
            param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64, device=device))
            # momentum > 0 so that OneCycleLR has a momentum to cycle; SGD ignores it
            # here (there are no gradients).
            optimizer = torch.optim.SGD([param], lr=h[start_lr], momentum=0.9)
            scheduler = make(optimizer, h)
            group = optimizer.param_groups[0]
            trace = [[group[name] for name in outputs]]
            for _ in range(max(steps)):
                optimizer.step()
                scheduler.step()
                trace.append([group[name] for name in outputs])
            values = np.array(trace, dtype=np.float64)[steps]
            return {name: values[:, k] for k, name in enumerate(outputs)}

        return per_group(arrays, hyper, run)

    return compute


def _step_lr(optimizer: torch.optim.Optimizer, h: dict[str, float]) -> Any:
    from torch.optim import lr_scheduler

    step_size = as_count(h["step_size"], "step_size", minimum=1)
    return lr_scheduler.StepLR(optimizer, step_size, gamma=h["gamma"])


def _exponential_lr(optimizer: torch.optim.Optimizer, h: dict[str, float]) -> Any:
    from torch.optim import lr_scheduler

    return lr_scheduler.ExponentialLR(optimizer, gamma=h["gamma"])


def _cosine_annealing_lr(optimizer: torch.optim.Optimizer, h: dict[str, float]) -> Any:
    from torch.optim import lr_scheduler

    T_max = as_count(h["T_max"], "T_max", minimum=1)
    return lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=h["eta_min"])


def _linear_lr(optimizer: torch.optim.Optimizer, h: dict[str, float]) -> Any:
    from torch.optim import lr_scheduler

    return lr_scheduler.LinearLR(
        optimizer,
        start_factor=h["start_factor"],
        end_factor=h["end_factor"],
        total_iters=as_count(h["total_iters"], "total_iters"),
    )


def _one_cycle_lr(optimizer: torch.optim.Optimizer, h: dict[str, float]) -> Any:
    from torch.optim import lr_scheduler

    return lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=h["max_lr"],
        total_steps=as_count(h["total_steps"], "total_steps", minimum=1),
        pct_start=h["pct_start"],
        div_factor=h["div_factor"],
        final_div_factor=h["final_div_factor"],
        three_phase=as_flag(h["three_phase"], "three_phase"),
        base_momentum=h["base_momentum"],
        max_momentum=h["max_momentum"],
    )


T = Param("t", (), None, "the number of scheduler.step() calls so far (0: the initial lr)")
LR = Param("base_lr", (), None, "the optimizer's initial lr (there is no torch default)")
LR_OUT = Output("lr", (), "the learning rate after t steps")
COSINE = "eta_min + 0.5 * (base_lr - eta_min) * (1 + cos(pi * t / T_max))"


def _reference(
    name: str,
    summary: str,
    torch_class: str,
    params: tuple[Param, ...],
    make: MakeScheduler,
    mistakes: tuple[Mistake, ...] = (),
    outputs: tuple[Output, ...] = (LR_OUT,),
) -> Reference:
    hyper = [p.name for p in params]
    start_lr = "max_lr" if "max_lr" in hyper else "base_lr"
    return Reference(
        name=name,
        summary=summary,
        torch_api=f"torch.optim.lr_scheduler.{torch_class}",
        inputs=(T, *params),
        outputs=outputs,
        mistakes=mistakes,
        topic="schedules",
        compute=_schedule(make, hyper, start_lr, [o.name for o in outputs]),
    )


REFERENCES = (
    _reference(
        "step_lr",
        "base_lr·gamma^⌊t/step_size⌋: decay by gamma every step_size steps.",
        "StepLR",
        (LR, Param("step_size", (), None, "steps between decays"), Param("gamma", (), 0.1, "")),
        _step_lr,
        (
            Mistake(
                "continuous-decay",
                "lr",
                "base_lr * gamma ^ (t / step_size)",
                "Decayed continuously; StepLR keeps lr constant for step_size steps, "
                "then multiplies it by gamma.",
            ),
        ),
    ),
    _reference(
        "exponential_lr",
        "base_lr·gamma^t.",
        "ExponentialLR",
        (LR, Param("gamma", (), None, "decay per step")),
        _exponential_lr,
        (
            Mistake(
                "off-by-one",
                "lr",
                "base_lr * gamma ^ (t + 1)",
                "Decayed once too often; after t steps the lr is lr·γ^t (t = 0: lr).",
            ),
        ),
    ),
    _reference(
        "cosine_annealing_lr",
        "eta_min + ½(base_lr − eta_min)(1 + cos(πt/T_max)); not clamped after T_max (it rises "
        "again, period 2·T_max).",
        "CosineAnnealingLR",
        (LR, Param("T_max", (), None, "half period, in steps"), Param("eta_min", (), 0.0, "")),
        _cosine_annealing_lr,
        (
            Mistake(
                "clamped-after-T_max",
                "lr",
                f"where(t > T_max, eta_min, {COSINE})",
                "Held eta_min after T_max; CosineAnnealingLR keeps following the cosine "
                "and climbs back to lr at 2·T_max.",
            ),
            Mistake(
                "missing-half",
                "lr",
                "eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max))",
                "Forgot the ½: the cosine term is ½(lr − η_min)(1 + cos(πt/T)).",
            ),
        ),
    ),
    _reference(
        "linear_lr",
        "base_lr·[s + (e − s)·min(t, total_iters)/total_iters]: a linear warm-up (or decay).",
        "LinearLR",
        (
            LR,
            Param("start_factor", (), 1 / 3, "s: the factor at t = 0 (must be > 0)"),
            Param("end_factor", (), 1.0, "e: the factor from t = total_iters on"),
            Param("total_iters", (), 5.0, "steps from s to e"),
        ),
        _linear_lr,
        (
            Mistake(
                "warmup-from-zero",
                "lr",
                "base_lr * min(t, total_iters) / total_iters",
                "Started the warm-up at 0; LinearLR starts at start_factor·lr (1/3 by default, "
                "and it must be > 0).",
            ),
        ),
    ),
    _reference(
        "one_cycle_lr",
        "One cycle: cosine from max_lr/div_factor up to max_lr (until step pct_start·total − 1), "
        "then down to initial/final_div_factor; momentum cycles the other way.",
        "OneCycleLR",
        (
            Param("max_lr", (), None, "the peak lr (the optimizer's own lr is ignored)"),
            Param("total_steps", (), None, "length of the cycle; t ≤ total_steps"),
            Param("pct_start", (), 0.3, "fraction of the cycle spent increasing"),
            Param("div_factor", (), 25.0, "initial lr = max_lr/div_factor"),
            Param("final_div_factor", (), 1e4, "min lr = initial lr/final_div_factor"),
            Param("three_phase", (), 0.0, "1: a third phase annealing to the min lr"),
            Param("base_momentum", (), 0.85, "momentum at the lr peak"),
            Param("max_momentum", (), 0.95, "momentum at the start and end"),
        ),
        _one_cycle_lr,
        outputs=(LR_OUT, Output("momentum", (), "the (cycled) momentum after t steps")),
    ),
)
