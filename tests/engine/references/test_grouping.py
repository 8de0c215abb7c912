"""torch is called once per distinct set of hyperparameters: counted, not assumed."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.authoring.symbolic_points import SETTINGS
from engine.references import run_reference
from engine.references.registry import group_instances, recording_groupings


class Counted:
    """Counts calls of a torch class or function, and the optimizers' add_param_group."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.calls: dict[str, int] = {}

    def count(self, owner: object, name: str) -> None:
        original = getattr(owner, name)
        key = f"{getattr(owner, '__name__', owner)}.{name}".removeprefix("torch.").removeprefix("optim.")
        self.calls[key] = 0

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[key] += 1
            return original(*args, **kwargs)

        self.monkeypatch.setattr(owner, name, counted)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    yield Counted(monkeypatch)


def distinct(*columns: np.ndarray) -> int:
    return len(set(zip(*(c.tolist() for c in columns), strict=True)))


def test_instances_are_grouped_by_their_values_in_instance_order() -> None:
    arrays = {"lr": np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1]), "x": np.arange(6.0)}
    groups = group_instances(arrays, ["lr"])
    assert [g.tolist() for g in groups] == [[0, 2, 5], [1, 4], [3]]
    assert [g.tolist() for g in group_instances(arrays, [])] == [[0, 1, 2, 3, 4, 5]]
    assert len(group_instances(arrays, ["x"])) == 6  # every instance differs: a group each
    vector = {"w": np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])}
    assert [g.tolist() for g in group_instances(vector, ["w"])] == [[0, 1], [2]]


def test_grouping_is_never_quadratic() -> None:
    """100,000 instances that all differ: found by sorting, in well under a second."""
    import time

    arrays = {"lr": np.random.default_rng(0).uniform(size=100_000)}
    started = time.perf_counter()
    groups = group_instances(arrays, ["lr"])
    assert len(groups) == 100_000
    assert time.perf_counter() - started < 2.0


def test_an_optimizer_step_builds_one_optimizer_per_distinct_setting(counted: Counted) -> None:
    counted.count(torch.optim.Adam, "step")
    counted.count(torch.optim.Optimizer, "add_param_group")
    counted.count(torch.optim, "Adam")
    rng = np.random.default_rng(0)
    n = 120
    inputs = {
        "theta_prev": rng.uniform(-1, 1, n),
        "grad": rng.uniform(-1, 1, n),
        "m_prev": rng.uniform(-0.1, 0.1, n),
        "v_prev": rng.uniform(0.01, 0.1, n),
        "t": rng.integers(1, 3, n).astype(float),
        "lr": rng.choice([0.1, 0.01, 0.001], n),
        "beta2": rng.choice([0.99, 0.999], n),
    }
    settings = distinct(inputs["lr"], inputs["beta2"], inputs["t"])
    assert settings == 12
    run_reference("adam_step", inputs, n=n, device="cpu")
    assert counted.calls["Adam"] == settings
    assert counted.calls["Adam.step"] == settings
    # each optimizer holds one parameter tensor: one param group, added once
    assert counted.calls["Optimizer.add_param_group"] == settings


def test_a_trajectory_where_every_instance_differs_is_one_optimizer_each(counted: Counted) -> None:
    counted.count(torch.optim, "SGD")
    counted.count(torch.optim.Optimizer, "add_param_group")
    n = 50
    inputs = {"theta0": np.zeros(n), "grads": np.ones((n, 3)), "lr": np.linspace(0.01, 0.5, n)}
    theta = run_reference("sgd_trajectory", inputs, n=n, device="cpu")["theta"]
    assert counted.calls["SGD"] == n
    assert counted.calls["Optimizer.add_param_group"] == n
    np.testing.assert_allclose(theta[:, -1], -3 * inputs["lr"])


def test_a_loss_is_called_once_per_distinct_hyperparameter(counted: Counted) -> None:
    counted.count(F, "huber_loss")
    rng = np.random.default_rng(1)
    n = 200
    inputs = {
        "input": rng.normal(size=(n, 4)),
        "target": rng.normal(size=(n, 4)),
        "delta": rng.choice([0.5, 1.0, 2.0], n),
    }
    loss = run_reference("huber", inputs, n=n, device="cpu")["loss"]
    assert counted.calls["nn.functional.huber_loss"] == 3
    one = run_reference("huber", {k: v[7] for k, v in inputs.items()}, n=1, device="cpu")["loss"]
    assert loss[7] == one[0]


def test_a_schedule_runs_once_per_distinct_setting(counted: Counted) -> None:
    counted.count(torch.optim.lr_scheduler, "CosineAnnealingLR")
    n = 90
    grid = list(itertools.product([0.1, 0.01], [10.0, 20.0, 50.0]))
    inputs = {
        "base_lr": np.array([grid[i % 6][0] for i in range(n)]),
        "T_max": np.array([grid[i % 6][1] for i in range(n)]),
        "eta_min": np.zeros(n),
        "t": np.arange(n, dtype=float) % 12,
    }
    run_reference("cosine_annealing_lr", inputs, n=n, device="cpu")
    assert counted.calls["lr_scheduler.CosineAnnealingLR"] == 6


def test_groupings_are_recorded_by_input_name() -> None:
    with recording_groupings() as found:
        run_reference("adam_step", {"theta_prev": [0.0, 1.0], "grad": [0.5, -0.5]}, n=2, device="cpu")
    assert ("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "t") in [
        tuple(sorted(names, key=["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "t"].index))
        for names in found
        if "lr" in names
    ]


def test_a_symbolic_card_meets_torch_at_a_bounded_number_of_settings(
    counted: Counted, write_deck: Any
) -> None:
    """10× the points is not 10× the optimizers: the hyperparameters take `SETTINGS` settings."""
    from engine.authoring.validation import validate

    deck: Path = write_deck(
        "---\ntitle: T\nid: t\n---\n\n## Adam {#adam}\n\n```quiz\nkind: symbolic\nvariables:\n"
        "  theta_prev: real\n  grad: real\n  lr: positive\n  beta1: (0, 1)\n  beta2: (0, 1)\n"
        "  eps: positive\nanswer: theta_prev - lr*grad/(abs(grad) + eps)\nreference:\n  name: adam_step\n"
        "  output: theta\n```\n\nAdam's first step.\n"
    )
    counted.count(torch.optim, "Adam")
    report = validate([deck], samples=1000)
    assert report.problems == []
    assert counted.calls["Adam"] <= SETTINGS + 2  # and two to see what torch groups by


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_batch_stays_on_the_device_and_gives_what_the_cpu_gives() -> None:
    from engine.authoring.validation import validate
    from tests.conftest import FIXTURES

    rng = np.random.default_rng(2)
    n = 300
    inputs = {
        "theta_prev": rng.uniform(-1, 1, n),
        "grad": rng.uniform(-1, 1, n),
        "m_prev": rng.uniform(-0.1, 0.1, n),
        "v_prev": rng.uniform(0.01, 0.1, n),
        "t": rng.integers(1, 4, n).astype(float),
        "lr": rng.choice([0.1, 0.01], n),
    }
    for name in ("adam_step", "nadam_step", "rmsprop_step", "adagrad_step"):
        known = {k: v for k, v in inputs.items() if k != "m_prev" or name != "adagrad_step"}
        if name == "adagrad_step":
            known = {k: v for k, v in known.items() if k != "v_prev"}
        cuda = run_reference(name, known, n=n, device="cuda")
        cpu = run_reference(name, known, n=n, device="cpu")
        for output, value in cpu.items():
            np.testing.assert_allclose(
                cuda[output], value, rtol=1e-12, atol=1e-14, err_msg=f"{name}.{output}"
            )
    losses = {
        "input": rng.normal(size=(n, 4)),
        "target": rng.normal(size=(n, 4)),
        "delta": rng.choice([0.5, 2.0], n),
    }
    np.testing.assert_allclose(
        run_reference("huber", losses, n=n, device="cuda")["loss"],
        run_reference("huber", losses, n=n, device="cpu")["loss"],
        rtol=1e-12,
    )
    wrong = FIXTURES / "eps_placement" / "wrong.md"
    on_cuda = validate([wrong], samples=200, device="cuda")
    assert [p.line for p in on_cuda.problems] == [
        p.line for p in validate([wrong], samples=200, device="cpu").problems
    ]
