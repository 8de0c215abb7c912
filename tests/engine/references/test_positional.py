"""Positional-encoding references against closed forms in numpy and second torch paths:
the Annotated Transformer's exp-log table, RoPE through complex multiplication
(torch.view_as_complex / torch.polar, as Meta's LLaMA code writes it), and the official
ALiBi slope recipe."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.references import ReferenceInputError, run_reference

RNG = np.random.default_rng(7)


def numpy_table(pos: np.ndarray, d: int, base: float = 10000.0) -> np.ndarray:
    """PE(pos) written out from the paper: PE(pos, 2i) = sin(pos/base^(2i/d)), PE(pos, 2i+1) = cos."""
    table = np.empty((len(pos), d))
    for i in range(d // 2):
        table[:, 2 * i] = np.sin(pos / base ** (2 * i / d))
        table[:, 2 * i + 1] = np.cos(pos / base ** (2 * i / d))
    return table


def annotated_transformer_table(pos: np.ndarray, d: int) -> np.ndarray:
    """The table as the Annotated Transformer builds it: div_term = exp(arange(0, d, 2)·(−ln 10000/d))."""
    position = torch.tensor(pos, dtype=torch.float64)[:, None]
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(len(pos), d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe.numpy()


def thetas(d: int, base: float | np.ndarray = 10000.0) -> np.ndarray:
    """θ_i = base^(−2i/d), i = 0..d/2−1 (a row per base when base is a column)."""
    return np.asarray(base, dtype=np.float64) ** (-2 * np.arange(d // 2) / d)


def rope_complex(x: np.ndarray, pos: np.ndarray, base: np.ndarray, interleaved: bool) -> np.ndarray:
    """RoPE as a complex product: each pair a + ib times e^{i·pos·θ}.

    Interleaved pairs are viewed as complex numbers with torch.view_as_complex, as in Meta's
    LLaMA apply_rotary_emb; split halves are paired with torch.complex(first, second).
    """
    t = torch.tensor(x, dtype=torch.float64)
    n, d = t.shape
    angle = torch.tensor(pos[:, None] * thetas(d, base[:, None]), dtype=torch.float64)
    rotation = torch.polar(torch.ones_like(angle), angle)
    if interleaved:
        rotated = torch.view_as_real(torch.view_as_complex(t.reshape(n, d // 2, 2).contiguous()) * rotation)
        return rotated.reshape(n, d).numpy()
    rotated = torch.complex(t[:, : d // 2], t[:, d // 2 :]) * rotation
    return torch.cat((rotated.real, rotated.imag), dim=-1).numpy()


def rope_numpy(x: np.ndarray, pos: float, interleaved: bool, base: float = 10000.0) -> np.ndarray:
    """One vector rotated pair by pair with explicit 2 × 2 rotation matrices."""
    d = len(x)
    y = np.empty(d)
    for i, theta in enumerate(thetas(d, base)):
        a, b = (2 * i, 2 * i + 1) if interleaved else (i, i + d // 2)
        c, s = np.cos(pos * theta), np.sin(pos * theta)
        y[a], y[b] = c * x[a] - s * x[b], s * x[a] + c * x[b]
    return y


def official_alibi_slopes(n: int) -> list[float]:
    """ALiBi's get_slopes from the paper's repository (ofirpress/attention_with_linear_biases)."""

    def power_of_2(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + official_alibi_slopes(2 * closest)[0::2][: n - closest]


# Sinusoidal ----------------------------------------------------------------------------


def test_sinusoidal_worked_figures() -> None:
    """d = 4: ω = (1, 1/100), so PE(1) = [sin 1, cos 1, sin 0.01, cos 0.01]."""
    out = run_reference("sinusoidal_pe", {"pos": 1.0, "d_model": 4}, n=1)
    np.testing.assert_allclose(
        out["pe"][0], [0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004], atol=1e-10
    )
    zero = run_reference("sinusoidal_pe", {"pos": 0.0, "d_model": 6}, n=1)
    np.testing.assert_array_equal(zero["pe"][0], [0, 1, 0, 1, 0, 1])


@pytest.mark.parametrize("d", [2, 8, 512])
def test_sinusoidal_table_against_numpy_and_the_exp_log_form(d: int) -> None:
    pos = np.array([0.0, 1.0, 7.0, 123.0, 4095.0])
    out = run_reference("sinusoidal_pe", {"pos": pos, "d_model": d}, n=len(pos))["pe"]
    np.testing.assert_allclose(out, numpy_table(pos, d), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out, annotated_transformer_table(pos, d), rtol=0, atol=1e-10)


def test_sinusoidal_base_is_honoured() -> None:
    pos = np.array([3.0, 40.0])
    out = run_reference("sinusoidal_pe", {"pos": pos, "d_model": 8, "base": [100.0, 500000.0]}, n=2)["pe"]
    np.testing.assert_allclose(out[0], numpy_table(pos[:1], 8, 100.0)[0], atol=1e-14)
    np.testing.assert_allclose(out[1], numpy_table(pos[1:], 8, 500000.0)[0], atol=1e-14)


def test_sinusoidal_pair_is_the_tables_entries_with_mixed_sizes() -> None:
    """Instances with their own pos, i and d in one batch: each pair is its table's entries."""
    pos = np.array([0.0, 5.0, 31.0, 100.0, 2.5])
    pair = np.array([0, 1, 3, 255, 2])
    d = np.array([2, 4, 16, 512, 6])
    out = run_reference("sinusoidal_pair", {"pos": pos, "i": pair, "d_model": d}, n=len(pos))
    for k in range(len(pos)):
        table = numpy_table(pos[k : k + 1], int(d[k]))[0]
        assert out["pe_sin"][k] == pytest.approx(table[2 * pair[k]], abs=1e-13)
        assert out["pe_cos"][k] == pytest.approx(table[2 * pair[k] + 1], abs=1e-13)
    omega = 10000.0 ** (-2 * pair / d)
    np.testing.assert_allclose(out["omega"], omega, rtol=1e-14)
    np.testing.assert_allclose(out["wavelength"], 2 * np.pi * 10000.0 ** (2 * pair / d), rtol=1e-13)
    np.testing.assert_allclose(out["angle"], pos * omega, rtol=1e-14)


def test_wavelengths_run_from_2pi_to_almost_2pi_base() -> None:
    """For d = 512 the wavelengths run from 2π (pair 0) to 2π·10000^(510/512), not 2π·10000."""
    pairs = np.arange(256)
    out = run_reference("sinusoidal_pair", {"pos": 0.0, "i": pairs, "d_model": 512}, n=256)["wavelength"]
    assert out[0] == pytest.approx(2 * np.pi)
    assert out[-1] == pytest.approx(60611.3, rel=1e-5)
    np.testing.assert_allclose(out[1:] / out[:-1], 10000.0 ** (2 / 512))  # a geometric progression


def test_a_fixed_offset_is_a_rotation_of_each_pair() -> None:
    """[PE(p+k, 2i), PE(p+k, 2i+1)] = [[cos kω, sin kω], [−sin kω, cos kω]] · [PE(p, 2i), PE(p, 2i+1)],
    with a matrix that depends on k and ω but not on p."""
    d, k = 16, 7.0
    pos = np.array([0.0, 3.0, 11.0, 250.0])
    here = run_reference("sinusoidal_pe", {"pos": pos, "d_model": d}, n=len(pos))["pe"]
    there = run_reference("sinusoidal_pe", {"pos": pos + k, "d_model": d}, n=len(pos))["pe"]
    for i, omega in enumerate(thetas(d)):
        rotation = np.array([[np.cos(k * omega), np.sin(k * omega)], [-np.sin(k * omega), np.cos(k * omega)]])
        np.testing.assert_allclose(
            there[:, 2 * i : 2 * i + 2], here[:, 2 * i : 2 * i + 2] @ rotation.T, atol=1e-12
        )


def test_sinusoidal_dot_depends_on_the_offset_only() -> None:
    p = np.array([0.0, 3.0, 10.0, 17.0, 500.0, 2.0])
    q = np.array([4.0, 7.0, 14.0, 13.0, 504.0, 2.0])
    for d in (4, 6, 128):
        out = run_reference("sinusoidal_dot", {"p": p, "q": q, "d_model": d}, n=len(p))["pe_dot"]
        closed = np.cos((p - q)[:, None] * thetas(d)).sum(-1)
        np.testing.assert_allclose(out, closed, atol=1e-11)
        # A second torch path: Re Σ e^{ipω}·conj(e^{iqω}), which is PE(p)·PE(q) pair by pair.
        omega = torch.tensor(thetas(d))
        at_p = torch.polar(torch.ones(len(p), d // 2, dtype=torch.float64), torch.tensor(p)[:, None] * omega)
        at_q = torch.polar(torch.ones(len(q), d // 2, dtype=torch.float64), torch.tensor(q)[:, None] * omega)
        np.testing.assert_allclose(out, (at_p * at_q.conj()).real.sum(-1).numpy(), atol=1e-11)
        assert out[0] == pytest.approx(out[1], abs=1e-11)  # both at offset −4
        assert out[0] == pytest.approx(out[2], abs=1e-11)
        assert out[0] == pytest.approx(out[3], abs=1e-11)  # offset +4: the dot cannot tell the sign
        assert out[5] == pytest.approx(d / 2)  # ‖PE(p)‖² = d/2 at every position


def test_sinusoidal_dot_groups_mixed_sizes() -> None:
    out = run_reference("sinusoidal_dot", {"p": [1.0, 1.0], "q": [3.0, 3.0], "d_model": [2, 4]}, n=2)[
        "pe_dot"
    ]
    np.testing.assert_allclose(out, [np.cos(2.0), np.cos(2.0) + np.cos(0.02)], atol=1e-14)


# RoPE ----------------------------------------------------------------------------------


def test_rope_worked_figures() -> None:
    """x = [1, 2, 3, 4] at position 1 (θ = (1, 1/100)) in both pairings, by hand."""
    c1, s1, c2, s2 = np.cos(1.0), np.sin(1.0), np.cos(0.01), np.sin(0.01)
    inter = run_reference("rope_interleaved", {"x": [1.0, 2.0, 3.0, 4.0], "pos": 1.0}, n=1)
    half = run_reference("rope_rotate_half", {"x": [1.0, 2.0, 3.0, 4.0], "pos": 1.0}, n=1)
    np.testing.assert_allclose(
        inter["y"][0], [c1 - 2 * s1, s1 + 2 * c1, 3 * c2 - 4 * s2, 3 * s2 + 4 * c2], atol=1e-14
    )
    np.testing.assert_allclose(
        half["y"][0], [c1 - 3 * s1, 2 * c2 - 4 * s2, 3 * c1 + s1, 4 * c2 + 2 * s2], atol=1e-14
    )
    np.testing.assert_allclose(inter["cos_table"][0], [c1, c1, c2, c2], atol=1e-15)
    np.testing.assert_allclose(half["cos_table"][0], [c1, c2, c1, c2], atol=1e-15)
    np.testing.assert_allclose(half["sin_table"][0], [s1, s2, s1, s2], atol=1e-15)


@pytest.mark.parametrize("interleaved", [True, False])
def test_rope_batched_against_rotation_matrices_and_complex_products(interleaved: bool) -> None:
    n, d = 6, 8
    x = RNG.normal(size=(n, d))
    pos = np.array([0.0, 1.0, 2.5, 17.0, 300.0, 4096.0])
    base = np.array([10000.0, 10000.0, 500000.0, 10000.0, 100.0, 10000.0])
    name = "rope_interleaved" if interleaved else "rope_rotate_half"
    out = run_reference(name, {"x": x, "pos": pos, "base": base}, n=n)
    for k in range(n):
        np.testing.assert_allclose(out["y"][k], rope_numpy(x[k], pos[k], interleaved, base[k]), atol=1e-12)
    np.testing.assert_allclose(out["y"], rope_complex(x, pos, base, interleaved), atol=1e-12)
    np.testing.assert_allclose(out["y_norm"], np.linalg.norm(x, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(out["y"][0], x[0], atol=0)  # position 0 is the identity


def test_the_two_pairings_are_one_rotation_up_to_a_permutation() -> None:
    """rotate_half on x equals the interleaved rotation of x with its coordinates reordered
    (0, d/2, 1, d/2+1, ...), which is the permutation Hugging Face applies to LLaMA's q/k weights."""
    d = 8
    x = RNG.normal(size=(3, d))
    pos = np.array([1.0, 9.0, 123.0])
    order = np.ravel(np.column_stack((np.arange(d // 2), np.arange(d // 2) + d // 2)))
    half = run_reference("rope_rotate_half", {"x": x, "pos": pos}, n=3)["y"]
    inter = run_reference("rope_interleaved", {"x": x[:, order], "pos": pos}, n=3)["y"]
    np.testing.assert_allclose(half[:, order], inter, atol=1e-13)
    assert not np.allclose(half, run_reference("rope_interleaved", {"x": x, "pos": pos}, n=3)["y"])


def test_for_d_2_the_pairings_agree() -> None:
    x, pos = RNG.normal(size=(4, 2)), np.array([0.5, 2.0, 3.0, 10.0])
    np.testing.assert_array_equal(
        run_reference("rope_interleaved", {"x": x, "pos": pos}, n=4)["y"],
        run_reference("rope_rotate_half", {"x": x, "pos": pos}, n=4)["y"],
    )


def rope_score_closed_form(q: np.ndarray, k: np.ndarray, offset: float) -> float:
    """Σ_i cos((m−n)θ_i)(q_a k_a + q_b k_b) + sin((m−n)θ_i)(q_a k_b − q_b k_a), pairs (i, i + d/2)."""
    d = len(q)
    a, b = q[: d // 2], q[d // 2 :]
    ka, kb = k[: d // 2], k[d // 2 :]
    phase = offset * thetas(d)
    return float((np.cos(phase) * (a * ka + b * kb) + np.sin(phase) * (a * kb - b * ka)).sum())


def test_rope_score_depends_on_m_minus_n_only() -> None:
    d = 6
    q, k = RNG.normal(size=d), RNG.normal(size=d)
    m = np.array([5.0, 105.0, 1005.0, 3.0, 0.0])
    n = np.array([2.0, 102.0, 1002.0, 6.0, 0.0])
    out = run_reference("rope_score", {"q": q, "k": k, "m": m, "n": n}, n=len(m))
    np.testing.assert_allclose(out["score"][:3], out["score"][0], atol=1e-11)
    assert out["score"][3] != pytest.approx(out["score"][0])  # m − n = −3 is another offset
    assert out["score"][4] == pytest.approx(q @ k)
    for j in range(len(m)):
        assert out["score"][j] == pytest.approx(rope_score_closed_form(q, k, m[j] - n[j]), abs=1e-11)
    # A second torch path: Re Σ q̃·conj(k̃)·e^{i(m−n)θ} with q̃ = q_a + i·q_b (halves paired).
    qc = torch.complex(torch.tensor(q[: d // 2]), torch.tensor(q[d // 2 :]))
    kc = torch.complex(torch.tensor(k[: d // 2]), torch.tensor(k[d // 2 :]))
    phase = torch.tensor((m - n)[:, None] * thetas(d))
    complex_score = (qc * kc.conj() * torch.polar(torch.ones_like(phase), phase)).real.sum(-1)
    np.testing.assert_allclose(out["score"], complex_score.numpy(), atol=1e-11)
    np.testing.assert_allclose(out["q_rot"][1], rope_numpy(q, 105.0, interleaved=False), atol=1e-12)
    np.testing.assert_allclose(out["k_rot"][1], rope_numpy(k, 102.0, interleaved=False), atol=1e-12)


def test_rope_score_d_2_by_hand() -> None:
    """q = [1, 2], k = [0.5, −1], m − n = 2, θ = 1: cos 2·(q·k) + sin 2·(q0k1 − q1k0)."""
    out = run_reference("rope_score", {"q": [1.0, 2.0], "k": [0.5, -1.0], "m": 3.0, "n": 1.0}, n=1)
    assert out["score"][0] == pytest.approx(np.cos(2.0) * (-1.5) + np.sin(2.0) * (-2.0), abs=1e-14)


# Learned and ALiBi ---------------------------------------------------------------------


def test_learned_embedding_parameters() -> None:
    max_len, d = np.array([512, 1024, 2048, 3]), np.array([768, 768, 4096, 5])
    out = run_reference("learned_pe_params", {"max_len": max_len, "d_model": d}, n=4)["params"]
    np.testing.assert_array_equal(out, max_len * d)
    assert out[3] == torch.nn.Embedding(3, 5).weight.numel()  # a real one, on the CPU


def test_a_learned_table_has_no_row_beyond_max_len() -> None:
    """What the deck says: position max_len is an index error, not an extrapolation."""
    table = torch.nn.Embedding(8, 4)
    assert table(torch.tensor([7])).shape == (1, 4)
    with pytest.raises(IndexError):
        table(torch.tensor([8]))
    with pytest.raises(IndexError):
        F.embedding(torch.tensor([8]), table.weight)


@pytest.mark.parametrize("h", [1, 2, 4, 6, 8, 12, 16, 20, 32])
def test_alibi_slopes_are_the_official_ones(h: int) -> None:
    heads = np.arange(1, h + 1)
    out = run_reference("alibi_bias", {"num_heads": h, "head": heads, "distance": 3.0}, n=h)
    np.testing.assert_allclose(out["slope"], official_alibi_slopes(h), rtol=1e-14)
    np.testing.assert_allclose(out["bias"], -3.0 * np.asarray(official_alibi_slopes(h)), rtol=1e-14)
    if h & (h - 1) == 0:
        np.testing.assert_allclose(out["slope"], 2.0 ** (-8.0 * heads / h), rtol=1e-14)


def test_alibi_bias_mixed_heads_and_distances() -> None:
    out = run_reference(
        "alibi_bias", {"num_heads": [8, 16, 8], "head": [1, 16, 3], "distance": [0.0, 10.0, 5.0]}, n=3
    )
    np.testing.assert_allclose(out["slope"], [0.5, 2.0**-8, 2.0**-3], rtol=1e-14)
    np.testing.assert_allclose(out["bias"], [0.0, -10 * 2.0**-8, -5 * 2.0**-3], rtol=1e-14)


# Inputs it refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "inputs", "n", "message"),
    [
        ("sinusoidal_pe", {"pos": 1.0, "d_model": 5}, 1, "'d_model' must be even"),
        ("sinusoidal_pe", {"pos": [1.0, 2.0], "d_model": [4, 8]}, 2, "same for every instance"),
        ("sinusoidal_pair", {"pos": 1.0, "i": 2, "d_model": 4}, 1, "'i' is a pair index"),
        ("sinusoidal_pair", {"pos": 1.0, "i": 0.5, "d_model": 4}, 1, "'i' is a pair index"),
        ("sinusoidal_dot", {"p": 1.0, "q": 2.0, "d_model": 7}, 1, "'d_model' must be even"),
        ("rope_interleaved", {"x": [1.0, 2.0, 3.0], "pos": 1.0}, 1, "'x' must have an even length"),
        ("rope_rotate_half", {"x": [1.0], "pos": 1.0}, 1, "'x' must have an even length"),
        ("learned_pe_params", {"max_len": 0, "d_model": 4}, 1, "'max_len' must be an integer >= 1"),
        ("alibi_bias", {"num_heads": 8, "head": 0, "distance": 1.0}, 1, "1-based"),
        ("alibi_bias", {"num_heads": 8, "head": 9, "distance": 1.0}, 1, "1-based"),
        ("alibi_bias", {"num_heads": 8, "head": 1, "distance": -1.0}, 1, "must be ≥ 0"),
    ],
)
def test_input_errors_name_the_input(name: str, inputs: dict[str, Any], n: int, message: str) -> None:
    with pytest.raises(ReferenceInputError, match=message):
        run_reference(name, inputs, n=n)


# Known mistakes: each formula is the wrong computation written out in numpy, and wrong ----

E = dict[str, np.ndarray]
X4 = [[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0, 0.3]]
MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "sinusoidal_pair": ({"pos": [3.0, 40.0], "i": [1, 5], "d_model": [4, 16]}, 2),
    "rope_interleaved": ({"x": X4, "pos": [1.0, 7.0]}, 2),
    "rope_rotate_half": ({"x": X4, "pos": [1.0, 7.0]}, 2),
    "alibi_bias": ({"num_heads": [8, 16], "head": [2, 5], "distance": [3.0, 10.0]}, 2),
}
MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("sinusoidal_pair", "pair-index-as-dimension"): lambda e: 10000.0 ** (-e["i"] / e["d_model"]),
    ("sinusoidal_pair", "wavelength-without-2pi"): lambda e: 10000.0 ** (2 * e["i"] / e["d_model"]),
    ("sinusoidal_pair", "sin-cos-swapped"): lambda e: np.cos(e["pos"] * 10000.0 ** (-2 * e["i"] / e["d_model"])),
    ("sinusoidal_pair", "odd-dimension-exponent"): lambda e: np.cos(e["pos"] / 10000.0 ** ((2 * e["i"] + 1) / e["d_model"])),
    ("rope_interleaved", "rotated-backwards"): lambda e: np.stack([rope_numpy(x, -p, True) for x, p in zip(e["x"], e["pos"], strict=True)]),
    ("rope_rotate_half", "rotated-backwards"): lambda e: np.stack([rope_numpy(x, -p, False) for x, p in zip(e["x"], e["pos"], strict=True)]),
    ("alibi_bias", "zero-based-head"): lambda e: 2.0 ** (-8 * (e["head"] - 1) / e["num_heads"]),
    ("alibi_bias", "positive-bias"): lambda e: 2.0 ** (-8 * e["head"] / e["num_heads"]) * e["distance"],
}  # fmt: skip
