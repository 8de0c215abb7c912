"""Learning-rate schedule references against the closed forms written out by hand."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from torch.optim import lr_scheduler

from engine.references import ReferenceInputError, get_reference, run_reference

T = np.arange(0, 21, dtype=float)


def lrs(name: str, **inputs: object) -> np.ndarray:
    return run_reference(name, {"t": T, **inputs}, n=len(T))["lr"]  # type: ignore[arg-type]


def test_closed_forms() -> None:
    np.testing.assert_allclose(
        lrs("step_lr", base_lr=0.1, step_size=3), 0.1 * 0.1 ** np.floor(T / 3), rtol=1e-12
    )
    np.testing.assert_allclose(lrs("exponential_lr", base_lr=0.1, gamma=0.9), 0.1 * 0.9**T, rtol=1e-12)
    cosine = lrs("cosine_annealing_lr", base_lr=0.1, T_max=10, eta_min=0.01)
    np.testing.assert_allclose(cosine, 0.01 + 0.5 * 0.09 * (1 + np.cos(np.pi * T / 10)), atol=1e-12)
    np.testing.assert_allclose(
        lrs("cosine_annealing_lr", base_lr=0.1, T_max=10)[[5, 10, 15, 20]], [0.05, 0, 0.05, 0.1], atol=1e-12
    )
    linear = lrs("linear_lr", base_lr=0.1)
    np.testing.assert_allclose(linear, 0.1 * (1 / 3 + (2 / 3) * np.minimum(T, 5) / 5), atol=1e-12)


def test_one_cycle() -> None:
    t = np.arange(10.0)
    out = run_reference("one_cycle_lr", {"t": t, "max_lr": 0.1, "total_steps": 10}, n=10)
    initial, end1 = 0.1 / 25, 0.3 * 10 - 1
    minimum = initial / 1e4

    def cos_anneal(a: float, b: float, p: float) -> float:
        return b + (a - b) * (1 + math.cos(math.pi * p)) / 2

    expected = [
        cos_anneal(initial, 0.1, k / end1) if k <= end1 else cos_anneal(0.1, minimum, (k - end1) / (9 - end1))
        for k in t
    ]
    np.testing.assert_allclose(out["lr"], expected, atol=1e-12)
    np.testing.assert_allclose(out["lr"][[0, 3, 9]], [0.004, 0.09505, 4e-7], atol=1e-5)
    np.testing.assert_allclose(out["momentum"][[0, 2, 9]], [0.95, 0.85, 0.95], atol=1e-12)
    with pytest.raises(ReferenceInputError, match="total steps"):
        run_reference("one_cycle_lr", {"t": 11, "max_lr": 0.1, "total_steps": 10}, n=1)


def test_defaults_are_torchs() -> None:
    for name, cls in (
        ("step_lr", lr_scheduler.StepLR),
        ("cosine_annealing_lr", lr_scheduler.CosineAnnealingLR),
        ("linear_lr", lr_scheduler.LinearLR),
        ("one_cycle_lr", lr_scheduler.OneCycleLR),
    ):
        signature = inspect.signature(cls).parameters
        for param in get_reference(name).inputs:
            if param.name in signature and param.default is not None:
                assert param.default == float(signature[param.name].default), (name, param.name)
