"""Transformer references against closed forms (numpy) and a second torch path."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from engine.references import Reference, ReferenceInputError, all_references, get_reference, run_reference
from engine.references.registry import recording_groupings
from engine.references.transformers import DTYPES_BY_BITS, MAX_MASK

E = dict[str, np.ndarray]


def softmax(x: np.ndarray) -> np.ndarray:
    z: np.ndarray = np.exp(x - x.max(-1, keepdims=True))
    probs: np.ndarray = z / z.sum(-1, keepdims=True)
    return probs


def attention_numpy(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool) -> tuple[np.ndarray, ...]:
    """softmax(QKᵀ/√d + mask)·V written out, the mask −inf where key j > query i."""
    scores = q @ k.T / np.sqrt(q.shape[-1])
    masked = np.where(np.triu(np.ones(scores.shape, dtype=bool), 1), -np.inf, scores) if causal else scores
    weights = softmax(masked)
    return weights @ v, weights, scores


# Attention ------------------------------------------------------------------------------------


def test_attention_against_numpy() -> None:
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 2))
    causal = np.array([0, 1, 1, 0])
    out = run_reference("scaled_dot_product_attention", {"Q": q, "K": k, "V": v, "is_causal": causal}, n=4)
    for i in range(4):
        expected = attention_numpy(q[i], k[i], v[i], bool(causal[i]))
        for name, value in zip(("out", "weights", "scores"), expected, strict=True):
            np.testing.assert_allclose(out[name][i], value, rtol=0, atol=1e-14, err_msg=f"{name} {i}")


def test_attention_worked_figures() -> None:
    # One query [1, 0] against keys [1, 0] and [0, 1]: scores 1/√2 and 0.
    out = run_reference(
        "scaled_dot_product_attention",
        {"Q": [[1.0, 0.0]], "K": [[1.0, 0.0], [0.0, 1.0]], "V": [[1.0, 0.0], [0.0, 1.0]]},
        n=1,
    )
    w = 1 / (1 + math.exp(-1 / math.sqrt(2)))
    np.testing.assert_allclose(out["weights"][0], [[w, 1 - w]], atol=1e-15)
    np.testing.assert_allclose(out["out"][0], [[0.6697615493, 0.3302384507]], atol=1e-10)


def test_attention_against_explicit_torch_paths() -> None:
    """SDPA's is_causal against softmax(QKᵀ/√d + the additive mask)·V and SDPA with that mask."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(3, 4, 6, dtype=torch.float64) for _ in range(3))
    for causal in (0, 1):
        out = run_reference(
            "scaled_dot_product_attention",
            {"Q": q.numpy(), "K": k.numpy(), "V": v.numpy(), "is_causal": causal},
            n=3,
        )
        mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64) * causal
        mask = mask.nan_to_num(nan=0.0)  # 0·(−inf) where causal is 0
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(6) + mask, dim=-1)
        np.testing.assert_allclose(out["weights"], weights.numpy(), atol=1e-14)
        np.testing.assert_allclose(out["out"], (weights @ v).numpy(), atol=1e-14)
        with_mask = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        np.testing.assert_allclose(out["out"], with_mask.numpy(), atol=1e-14)


def test_causal_first_row_is_the_first_value_and_mask_is_top_left() -> None:
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(2, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    out = run_reference("scaled_dot_product_attention", {"Q": q, "K": k, "V": v, "is_causal": 1}, n=1)
    np.testing.assert_allclose(out["out"][0, 0], v[0], atol=1e-15)  # query 0 sees key 0 only
    np.testing.assert_array_equal(out["weights"][0][:, 2:], np.zeros((2, 2)))  # keys j > i: weight 0
    np.testing.assert_allclose(out["weights"][0].sum(-1), [1.0, 1.0], atol=1e-15)


def test_scaled_scores_have_unit_variance() -> None:
    """Why 1/√d_k: q·k of unit-variance entries has variance d_k; SDPA's scores have 1."""
    rng = np.random.default_rng(0)
    d = 64
    q, k = rng.normal(size=(400, d)), rng.normal(size=(400, d))
    scores = run_reference("scaled_dot_product_attention", {"Q": q, "K": k, "V": np.ones((400, 1))}, n=1)[
        "scores"
    ]
    assert abs((q @ k.T).var() / d - 1) < 0.05
    assert abs(scores.var() - 1) < 0.05
    np.testing.assert_allclose(scores[0], q @ k.T / 8, atol=1e-13)


def test_softmax_temperature() -> None:
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [1.0, 2.0, 3.0]])
    temperature = np.array([0.5, 2.0, 1e-3])
    out = run_reference("softmax_temperature", {"logits": logits, "temperature": temperature}, n=3)
    np.testing.assert_allclose(out["probs"], softmax(logits / temperature[:, None]), atol=1e-15)
    np.testing.assert_allclose(out["probs"][2], [0.0, 0.0, 1.0], atol=1e-15)  # T → 0: the argmax
    with pytest.raises(ReferenceInputError, match="temperature"):
        run_reference("softmax_temperature", {"logits": [1.0, 2.0], "temperature": 0.0}, n=1)


def test_causal_mask_counts() -> None:
    n = np.array([1, 7, 2, 1024, 7])
    out = run_reference("causal_mask", {"seq_len": n}, n=5)
    np.testing.assert_array_equal(out["masked"], n * (n - 1) / 2)
    np.testing.assert_array_equal(out["attended"], n * (n + 1) / 2)
    with pytest.raises(ReferenceInputError, match="at most"):
        run_reference("causal_mask", {"seq_len": MAX_MASK + 1}, n=1)


def test_causal_mask_of_n_tokens_is_a_block_of_a_longer_one() -> None:
    """What the reference reads its counts from: the top-left n × n block of a longer mask."""
    longest = nn.Transformer.generate_square_subsequent_mask(40)
    for n in (1, 2, 5, 39, 40):
        torch.testing.assert_close(longest[:n, :n], nn.Transformer.generate_square_subsequent_mask(n))
        assert int(torch.isneginf(longest[:n, :n]).sum()) == n * (n - 1) // 2


# Parameter counts ---------------------------------------------------------------------------------


def numel(module: nn.Module) -> int:
    return int(nn.utils.parameters_to_vector(module.parameters()).numel())


def test_multihead_attention_params() -> None:
    d, h, bias = np.array([512, 512, 768, 64]), np.array([8, 16, 12, 1]), np.array([1, 1, 1, 0])
    out = run_reference("multihead_attention_params", {"embed_dim": d, "num_heads": h, "bias": bias}, n=4)
    np.testing.assert_array_equal(out["params"], 4 * d**2 + 4 * d * bias)
    np.testing.assert_array_equal(out["in_proj"], 3 * d**2 + 3 * d * bias)
    np.testing.assert_array_equal(out["out_proj"], d**2 + d * bias)
    assert out["params"][0] == out["params"][1] == 1050624  # the heads change nothing
    # A real (CPU) module, counted by flattening its parameters.
    assert out["params"][3] == numel(nn.MultiheadAttention(64, 1, bias=False))
    with pytest.raises(ReferenceInputError, match="does not divide"):
        run_reference("multihead_attention_params", {"embed_dim": 10, "num_heads": 3}, n=1)


def test_encoder_layer_params() -> None:
    d, h, f, bias = (
        np.array([512, 64, 768]),
        np.array([8, 4, 12]),
        np.array([2048, 256, 3072]),
        np.array([1, 0, 1]),
    )
    inputs = {"d_model": d, "nhead": h, "dim_feedforward": f, "bias": bias}
    out = run_reference("encoder_layer_params", inputs, n=3)
    np.testing.assert_array_equal(out["attention"], 4 * d**2 + 4 * d * bias)
    np.testing.assert_array_equal(out["feedforward"], 2 * d * f + (f + d) * bias)
    np.testing.assert_array_equal(out["norms"], 2 * d + 2 * d * bias)
    np.testing.assert_array_equal(
        out["params"], 4 * d**2 + 2 * d * f + (9 * d + f) * bias + 2 * d * (1 - bias)
    )
    assert out["params"][2] == 12 * 768**2 + 13 * 768  # a GPT-2 block: f = 4d
    assert out["params"][1] == numel(nn.TransformerEncoderLayer(64, 4, 256, bias=False))


def test_embedding_params() -> None:
    out = run_reference("embedding_params", {"num_embeddings": [50257, 10], "embedding_dim": [768, 3]}, n=2)
    np.testing.assert_array_equal(out["embedding"], [50257 * 768, 30])
    np.testing.assert_array_equal(out["untied"], [2 * 50257 * 768, 60])
    np.testing.assert_array_equal(out["tied"], out["embedding"])
    # A real tied model: the head's weight is the embedding's, and counted once.
    model = nn.ModuleDict({"wte": nn.Embedding(10, 3), "head": nn.Linear(3, 10, bias=False)})
    model["head"].weight = model["wte"].weight
    assert out["tied"][1] == numel(model) == nn.Embedding(10, 3).weight.numel()


def test_lora_params() -> None:
    d_in, d_out, r = np.array([4096, 768, 10]), np.array([4096, 3072, 6]), np.array([8, 16, 2])
    out = run_reference("lora_params", {"in_features": d_in, "out_features": d_out, "r": r}, n=3)
    np.testing.assert_array_equal(out["lora"], r * (d_in + d_out))
    np.testing.assert_array_equal(out["full"], d_in * d_out)
    np.testing.assert_allclose(out["fraction"], r * (d_in + d_out) / (d_in * d_out), rtol=1e-15)
    assert out["fraction"][0] == 2 * 8 / 4096
    a, b = nn.Linear(10, 2, bias=False), nn.Linear(2, 6, bias=False)  # A: r × d_in, B: d_out × r
    assert (a.weight.shape, b.weight.shape) == ((2, 10), (6, 2))
    assert out["lora"][2] == numel(a) + numel(b)
    assert (b.weight @ a.weight).shape == nn.Linear(10, 6).weight.shape


# FLOPs --------------------------------------------------------------------------------------------


def test_linear_flops() -> None:
    d_in, d_out, tokens = np.array([10, 4096]), np.array([20, 4096]), np.array([5, 2048])
    out = run_reference("linear_flops", {"in_features": d_in, "out_features": d_out, "tokens": tokens}, n=2)
    n_params = d_in * d_out
    np.testing.assert_array_equal(out["forward_flops"], 2 * n_params * tokens)
    np.testing.assert_array_equal(out["backward_flops"], 4 * n_params * tokens)
    np.testing.assert_array_equal(out["train_flops"], 6 * n_params * tokens)
    # Real CPU tensors: the same count, and the backward really makes both gradients.
    layer, x = nn.Linear(10, 20, bias=False), torch.randn(5, 10, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        layer(x).sum().backward()
    assert counter.get_total_flops() == out["train_flops"][0]
    assert x.grad is not None
    assert layer.weight.grad is not None


def test_encoder_layer_flops() -> None:
    d, h, f, n = np.array([64, 768]), np.array([8, 12]), np.array([256, 3072]), np.array([16, 1024])
    inputs = {"d_model": d, "nhead": h, "dim_feedforward": f, "seq_len": n}
    out = run_reference("encoder_layer_flops", inputs, n=2)
    weights = 4 * d**2 + 2 * d * f
    np.testing.assert_array_equal(out["weights"], weights)
    np.testing.assert_array_equal(out["attention_flops"], 4 * n * d)
    np.testing.assert_array_equal(out["forward_flops"], 2 * weights + 4 * n * d)
    np.testing.assert_array_equal(out["train_flops"], 3 * (2 * weights + 4 * n * d))
    # A real CPU layer on real tokens counts the same, with attention's math backend (FlopCounterMode
    # counts no FLOPs for CPU's fused flash attention).
    layer = nn.TransformerEncoderLayer(64, 8, 256, dropout=0.0, batch_first=True)
    with sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as forward:
            y = layer(torch.randn(1, 16, 64, requires_grad=True))
        with FlopCounterMode(display=False) as backward:
            y.sum().backward()
    assert forward.get_total_flops() / 16 == out["forward_flops"][0]
    assert (forward.get_total_flops() + backward.get_total_flops()) / 16 == out["train_flops"][0]


# Memory -------------------------------------------------------------------------------------------


def test_bits_are_torch_dtypes() -> None:
    for bits, name in DTYPES_BY_BITS.items():
        assert getattr(torch, name).itemsize * 8 == bits
    assert get_reference("kv_cache_memory").input("bits").default == torch.get_default_dtype().itemsize * 8
    eight = {"batch_size": 1, "num_heads": 2, "seq_len": 4, "bits": 8}
    assert run_reference("attention_scores_memory", eight, n=1)["bytes"][0] == 2 * 4 * 4
    with pytest.raises(ReferenceInputError, match="'bits'"):
        run_reference(
            "attention_scores_memory", {"batch_size": 1, "num_heads": 1, "seq_len": 4, "bits": 12}, n=1
        )


def test_attention_scores_memory() -> None:
    b, h, n, bits = (
        np.array([1, 8, 2]),
        np.array([12, 16, 2]),
        np.array([1024, 2048, 3]),
        np.array([16, 32, 32]),
    )
    out = run_reference(
        "attention_scores_memory", {"batch_size": b, "num_heads": h, "seq_len": n, "bits": bits}, n=3
    )
    np.testing.assert_array_equal(out["bytes"], b * h * n**2 * bits // 8)
    np.testing.assert_array_equal(out["mib"], b * h * n**2 * bits / 8 / 2**20)
    assert out["mib"][0] == 24.0
    # The per-head weights a real nn.MultiheadAttention returns take exactly these bytes.
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    x = torch.randn(2, 3, 4)
    _, weights = attention(x, x, x, need_weights=True, average_attn_weights=False)
    assert weights is not None
    assert weights.shape == (2, 2, 3, 3)
    assert weights.nbytes == out["bytes"][2]


def test_kv_cache_memory() -> None:
    inputs = {
        "num_layers": [32, 2, 80], "num_heads": [32, 4, 64], "num_kv_heads": [8, 2, 8], "head_dim": [128, 3, 128],
        "seq_len": [4096, 5, 8192], "batch_size": [1, 2, 4], "bits": [16, 32, 16],
    }  # fmt: skip
    a = {name: np.array(value) for name, value in inputs.items()}
    out = run_reference("kv_cache_memory", inputs, n=3)
    per_head = 2 * a["num_layers"] * a["head_dim"] * a["seq_len"] * a["batch_size"] * a["bits"] // 8
    np.testing.assert_array_equal(out["bytes"], per_head * a["num_kv_heads"])
    np.testing.assert_array_equal(out["mha_bytes"], per_head * a["num_heads"])
    np.testing.assert_array_equal(out["reduction"], a["num_heads"] / a["num_kv_heads"])
    np.testing.assert_array_equal(out["gib"], out["bytes"] / 2**30)
    assert out["gib"][0] == 0.5  # Llama-2-7B-like sizes with 8 K/V heads, 4096 tokens in fp16
    # A real cache of the second instance's sizes: per layer K and V projections of 2 heads.
    x = torch.randn(2, 5, 4 * 3)
    cache = [nn.Linear(12, 2 * 3, bias=False)(x) for _ in range(2 * 2)]  # (K, V) × 2 layers
    assert sum(t.nbytes for t in cache) == out["bytes"][1]
    with pytest.raises(ReferenceInputError, match="must divide"):
        run_reference("kv_cache_memory", {**{k: v[0] for k, v in inputs.items()}, "num_kv_heads": 3}, n=1)


def test_grouped_query_attention_shares_each_kv_head() -> None:
    """What the cache saves: SDPA with 2 K/V heads for 4 query heads repeats each K/V head for its
    group of query heads, so the cache needs only the 2 heads."""
    torch.manual_seed(0)
    q = torch.randn(1, 4, 5, 3, dtype=torch.float64)
    k, v = torch.randn(1, 2, 5, 3, dtype=torch.float64), torch.randn(1, 2, 5, 3, dtype=torch.float64)
    grouped = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    repeated = F.scaled_dot_product_attention(
        q, k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1), is_causal=True
    )
    torch.testing.assert_close(grouped, repeated, rtol=0, atol=1e-14)
    out = run_reference(
        "kv_cache_memory",
        {
            "num_layers": 1,
            "num_heads": 4,
            "num_kv_heads": 2,
            "head_dim": 3,
            "seq_len": 5,
            "batch_size": 1,
            "bits": 64,
        },
        n=1,
    )
    assert out["bytes"][0] == k.nbytes + v.nbytes
    assert out["mha_bytes"][0] == 2 * q.nbytes


# Batching, defaults, mistakes ---------------------------------------------------------------------


def test_instances_keep_their_order_across_groups() -> None:
    d = np.array([64, 128, 64, 256, 128])
    with recording_groupings() as groupings:
        out = run_reference("multihead_attention_params", {"embed_dim": d, "num_heads": 4}, n=5)
    np.testing.assert_array_equal(out["params"], 4 * d**2 + 4 * d)
    assert groupings == [("embed_dim", "num_heads", "bias")]


def test_defaults_are_torchs() -> None:
    layer = inspect.signature(nn.TransformerEncoderLayer).parameters
    for name in ("encoder_layer_params", "encoder_layer_flops"):
        assert get_reference(name).input("dim_feedforward").default == layer["dim_feedforward"].default
    assert get_reference("encoder_layer_params").input("bias").default == float(layer["bias"].default)
    mha = inspect.signature(nn.MultiheadAttention).parameters
    assert get_reference("multihead_attention_params").input("bias").default == float(mha["bias"].default)
    # F.scaled_dot_product_attention is a builtin without a signature: its default, called.
    q = torch.randn(1, 3, 2, dtype=torch.float64)
    default = F.scaled_dot_product_attention(q, q, q)
    assert get_reference("scaled_dot_product_attention").input("is_causal").default == 0.0
    torch.testing.assert_close(default, F.scaled_dot_product_attention(q, q, q, is_causal=False))
    assert not torch.allclose(default, F.scaled_dot_product_attention(q, q, q, is_causal=True))


SIZES = {
    "embed_dim": 8, "num_heads": 4, "d_model": 8, "nhead": 2, "num_embeddings": 10, "embedding_dim": 3,
    "in_features": 6, "out_features": 4, "r": 2, "tokens": 3, "seq_len": 5, "batch_size": 2,
    "num_layers": 2, "num_kv_heads": 2, "head_dim": 3,
}  # fmt: skip
MATRICES = {"Q": [[1.0, 0.0], [0.5, 1.0]], "K": [[0.3, 0.4], [1.0, 0.0]], "V": [[1.0, 2.0], [0.0, 1.0]]}
TOPIC = [ref for ref in all_references() if ref.topic == "transformers"]


@pytest.mark.parametrize("ref", TOPIC, ids=lambda ref: ref.name)
def test_runs_at_its_defaults(ref: Reference) -> None:
    inputs: dict[str, Any] = {
        p.name: {**SIZES, **MATRICES, "logits": [0.1, 0.2]}[p.name] for p in ref.inputs if p.default is None
    }
    out = run_reference(ref, inputs, n=2, device="cpu")
    assert set(out) == {o.name for o in ref.outputs}
    for o in ref.outputs:
        assert out[o.name].shape[0] == 2
        assert out[o.name].ndim == 1 + len(o.shape)


# Each reference's mistakes at these inputs, against the wrong computation written out in numpy.
MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "scaled_dot_product_attention": ({
        "Q": [[[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]]] * 2, "K": [[[0.3, 0.4, 1.0], [1.0, 0.0, -0.5]]] * 2,
        "V": [[[1.0, 2.0], [0.0, 1.0]]] * 2, "is_causal": [0, 1],
    }, 2),
    "softmax_temperature": ({"logits": [1.0, 2.0, 0.5], "temperature": [0.5, 2.0]}, 2),
    "causal_mask": ({"seq_len": [4, 9]}, 2),
    "multihead_attention_params": ({"embed_dim": [512, 64], "num_heads": [8, 4], "bias": [1, 0]}, 2),
    "encoder_layer_params": ({"d_model": [512, 64], "nhead": [8, 4], "dim_feedforward": [2048, 128], "bias": [1, 0]}, 2),
    "embedding_params": ({"num_embeddings": [50257, 10], "embedding_dim": [768, 3]}, 2),
    "lora_params": ({"in_features": [4096, 768], "out_features": [1024, 3072], "r": [8, 4]}, 2),
    "linear_flops": ({"in_features": [10, 64], "out_features": [20, 32], "tokens": [5, 7]}, 2),
    "encoder_layer_flops": ({"d_model": [64, 32], "nhead": [8, 4], "dim_feedforward": [256, 64], "seq_len": [16, 40]}, 2),
    "attention_scores_memory": ({"batch_size": [1, 4], "num_heads": [12, 8], "seq_len": [1024, 100], "bits": [16, 32]}, 2),
    "kv_cache_memory": ({
        "num_layers": [32, 2], "num_heads": [32, 4], "num_kv_heads": [8, 4], "head_dim": [128, 3],
        "seq_len": [4096, 5], "batch_size": [1, 2], "bits": [16, 32],
    }, 2),
}  # fmt: skip


def unscaled_weights(e: E, divisor: Callable[[int], float]) -> np.ndarray:
    scores = np.einsum("bmd,bnd->bmn", e["Q"], e["K"]) / divisor(e["Q"].shape[-1])
    causal = e["is_causal"][:, None, None] == 1
    return softmax(np.where(causal & np.triu(np.ones(scores.shape[1:], dtype=bool), 1), -np.inf, scores))


def bytes_per(e: E) -> np.ndarray:
    return e["bits"] / 8


MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("scaled_dot_product_attention", "no-scaling"): lambda e: unscaled_weights(e, lambda d: 1.0) @ e["V"],
    ("scaled_dot_product_attention", "scaled-by-d"): lambda e: unscaled_weights(e, float) @ e["V"],
    ("scaled_dot_product_attention", "mask-ignored"): lambda e: softmax(e["scores"]) @ e["V"],
    ("scaled_dot_product_attention", "weights-no-scaling"): lambda e: unscaled_weights(e, lambda d: 1.0),
    ("scaled_dot_product_attention", "weights-mask-ignored"): lambda e: softmax(e["scores"]),
    ("softmax_temperature", "multiplied-by-temperature"): lambda e: softmax(e["logits"] * e["temperature"][:, None]),
    ("causal_mask", "diagonal-masked"): lambda e: e["seq_len"] * (e["seq_len"] + 1) / 2,
    ("causal_mask", "half-the-square"): lambda e: e["seq_len"] ** 2 / 2,
    ("multihead_attention_params", "no-output-projection"): lambda e: 3 * e["embed_dim"] ** 2 + 3 * e["bias"] * e["embed_dim"],
    ("multihead_attention_params", "per-head-full-projections"): lambda e: (3 * e["num_heads"] + 1) * (e["embed_dim"] ** 2 + e["bias"] * e["embed_dim"]),
    ("multihead_attention_params", "no-biases"): lambda e: 4 * e["embed_dim"] ** 2,
    ("encoder_layer_params", "no-layer-norms"): lambda e: e["params"] - e["norms"],
    ("encoder_layer_params", "twelve-d-squared"): lambda e: 12 * e["d_model"] ** 2,
    ("encoder_layer_params", "feedforward-4d"): lambda e: 12 * e["d_model"] ** 2 + np.where(e["bias"] == 1, 13, 2) * e["d_model"],
    ("embedding_params", "tied-counted-twice"): lambda e: 2 * e["num_embeddings"] * e["embedding_dim"],
    ("lora_params", "square-assumed"): lambda e: 2 * e["r"] * e["in_features"],
    ("lora_params", "fraction-of-total"): lambda e: e["lora"] / (e["in_features"] * e["out_features"] + e["lora"]),
    ("linear_flops", "multiply-adds"): lambda e: e["forward_flops"] / 2,
    ("linear_flops", "backward-as-forward"): lambda e: 4 * e["in_features"] * e["out_features"] * e["tokens"],
    ("encoder_layer_flops", "no-attention-term"): lambda e: e["forward_flops"] - e["attention_flops"],
    ("encoder_layer_flops", "scores-only"): lambda e: e["attention_flops"] / 2,
    ("encoder_layer_flops", "backward-as-forward"): lambda e: e["train_flops"] * 2 / 3,
    ("attention_scores_memory", "one-head"): lambda e: e["bytes"] / e["num_heads"],
    ("attention_scores_memory", "decimal-megabytes"): lambda e: e["mib"] * 2**20 / 1e6,
    ("kv_cache_memory", "keys-only"): lambda e: e["bytes"] / 2,
    ("kv_cache_memory", "query-heads-cached"): lambda e: e["bytes"] * e["num_heads"] / e["num_kv_heads"],
    ("kv_cache_memory", "decimal-gigabytes"): lambda e: e["gib"] * 2**30 / 1e9,
}  # fmt: skip
