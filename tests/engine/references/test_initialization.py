"""Initialization references against the formulas written out by hand."""

from __future__ import annotations

import math

import numpy as np

from engine.references import run_reference


def test_xavier_kaiming_lecun_linear() -> None:
    fan_in, fan_out = np.array([400.0, 72.0, 3.0]), np.array([600.0, 144.0, 5.0])
    n = len(fan_in)
    xavier = run_reference("xavier_init", {"fan_in": fan_in, "fan_out": fan_out, "gain": [1, 1, 2]}, n=n)
    gain = np.array([1, 1, 2])
    np.testing.assert_allclose(xavier["normal_std"], gain * np.sqrt(2 / (fan_in + fan_out)), rtol=1e-14)
    np.testing.assert_allclose(xavier["uniform_bound"], gain * np.sqrt(6 / (fan_in + fan_out)), rtol=1e-14)
    np.testing.assert_allclose(xavier["uniform_bound"][0], 0.077460, atol=1e-6)
    kaiming = run_reference("kaiming_init", {"fan_in": fan_in, "fan_out": fan_out, "a": [0, 0, 0.5]}, n=n)
    k_gain = np.sqrt(2 / (1 + np.array([0, 0, 0.5]) ** 2))
    np.testing.assert_allclose(kaiming["normal_std"], k_gain / np.sqrt(fan_in), rtol=1e-14)
    np.testing.assert_allclose(kaiming["uniform_bound"], math.sqrt(3) * k_gain / np.sqrt(fan_in), rtol=1e-14)
    np.testing.assert_allclose(kaiming["normal_std_fan_out"], k_gain / np.sqrt(fan_out), rtol=1e-14)
    np.testing.assert_allclose(
        kaiming["uniform_bound_fan_out"], math.sqrt(3) * k_gain / np.sqrt(fan_out), rtol=1e-14
    )
    lecun = run_reference("lecun_init", {"fan_in": fan_in}, n=n)
    np.testing.assert_allclose(lecun["normal_std"], 1 / np.sqrt(fan_in), rtol=1e-14)
    np.testing.assert_allclose(lecun["uniform_bound"], np.sqrt(3 / fan_in), rtol=1e-14)
    linear = run_reference("linear_default_init", {"fan_in": fan_in, "fan_out": fan_out}, n=n)
    np.testing.assert_allclose(linear["weight_bound"], 1 / np.sqrt(fan_in), rtol=1e-14)
    np.testing.assert_allclose(linear["bias_bound"], 1 / np.sqrt(fan_in), rtol=1e-14)


def test_gains_and_fans() -> None:
    gains = run_reference("calculate_gain", {"negative_slope": [0.01, 0.0, 0.2]}, n=3)
    np.testing.assert_allclose(gains["gain_leaky_relu"], np.sqrt(2 / (1 + np.array([0.01, 0, 0.2]) ** 2)))
    np.testing.assert_allclose(gains["gain_leaky_relu"][0], 1.414142857, atol=1e-9)
    for name, value in (
        ("linear", 1),
        ("sigmoid", 1),
        ("tanh", 5 / 3),
        ("relu", math.sqrt(2)),
        ("selu", 0.75),
    ):
        np.testing.assert_allclose(gains[f"gain_{name}"], value, rtol=1e-15)
    fans = run_reference(
        "fan_in_fan_out", {"out_features": [16, 600], "in_features": [8, 400], "receptive_field": [9, 1]}, n=2
    )
    np.testing.assert_array_equal(fans["fan_in"], [72, 400])
    np.testing.assert_array_equal(fans["fan_out"], [144, 600])
