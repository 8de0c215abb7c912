"""Positional-encoding references: sinusoidal encodings, RoPE (both pairings), learned
absolute embeddings and ALiBi's slopes.

None of these is a single torch op (torch has no positional-encoding module), so each is
written out as the reference implementations people copy write it: explicit torch ops on
float64 tensors, batched over the instances. The frequencies are torch.pow(base, −2i/d),
as in Hugging Face's RoPE `inv_freq`; the sinusoidal table interleaves sin and cos as the
paper does (even dimensions sin, odd dimensions cos).

RoPE has two conventions that rotate different pairs of coordinates, so each has its own
reference and no card can leave it implicit:

- interleaved (GPT-J's rotate_every_two, Meta's original LLaMA code through
  torch.view_as_complex): the pairs are (x_{2i}, x_{2i+1});
- split halves (GPT-NeoX's and Hugging Face LLaMA's rotate_half): the pairs are
  (x_i, x_{i+d/2}).

Pair i is rotated by the angle pos·θ_i with θ_i = base^(−2i/d) in both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Mistake,
    Output,
    Param,
    Reference,
    ReferenceInputError,
    as_count,
    parameter_count,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

BASE = Param(
    "base",
    (),
    10000.0,
    "the base of the frequencies ω_i = base^(−2i/d): 10000 in the paper and in RoPE "
    "(Hugging Face's rope_theta default)",
)
D_MODEL = Param("d_model", (), None, "the encoding's dimension d (even)")


def _even_dimension(value: float, name: str) -> int:
    """A dimension that sin/cos pairs fill: a whole number, at least 2, and even."""
    size = as_count(value, name, minimum=2)
    if size % 2:
        raise ReferenceInputError(
            f"input {name!r} must be even (the dimensions come in sin/cos pairs), not {size}"
        )
    return size


def _frequencies(base: torch.Tensor, size: int) -> torch.Tensor:
    """ω_i = base^(−2i/d) for i = 0..d/2−1, one row per instance: shape (n, d/2).

    Hugging Face's RoPE writes these as inv_freq = 1 / base^(arange(0, d, 2)/d); here the
    same power with a negative exponent. base may differ per instance, so it is a column.
    """
    import torch

    exponents = torch.arange(0, size, 2, dtype=torch.float64, device=base.device) / size
    return torch.pow(base[:, None], -exponents)


def _sinusoidal_table(pos: torch.Tensor, base: torch.Tensor, size: int) -> torch.Tensor:
    """PE(pos) of "Attention Is All You Need", shape (n, d): PE(pos, 2i) = sin(pos·ω_i) and
    PE(pos, 2i+1) = cos(pos·ω_i), interleaved as in the paper."""
    import torch

    angle = pos[:, None] * _frequencies(base, size)  # (n, d/2)
    return torch.stack((torch.sin(angle), torch.cos(angle)), dim=-1).reshape(len(pos), size)


def _sinusoidal_pe(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np

    sizes = np.unique(arrays["d_model"])
    if len(sizes) > 1:
        raise ReferenceInputError(
            "input 'd_model' must be the same for every instance: it is the length of the output pe "
            f"(got {', '.join(f'{size:g}' for size in sizes[:4])})"
        )
    size = _even_dimension(float(sizes[0]), "d_model")
    pos, base = to_tensor(arrays["pos"], device), to_tensor(arrays["base"], device)
    return {"pe": to_numpy(_sinusoidal_table(pos, base, size))}


def _sinusoidal_pair(arrays: Arrays, device: torch.device) -> Arrays:
    """The two entries of pair i, computed for every instance at once: i and d may differ
    between instances, since only the exponent 2i/d of each instance is needed."""
    import numpy as np
    import torch

    for size in np.unique(arrays["d_model"]):
        _even_dimension(float(size), "d_model")
    pair = arrays["i"]
    if not np.all((pair == np.round(pair)) & (pair >= 0) & (2 * pair < arrays["d_model"])):
        raise ReferenceInputError("input 'i' is a pair index and must be a whole number in 0..d_model/2 − 1")
    pos, base = to_tensor(arrays["pos"], device), to_tensor(arrays["base"], device)
    exponent = 2 * to_tensor(pair, device) / to_tensor(arrays["d_model"], device)
    omega = torch.pow(base, -exponent)
    angle = pos * omega
    return {
        "omega": to_numpy(omega),
        "wavelength": to_numpy(2 * math.pi / omega),
        "angle": to_numpy(angle),
        "pe_sin": to_numpy(torch.sin(angle)),
        "pe_cos": to_numpy(torch.cos(angle)),
    }


def _sinusoidal_dot(arrays: Arrays, device: torch.device) -> Arrays:
    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        size = _even_dimension(h["d_model"], "d_model")
        base = to_tensor(arrays["base"][idx], device)
        pe_p = _sinusoidal_table(to_tensor(arrays["p"][idx], device), base, size)
        pe_q = _sinusoidal_table(to_tensor(arrays["q"][idx], device), base, size)
        return {"pe_dot": to_numpy((pe_p * pe_q).sum(dim=-1))}

    return per_group(arrays, ["d_model"], run)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    """GPT-NeoX's and Hugging Face's rotate_half: (x1, x2) ↦ (−x2, x1) on the two halves."""
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _rotate_every_two(x: torch.Tensor) -> torch.Tensor:
    """GPT-J's rotate_every_two: (x_{2i}, x_{2i+1}) ↦ (−x_{2i+1}, x_{2i}) on adjacent pairs."""
    import torch

    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)


def _apply_rope(
    x: torch.Tensor, pos: torch.Tensor, base: torch.Tensor, interleaved: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(y, cos table, sin table), each (n, d), with y = x·cos + rotate(x)·sin: the form both
    code bases write, each with its own rotate and its own layout of the tables.

    Interleaved tables read θ_0, θ_0, θ_1, θ_1, ... (coordinates 2i and 2i+1 share θ_i);
    split-halves tables read θ_0, ..., θ_{d/2−1}, θ_0, ..., θ_{d/2−1} (coordinates i and
    i + d/2 share θ_i), as Hugging Face's cat((freqs, freqs), dim=-1).
    """
    import torch

    size = x.shape[-1]
    if size < 2 or size % 2:
        raise ReferenceInputError(
            f"input 'x' must have an even length d ≥ 2 (RoPE rotates its coordinates in pairs), not {size}"
        )
    freqs = pos[:, None] * _frequencies(base, size)
    angles = torch.repeat_interleave(freqs, 2, dim=-1) if interleaved else torch.cat((freqs, freqs), dim=-1)
    cos, sin = torch.cos(angles), torch.sin(angles)
    rotated = _rotate_every_two(x) if interleaved else _rotate_half(x)
    return x * cos + rotated * sin, cos, sin


def _rope(interleaved: bool) -> Callable[[Arrays, torch.device], Arrays]:
    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        y, cos, sin = _apply_rope(
            to_tensor(arrays["x"], device),
            to_tensor(arrays["pos"], device),
            to_tensor(arrays["base"], device),
            interleaved,
        )
        return {
            "y": to_numpy(y),
            "cos_table": to_numpy(cos),
            "sin_table": to_numpy(sin),
            "y_norm": to_numpy(torch.linalg.vector_norm(y, dim=-1)),
        }

    return compute


def _rope_score(arrays: Arrays, device: torch.device) -> Arrays:
    """q rotated to position m and k to position n (split-halves pairing), then their dot."""
    base = to_tensor(arrays["base"], device)
    q_rot, _, _ = _apply_rope(to_tensor(arrays["q"], device), to_tensor(arrays["m"], device), base, False)
    k_rot, _, _ = _apply_rope(to_tensor(arrays["k"], device), to_tensor(arrays["n"], device), base, False)
    return {
        "score": to_numpy((q_rot * k_rot).sum(dim=-1)),
        "q_rot": to_numpy(q_rot),
        "k_rot": to_numpy(k_rot),
    }


def _learned_pe_params(arrays: Arrays, device: torch.device) -> Arrays:
    """The numel() of a real nn.Embedding(max_len, d_model), built on the meta device: the
    count comes from the module's own parameter, and no memory is allocated for it."""
    import numpy as np
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        table = torch.nn.Embedding(
            as_count(h["max_len"], "max_len", minimum=1),
            as_count(h["d_model"], "d_model", minimum=1),
            device="meta",
        )
        return {"params": np.full(len(idx), float(parameter_count(table)))}

    return per_group(arrays, ["max_len", "d_model"], run)


def _alibi_slopes(num_heads: int, device: torch.device) -> torch.Tensor:
    """The h slopes of ALiBi, as BLOOM's build_alibi_tensor computes them.

    For h a power of two they are the geometric sequence 2^(−8k/h), k = 1..h. Otherwise
    the official code takes the sequence of the closest lower power of two, c, and appends
    every other slope of the sequence for 2c, so the slopes still interleave.
    """
    import torch

    closest = 2 ** math.floor(math.log2(num_heads))
    start = torch.tensor(2.0 ** (-8.0 / closest), dtype=torch.float64, device=device)
    powers = torch.arange(1, closest + 1, dtype=torch.float64, device=device)
    slopes = torch.pow(start, powers)
    if closest != num_heads:
        extra_start = torch.tensor(2.0 ** (-8.0 / (2 * closest)), dtype=torch.float64, device=device)
        extra_powers = torch.arange(1, 1 + 2 * (num_heads - closest), 2, dtype=torch.float64, device=device)
        slopes = torch.cat((slopes, torch.pow(extra_start, extra_powers)))
    return slopes


def _alibi_bias(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        num_heads = as_count(h["num_heads"], "num_heads", minimum=1)
        heads = arrays["head"][idx]
        if not np.all((heads == np.round(heads)) & (heads >= 1) & (heads <= num_heads)):
            raise ReferenceInputError(f"input 'head' is 1-based and must be a whole number in 1..{num_heads}")
        if not np.all(arrays["distance"][idx] >= 0):
            raise ReferenceInputError(
                "input 'distance' is i − j for a key j ≤ i (causal ALiBi) and must be ≥ 0"
            )
        slopes = _alibi_slopes(num_heads, device)[to_tensor(heads - 1, device).long()]
        distance = to_tensor(arrays["distance"][idx], device)
        return {"slope": to_numpy(slopes), "bias": to_numpy(-slopes * distance)}

    return per_group(arrays, ["num_heads"], run)


_ROPE_INPUTS = (
    Param("x", ("d",), None, "one head's query or key vector (d even)"),
    Param("pos", (), None, "the token's position m (a real number: interpolated positions are fractional)"),
    BASE,
)


def _rope_outputs(layout: str) -> tuple[Output, ...]:
    return (
        Output("y", ("d",), "x with each pair rotated by pos·θ_i, θ_i = base^(−2i/d)"),
        Output("cos_table", ("d",), f"cos(pos·θ) of each coordinate's θ, laid out {layout}"),
        Output("sin_table", ("d",), f"sin(pos·θ) of each coordinate's θ, laid out {layout}"),
        Output("y_norm", (), "‖y‖, which a rotation leaves equal to ‖x‖"),
    )


_ROTATED_BACKWARDS = (
    "Rotated by −pos·θ_i: the sin term has the wrong sign (e.g. rotate_half returning (x₂, −x₁) "
    "instead of (−x₂, x₁)). RoPE turns each pair (a, b) to (a cos φ − b sin φ, a sin φ + b cos φ)."
)

REFERENCES = (
    Reference(
        name="sinusoidal_pe",
        summary="The sinusoidal positional encoding PE(pos) of 'Attention Is All You Need', "
        "sin on even and cos on odd dimensions.",
        torch_api="composed of torch ops: torch.pow(base, −2i/d), torch.sin, torch.cos, torch.stack",
        inputs=(Param("pos", (), None, "the position (a real number)"), D_MODEL, BASE),
        outputs=(
            Output(
                "pe",
                ("d",),
                "[sin(pos·ω_0), cos(pos·ω_0), sin(pos·ω_1), ...], ω_i = base^(−2i/d); one d_model per batch",
            ),
        ),
        mistakes=(),
        topic="positional",
        compute=_sinusoidal_pe,
    ),
    Reference(
        name="sinusoidal_pair",
        summary="Pair i of the sinusoidal encoding: its frequency ω_i = base^(−2i/d), wavelength "
        "2π/ω_i, and PE(pos, 2i) = sin(pos·ω_i), PE(pos, 2i+1) = cos(pos·ω_i). ω_i is also RoPE's θ_i, "
        "and angle is RoPE's rotation of pair i.",
        torch_api="composed of torch ops: torch.pow, torch.sin, torch.cos",
        inputs=(
            Param("pos", (), None, "the position (a real number)"),
            Param("i", (), None, "the pair index: dimensions 2i and 2i+1, 0 ≤ i < d/2"),
            D_MODEL,
            BASE,
        ),
        outputs=(
            Output("omega", (), "the angular frequency ω_i = base^(−2i/d)"),
            Output("wavelength", (), "the wavelength 2π/ω_i = 2π·base^(2i/d), in positions"),
            Output("angle", (), "pos·ω_i (RoPE's rotation angle of pair i at position pos)"),
            Output("pe_sin", (), "PE(pos, 2i) = sin(pos·ω_i)"),
            Output("pe_cos", (), "PE(pos, 2i+1) = cos(pos·ω_i)"),
        ),
        mistakes=(
            Mistake(
                "pair-index-as-dimension",
                "omega",
                "base ^ (-i / d_model)",
                "Used i/d in the exponent; the exponent is 2i/d, where 2i is the dimension of the "
                "pair's sine (i counts pairs, not dimensions).",
            ),
            Mistake(
                "wavelength-without-2pi",
                "wavelength",
                "base ^ (2 * i / d_model)",
                "That is 1/ω_i; sin(pos·ω) repeats every 2π/ω positions, so the wavelength is 2π·base^(2i/d).",
            ),
            Mistake(
                "sin-cos-swapped",
                "pe_sin",
                "cos(pos * omega)",
                "Even dimensions carry the sine: PE(pos, 2i) = sin(pos·ω_i); the cosine is in dimension 2i+1.",
            ),
            Mistake(
                "odd-dimension-exponent",
                "pe_cos",
                "cos(pos * base ^ (-(2 * i + 1) / d_model))",
                "Put the odd dimension 2i+1 in the exponent; both dimensions of a pair share ω_i = base^(−2i/d).",
            ),
        ),
        topic="positional",
        compute=_sinusoidal_pair,
    ),
    Reference(
        name="sinusoidal_dot",
        summary="PE(p)·PE(q) of two sinusoidal encodings: Σ_i cos((p − q)·ω_i), a function of p − q only.",
        torch_api="composed of torch ops: the sinusoidal table (torch.pow, torch.sin, torch.cos), then a sum of products",
        inputs=(
            Param("p", (), None, "the first position"),
            Param("q", (), None, "the second position"),
            D_MODEL,
            BASE,
        ),
        outputs=(Output("pe_dot", (), "PE(p)·PE(q)"),),
        mistakes=(),
        topic="positional",
        compute=_sinusoidal_dot,
    ),
    Reference(
        name="rope_interleaved",
        summary="RoPE with interleaved pairs (x_{2i}, x_{2i+1}), each rotated by pos·θ_i "
        "(GPT-J's rotate_every_two; Meta's LLaMA code through torch.view_as_complex).",
        torch_api="composed of torch ops: torch.pow, torch.repeat_interleave, torch.cos/sin, "
        "x·cos + rotate_every_two(x)·sin; torch.linalg.vector_norm",
        inputs=_ROPE_INPUTS,
        outputs=_rope_outputs("θ_0, θ_0, θ_1, θ_1, ..."),
        mistakes=(Mistake("rotated-backwards", "y", "2 * x * cos_table - y", _ROTATED_BACKWARDS),),
        topic="positional",
        compute=_rope(interleaved=True),
    ),
    Reference(
        name="rope_rotate_half",
        summary="RoPE with split halves: pairs (x_i, x_{i+d/2}), each rotated by pos·θ_i "
        "(GPT-NeoX's and Hugging Face LLaMA's rotate_half).",
        torch_api="composed of torch ops: torch.pow, torch.cat, torch.cos/sin, "
        "x·cos + rotate_half(x)·sin; torch.linalg.vector_norm",
        inputs=_ROPE_INPUTS,
        outputs=_rope_outputs("θ_0, ..., θ_{d/2−1}, θ_0, ..., θ_{d/2−1} (Hugging Face's cos/sin)"),
        mistakes=(Mistake("rotated-backwards", "y", "2 * x * cos_table - y", _ROTATED_BACKWARDS),),
        topic="positional",
        compute=_rope(interleaved=False),
    ),
    Reference(
        name="rope_score",
        summary="The attention logit ⟨R(m)q, R(n)k⟩ of RoPE (split-halves pairing; for d = 2 both "
        "pairings agree): it depends on m − n only.",
        torch_api="composed of torch ops: rope_rotate_half on q and k, then a sum of products",
        inputs=(
            Param("q", ("d",), None, "the query vector (d even)"),
            Param("k", ("d",), None, "the key vector"),
            Param("m", (), None, "the query's position"),
            Param("n", (), None, "the key's position"),
            BASE,
        ),
        outputs=(
            Output("score", (), "⟨R(m)q, R(n)k⟩ (no 1/√d scaling)"),
            Output("q_rot", ("d",), "R(m)q"),
            Output("k_rot", ("d",), "R(n)k"),
        ),
        mistakes=(),
        topic="positional",
        compute=_rope_score,
    ),
    Reference(
        name="learned_pe_params",
        summary="The parameters of a learned absolute position embedding, nn.Embedding(max_len, d_model).",
        torch_api="torch.nn.Embedding(max_len, d_model, device='meta'): the sum of its parameters' numel()",
        inputs=(
            Param("max_len", (), None, "the number of positions (rows of the table)"),
            Param("d_model", (), None, "the embedding dimension"),
        ),
        outputs=(Output("params", (), "max_len·d_model (an embedding table has no bias)"),),
        mistakes=(),
        topic="positional",
        compute=_learned_pe_params,
    ),
    Reference(
        name="alibi_bias",
        summary="ALiBi: head k's slope (2^(−8k/h) for h a power of two) and the bias −slope·(i − j) "
        "added to the logit of query i and key j ≤ i.",
        torch_api="composed of torch ops as in BLOOM's build_alibi_tensor: torch.pow(2^(−8/h), arange(1, h+1))",
        inputs=(
            Param("num_heads", (), None, "the number of heads h"),
            Param("head", (), None, "the head, 1-based as in the paper (k = 1..h)"),
            Param("distance", (), None, "i − j ≥ 0: how far the key is behind the query"),
        ),
        outputs=(
            Output("slope", (), "the head's slope m_k"),
            Output("bias", (), "−m_k·(i − j), added to q_i·k_j before the softmax"),
        ),
        mistakes=(
            Mistake(
                "zero-based-head",
                "slope",
                "2 ^ (-8 * (head - 1) / num_heads)",
                "Counted heads from 0; the first head's slope is 2^(−8/h), not 1.",
            ),
            Mistake(
                "positive-bias",
                "bias",
                "slope * distance",
                "ALiBi penalises distance: the bias is −m·(i − j), so far keys get lower logits.",
            ),
        ),
        topic="positional",
        compute=_alibi_bias,
    ),
)
"""The positional-encoding references: sinusoidal, RoPE (two pairings), learned, ALiBi."""
