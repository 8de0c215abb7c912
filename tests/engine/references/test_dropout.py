"""The dropout reference: inverted scaling in training, identity in evaluation."""

from __future__ import annotations

import numpy as np
import torch

from engine.references import get_reference, run_reference


def test_inverted_dropout_scale() -> None:
    p = np.array([0.0, 0.3, 0.5, 0.9, 1.0])
    before = torch.random.get_rng_state()
    out = run_reference("dropout_scale", {"p": p}, n=len(p))
    assert torch.equal(before, torch.random.get_rng_state())  # the caller's RNG is untouched
    np.testing.assert_allclose(out["scale"], [1.0, 1 / 0.7, 2.0, 10.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(out["scale"][1], 1.4285714286, atol=1e-10)
    np.testing.assert_array_equal(out["eval_scale"], np.ones(len(p)))


def test_default_p_is_torchs() -> None:
    assert get_reference("dropout_scale").input("p").default == torch.nn.Dropout().p
