"""Transformer references: attention values, parameter counts, FLOPs and memory, all by torch.

Attention runs F.scaled_dot_product_attention itself; its weights are read off the same
call with the identity for V (the output rows are then exactly the weight rows), so that
they are torch's softmax and torch's mask, not a re-derivation.

Parameter counts are the numel() of real modules (nn.MultiheadAttention,
nn.TransformerEncoderLayer, nn.Embedding, nn.Linear) built on the meta device: a meta
module has every parameter's shape and no memory, so GPT-sized layers cost nothing.
FLOPs are counted by torch.utils.flop_counter.FlopCounterMode on meta tensors (2 FLOPs per
multiply-add, as torch and the scaling-law papers count them); bytes are
element_size() × numel() of a meta tensor of the cache's or the scores' shape and dtype.

Sizes are hyperparameters that torch takes as Python ints, so the instances are grouped
by them (`per_group`): one module, one count, per distinct set of sizes. The causal mask's
counts are read off one mask, of the batch's longest sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    ReferenceInputError,
    as_count,
    as_flag,
    constant_per_group,
    parameter_count,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

Sizes = dict[str, float]
Counts = Callable[[Sizes], dict[str, float]]

DTYPES_BY_BITS = {8: "float8_e4m3fn", 16: "float16", 32: "float32", 64: "float64"}
"""The floating dtype of each width; 16 bits is float16 (bfloat16 has the same size)."""

BITS = Param(
    "bits",
    (),
    32.0,
    "bits per element: 8, 16, 32 or 64 (float8_e4m3fn, float16, float32, float64); "
    "the default is torch's default dtype, float32",
)


def _counts_per_group(names: list[str], counts: Counts) -> Compute:
    """`counts(sizes)` once per group of instances sharing `names`: counts depend on the sizes
    only, never on the device (modules are built on "meta")."""
    return constant_per_group(names, lambda sizes, _device: counts(sizes))


def _heads(sizes: Sizes, width: str, heads: str) -> tuple[int, int]:
    """(width, heads), checked as nn.MultiheadAttention asserts: heads must divide the width."""
    size = as_count(sizes[width], width, minimum=1)
    count = as_count(sizes[heads], heads, minimum=1)
    if size % count:
        raise ReferenceInputError(f"{heads} = {count} does not divide {width} = {size}")
    return size, count


def _dtype(bits: float) -> torch.dtype:
    import torch

    if bits not in DTYPES_BY_BITS:
        raise ReferenceInputError(f"input 'bits' must be one of 8, 16, 32, 64, not {bits:g}")
    dtype: torch.dtype = getattr(torch, DTYPES_BY_BITS[int(bits)])
    return dtype


def _bytes(shape: tuple[int, ...], bits: float) -> int:
    """Bytes of a tensor of `shape` at `bits` per element, as torch stores it."""
    import torch

    tensor = torch.empty(shape, dtype=_dtype(bits), device="meta")
    return tensor.element_size() * tensor.numel()


# Attention ----------------------------------------------------------------------------------


def _attention(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    def run(idx: np.ndarray, h: Sizes) -> Arrays:
        causal = as_flag(h["is_causal"], "is_causal")
        q, k, v = (to_tensor(arrays[name][idx], device) for name in ("Q", "K", "V"))
        # V = I turns each output row into its row of attention weights.
        identity = torch.eye(k.shape[1], dtype=k.dtype, device=device).expand(len(idx), -1, -1)
        with torch.no_grad():
            out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            weights = F.scaled_dot_product_attention(q, k, identity, is_causal=causal)
            # SDPA's default scale, 1/sqrt(d_k), on the raw scores.
            scores = q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5
        return {"out": to_numpy(out), "weights": to_numpy(weights), "scores": to_numpy(scores)}

    return per_group(arrays, ["is_causal"], run)


def _softmax_temperature(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    if (arrays["temperature"] <= 0).any():
        raise ReferenceInputError("input 'temperature' must be positive")
    logits = to_tensor(arrays["logits"], device)
    temperature = to_tensor(arrays["temperature"], device)[:, None]
    with torch.no_grad():
        probs = F.softmax(logits / temperature, dim=-1)
    return {"probs": to_numpy(probs)}


def _causal_mask(arrays: Arrays, device: torch.device) -> Arrays:
    """Counts read off one real mask, of the longest sequence in the batch.

    A causal mask only looks back, so the mask of n tokens is the top-left n × n block of
    the mask of more tokens (the test checks this against torch for each n): one torch
    call serves every instance, where a mask per distinct length would cost O(n²) each,
    and the −inf entries of every block are counted in one pass.
    """
    import numpy as np
    import torch

    lengths = [as_count(value, "seq_len", minimum=1) for value in arrays["seq_len"]]
    if max(lengths) > MAX_MASK:
        raise ReferenceInputError(f"input 'seq_len' is at most {MAX_MASK} here, not {max(lengths)}")
    mask = torch.nn.Transformer.generate_square_subsequent_mask(
        max(lengths), device=device, dtype=torch.float16
    )
    hidden = torch.isneginf(mask)
    # The n × n block grows from the (n − 1) × (n − 1) one by row n − 1 up to its diagonal and
    # column n − 1 above it: summing those shells counts every block at once.
    shells = torch.tril(hidden).sum(dim=1) + torch.triu(hidden, diagonal=1).sum(dim=0)
    in_block = torch.cumsum(shells, dim=0).cpu().numpy()
    masked = in_block[np.asarray(lengths) - 1].astype(np.float64)
    squares = np.asarray(lengths, dtype=np.float64) ** 2
    return {"masked": masked, "attended": squares - masked}


MAX_MASK = 4096
"""The longest causal mask built (as float16, 32 MiB): the counts are read off a real mask."""


# Parameter counts ---------------------------------------------------------------------------


def _multihead_attention_params(sizes: Sizes) -> dict[str, float]:
    import torch

    embed_dim, num_heads = _heads(sizes, "embed_dim", "num_heads")
    module = torch.nn.MultiheadAttention(
        embed_dim, num_heads, bias=as_flag(sizes["bias"], "bias"), device="meta"
    )
    out_proj = parameter_count(module.out_proj)
    return {
        "params": parameter_count(module),
        "in_proj": parameter_count(module) - out_proj,
        "out_proj": out_proj,
    }


def _encoder_layer(sizes: Sizes, bias: bool = True) -> torch.nn.TransformerEncoderLayer:
    """A meta nn.TransformerEncoderLayer of the given sizes, without dropout."""
    import torch

    d_model, nhead = _heads(sizes, "d_model", "nhead")
    return torch.nn.TransformerEncoderLayer(
        d_model,
        nhead,
        as_count(sizes["dim_feedforward"], "dim_feedforward", minimum=1),
        dropout=0.0,
        bias=bias,
        batch_first=True,
        device="meta",
    )


def _encoder_layer_params(sizes: Sizes) -> dict[str, float]:
    layer = _encoder_layer(sizes, bias=as_flag(sizes["bias"], "bias"))
    feedforward = parameter_count(layer.linear1) + parameter_count(layer.linear2)
    norms = parameter_count(layer.norm1) + parameter_count(layer.norm2)
    attention = parameter_count(layer.self_attn)
    return {
        "params": parameter_count(layer),
        "attention": attention,
        "feedforward": feedforward,
        "norms": norms,
    }


def _embedding_params(sizes: Sizes) -> dict[str, float]:
    import torch

    vocabulary = as_count(sizes["num_embeddings"], "num_embeddings", minimum=1)
    width = as_count(sizes["embedding_dim"], "embedding_dim", minimum=1)
    embedding = torch.nn.Embedding(vocabulary, width, device="meta")
    # The output head of a language model maps d back to the vocabulary, without a bias.
    head = torch.nn.Linear(width, vocabulary, bias=False, device="meta")
    untied = parameter_count(torch.nn.ModuleList([embedding, head]))
    head.weight = embedding.weight  # weight tying: one (V, d) matrix serves both
    tied = parameter_count(torch.nn.ModuleList([embedding, head]))
    return {"embedding": parameter_count(embedding), "untied": untied, "tied": tied}


def _lora_params(sizes: Sizes) -> dict[str, float]:
    import torch

    in_features = as_count(sizes["in_features"], "in_features", minimum=1)
    out_features = as_count(sizes["out_features"], "out_features", minimum=1)
    rank = as_count(sizes["r"], "r", minimum=1)
    frozen = torch.nn.Linear(in_features, out_features, bias=False, device="meta")
    down = torch.nn.Linear(in_features, rank, bias=False, device="meta")  # A: d_in -> r
    up = torch.nn.Linear(rank, out_features, bias=False, device="meta")  # B: r -> d_out
    lora, full = parameter_count(down) + parameter_count(up), parameter_count(frozen)
    return {"lora": lora, "full": full, "fraction": lora / full}


# FLOPs --------------------------------------------------------------------------------------


def _linear_flops(sizes: Sizes) -> dict[str, float]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    in_features = as_count(sizes["in_features"], "in_features", minimum=1)
    out_features = as_count(sizes["out_features"], "out_features", minimum=1)
    tokens = as_count(sizes["tokens"], "tokens", minimum=1)
    layer = torch.nn.Linear(in_features, out_features, bias=False, device="meta")
    # The input needs its gradient, as any layer but the first does: backward then computes
    # both dL/dx and dL/dW.
    x = torch.empty(tokens, in_features, device="meta", requires_grad=True)
    with FlopCounterMode(display=False) as forward:
        y = layer(x)
    with FlopCounterMode(display=False) as backward:
        y.sum().backward()
    fwd, bwd = forward.get_total_flops(), backward.get_total_flops()
    return {"forward_flops": fwd, "backward_flops": bwd, "train_flops": fwd + bwd}


MATMUL_OPS = frozenset({"mm", "addmm"})
"""The weight products of a layer; every other counted op in it is attention's own bmm."""


def _encoder_layer_flops(sizes: Sizes) -> dict[str, float]:
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    layer = _encoder_layer(sizes).train()
    seq_len = as_count(sizes["seq_len"], "seq_len", minimum=1)
    x = torch.empty(1, seq_len, layer.linear1.in_features, device="meta", requires_grad=True)
    # The math backend computes QKᵀ and weights·V as bmm, which FlopCounterMode counts; it
    # counts nothing for some fused kernels (CPU's flash attention, in torch 2.13).
    with sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as forward:
            y = layer(x)
        with FlopCounterMode(display=False) as backward:
            y.sum().backward()
    by_op = forward.get_flop_counts()["Global"]
    attention = sum(flops for op, flops in by_op.items() if str(op).split(".")[-1] not in MATMUL_OPS)
    weights = sum(p.numel() for p in layer.parameters() if p.dim() == 2)
    fwd, bwd = forward.get_total_flops(), backward.get_total_flops()
    return {
        "forward_flops": fwd / seq_len,
        "train_flops": (fwd + bwd) / seq_len,
        "attention_flops": attention / seq_len,
        "weights": weights,
    }


# Memory -------------------------------------------------------------------------------------


def _attention_scores_memory(sizes: Sizes) -> dict[str, float]:
    shape = tuple(as_count(sizes[name], name, minimum=1) for name in ("batch_size", "num_heads"))
    seq_len = as_count(sizes["seq_len"], "seq_len", minimum=1)
    size = _bytes((*shape, seq_len, seq_len), sizes["bits"])
    return {"bytes": size, "mib": size / 2**20}


def _kv_cache_memory(sizes: Sizes) -> dict[str, float]:
    num_heads = as_count(sizes["num_heads"], "num_heads", minimum=1)
    num_kv_heads = as_count(sizes["num_kv_heads"], "num_kv_heads", minimum=1)
    if num_heads % num_kv_heads:
        raise ReferenceInputError(
            f"num_kv_heads = {num_kv_heads} must divide num_heads = {num_heads}: each K/V head "
            "serves a group of num_heads/num_kv_heads query heads"
        )
    layers, batch, seq_len, head_dim = (
        as_count(sizes[name], name, minimum=1) for name in ("num_layers", "batch_size", "seq_len", "head_dim")
    )

    def cache(heads: int) -> int:
        # Per layer one K and one V tensor, each (batch, heads, seq_len, head_dim).
        return _bytes((layers, 2, batch, heads, seq_len, head_dim), sizes["bits"])

    size, mha = cache(num_kv_heads), cache(num_heads)
    return {"bytes": size, "gib": size / 2**30, "mha_bytes": mha, "reduction": mha / size}


# The declarations ---------------------------------------------------------------------------

_D = "len(transpose(Q))"
"""d_k, the width of the queries, in the expression language (rows of Qᵀ)."""


def _masked_softmax(logits: str) -> str:
    """softmax over the keys torch lets each query see (weights > 0), of `logits`."""
    kept = f"where(weights > 0, exp({logits}), 0)"
    return f"transpose(transpose({kept}) / sum({kept}))"


def _sizes(*names: str, doc: str = "") -> tuple[Param, ...]:
    return tuple(Param(name, (), None, doc) for name in names)


REFERENCES = (
    Reference(
        name="scaled_dot_product_attention",
        summary="softmax(QKᵀ/√d_k)·V for one head, optionally causal (query i sees keys j ≤ i).",
        torch_api="torch.nn.functional.scaled_dot_product_attention (weights: the same call with V = I)",
        inputs=(
            Param("Q", ("m", "d"), None, "m queries of width d_k"),
            Param("K", ("n", "d"), None, "n keys of width d_k"),
            Param("V", ("n", "p"), None, "n values of width d_v"),
            Param("is_causal", (), 0.0, "1: query i attends to keys j ≤ i only (a top-left causal mask)"),
        ),
        outputs=(
            Output("out", ("m", "p"), "the attention output, weights · V"),
            Output("weights", ("m", "n"), "softmax of the (masked) scaled scores, row by row"),
            Output("scores", ("m", "n"), "QKᵀ/√d_k, before any mask"),
        ),
        mistakes=(
            Mistake(
                "no-scaling",
                "out",
                f"{_masked_softmax('Q @ transpose(K)')} @ V",
                "Took the softmax of QKᵀ without dividing by √d_k; the default scale of "
                "scaled_dot_product_attention is 1/√d_k.",
            ),
            Mistake(
                "scaled-by-d",
                "out",
                f"{_masked_softmax(f'Q @ transpose(K) / {_D}')} @ V",
                "Divided the scores by d_k; they are divided by √d_k, the standard deviation "
                "of q·k for unit-variance entries.",
            ),
            Mistake(
                "mask-ignored",
                "out",
                "softmax(scores) @ V",
                "Let every query see every key; with is_causal=True query i sees keys 0..i only, "
                "the others get −inf before the softmax (weight 0).",
            ),
            Mistake(
                "weights-no-scaling",
                "weights",
                _masked_softmax("Q @ transpose(K)"),
                "Took the softmax of QKᵀ without dividing by √d_k.",
            ),
            Mistake(
                "weights-mask-ignored",
                "weights",
                "softmax(scores)",
                "Let every query see every key; with is_causal=True the weights above the diagonal are 0.",
            ),
        ),
        topic="transformers",
        compute=_attention,
    ),
    Reference(
        name="softmax_temperature",
        summary="softmax(logits / T): T < 1 sharpens the distribution, T > 1 flattens it.",
        torch_api="torch.nn.functional.softmax(logits / temperature)",
        inputs=(
            Param("logits", ("n",), None, "the logits"),
            Param("temperature", (), 1.0, "T > 0; 1 is the plain softmax"),
        ),
        outputs=(Output("probs", ("n",), "softmax(logits / temperature)"),),
        mistakes=(
            Mistake(
                "multiplied-by-temperature",
                "probs",
                "softmax(logits * temperature)",
                "Multiplied the logits by T; the logits are divided by the temperature, so a "
                "large T flattens the distribution.",
            ),
        ),
        topic="transformers",
        compute=_softmax_temperature,
    ),
    Reference(
        name="causal_mask",
        summary="The additive causal mask of n tokens: −inf above the diagonal (key j > query i).",
        torch_api="torch.nn.Transformer.generate_square_subsequent_mask",
        inputs=(Param("seq_len", (), None, f"the number of tokens n (at most {MAX_MASK})"),),
        outputs=(
            Output("masked", (), "entries set to −inf: n(n − 1)/2"),
            Output("attended", (), "entries left at 0 (each query's visible keys): n(n + 1)/2"),
        ),
        mistakes=(
            Mistake(
                "diagonal-masked",
                "masked",
                "seq_len * (seq_len + 1) / 2",
                "Masked the diagonal too; each token attends to itself, so only the n(n − 1)/2 "
                "entries strictly above the diagonal are −inf.",
            ),
            Mistake(
                "half-the-square",
                "masked",
                "seq_len ^ 2 / 2",
                "Took half of the n² entries; the diagonal is not masked, so it is n(n − 1)/2.",
            ),
        ),
        topic="transformers",
        compute=_causal_mask,
    ),
    Reference(
        name="multihead_attention_params",
        summary="Parameters of nn.MultiheadAttention(embed_dim, num_heads): 4d² + 4d with bias, "
        "whatever the number of heads.",
        torch_api="torch.nn.MultiheadAttention(...).parameters() numel, on the meta device",
        inputs=(
            *_sizes("embed_dim", doc="the model width d"),
            *_sizes("num_heads", doc="the number of heads; must divide embed_dim"),
            Param("bias", (), 1.0, "1: the projections have biases (torch's default)"),
        ),
        outputs=(
            Output("params", (), "all parameters: 4d² + 4d with bias, 4d² without"),
            Output("in_proj", (), "the packed Q, K, V projection: 3d² + 3d"),
            Output("out_proj", (), "the output projection: d² + d"),
        ),
        mistakes=(
            Mistake(
                "no-output-projection",
                "params",
                "3 * embed_dim ^ 2 + 3 * bias * embed_dim",
                "Counted W_Q, W_K, W_V only; nn.MultiheadAttention also has the output "
                "projection W_O (d² + d).",
            ),
            Mistake(
                "per-head-full-projections",
                "params",
                "3 * num_heads * (embed_dim ^ 2 + bias * embed_dim) + embed_dim ^ 2 + bias * embed_dim",
                "Gave each head its own d × d projections; the heads split the d outputs of one "
                "d × d projection (d/h each), so the count does not depend on the heads.",
            ),
            Mistake(
                "no-biases",
                "params",
                "4 * embed_dim ^ 2",
                "Left out the biases; with bias=True (the default) each of the four projections "
                "has d of them.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["embed_dim", "num_heads", "bias"], _multihead_attention_params),
    ),
    Reference(
        name="encoder_layer_params",
        summary="Parameters of nn.TransformerEncoderLayer: attention 4d² + 4d, feed-forward "
        "2·d·f + f + d, two LayerNorms 4d.",
        torch_api="torch.nn.TransformerEncoderLayer(...).parameters() numel, on the meta device",
        inputs=(
            *_sizes("d_model", doc="the model width d"),
            *_sizes("nhead", doc="the number of heads; must divide d_model"),
            Param("dim_feedforward", (), 2048.0, "the hidden width f of the feed-forward block"),
            Param("bias", (), 1.0, "1: Linear and LayerNorm layers have biases (torch's default)"),
        ),
        outputs=(
            Output("params", (), "all parameters"),
            Output("attention", (), "self_attn: 4d² + 4d (4d² without biases)"),
            Output("feedforward", (), "linear1 and linear2: 2·d·f + f + d (2·d·f without biases)"),
            Output("norms", (), "norm1 and norm2: 4d (2d without biases)"),
        ),
        mistakes=(
            Mistake(
                "no-layer-norms",
                "params",
                "attention + feedforward",
                "Left out the two LayerNorms: a weight of d_model entries each, and a bias each "
                "unless bias=False.",
            ),
            Mistake(
                "twelve-d-squared",
                "params",
                "12 * d_model ^ 2",
                "12d² is a rule of thumb (dim_feedforward = 4·d_model, weight matrices only); "
                "count 4d² + 2·d·f for the matrices, then the biases and LayerNorm parameters.",
            ),
            Mistake(
                "feedforward-4d",
                "params",
                "12 * d_model ^ 2 + (2 + 11 * bias) * d_model",
                "Took the feed-forward width to be 4·d_model; it is dim_feedforward, which "
                "defaults to 2048 whatever d_model is.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["d_model", "nhead", "dim_feedforward", "bias"], _encoder_layer_params),
    ),
    Reference(
        name="embedding_params",
        summary="nn.Embedding(V, d) has V·d parameters; an output head tied to it adds none.",
        torch_api="torch.nn.Embedding and torch.nn.Linear(d, V, bias=False) numel, tied by "
        "sharing the weight (parameters() counts it once)",
        inputs=(
            *_sizes("num_embeddings", doc="the vocabulary size V"),
            *_sizes("embedding_dim", doc="the width d"),
        ),
        outputs=(
            Output("embedding", (), "the embedding table: V·d"),
            Output("untied", (), "embedding and a separate output head: 2·V·d"),
            Output("tied", (), "embedding and an output head sharing its weight: V·d"),
        ),
        mistakes=(
            Mistake(
                "tied-counted-twice",
                "tied",
                "2 * num_embeddings * embedding_dim",
                "Counted the shared matrix twice; with tying the head's weight IS the embedding's, "
                "one (V, d) tensor.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["num_embeddings", "embedding_dim"], _embedding_params),
    ),
    Reference(
        name="lora_params",
        summary="LoRA on a d_in → d_out weight: B·A with A (r × d_in) and B (d_out × r) trains "
        "r(d_in + d_out) parameters instead of d_in·d_out.",
        torch_api="torch.nn.Linear(d_in, r, bias=False) and Linear(r, d_out, bias=False) numel "
        "against Linear(d_in, d_out, bias=False)",
        inputs=(
            *_sizes("in_features", doc="d_in"),
            *_sizes("out_features", doc="d_out"),
            *_sizes("r", doc="the rank"),
        ),
        outputs=(
            Output("lora", (), "trainable LoRA parameters: r(d_in + d_out)"),
            Output("full", (), "the frozen weight's parameters: d_in·d_out"),
            Output("fraction", (), "lora / full"),
        ),
        mistakes=(
            Mistake(
                "square-assumed",
                "lora",
                "2 * r * in_features",
                "Took 2·r·d_in, which holds for a square weight only; A is r × d_in and B is d_out × r.",
            ),
            Mistake(
                "fraction-of-total",
                "fraction",
                "lora / (full + lora)",
                "Divided by the frozen and LoRA parameters together; the fraction is of the "
                "original weight, d_in·d_out.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["in_features", "out_features", "r"], _lora_params),
    ),
    Reference(
        name="linear_flops",
        summary="FLOPs of a bias-free nn.Linear on `tokens` tokens: forward 2N per token, "
        "backward 4N (dL/dx and dL/dW), training 6N, with N = in·out.",
        torch_api="torch.utils.flop_counter.FlopCounterMode around nn.Linear forward and backward (meta)",
        inputs=(
            *_sizes("in_features", doc="d_in"),
            *_sizes("out_features", doc="d_out"),
            *_sizes("tokens", doc="tokens in the batch"),
        ),
        outputs=(
            Output("forward_flops", (), "2·in·out·tokens"),
            Output("backward_flops", (), "4·in·out·tokens"),
            Output("train_flops", (), "forward + backward: 6·in·out·tokens"),
        ),
        mistakes=(
            Mistake(
                "multiply-adds",
                "forward_flops",
                "in_features * out_features * tokens",
                "Counted multiply-adds; each is 2 FLOPs (a multiply and an add), so the forward "
                "pass is 2N per token.",
            ),
            Mistake(
                "backward-as-forward",
                "train_flops",
                "2 * forward_flops",
                "Took the backward pass to cost as much as the forward; it computes two products "
                "(dL/dx and dL/dW), 4N per token, so training is 6N.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["in_features", "out_features", "tokens"], _linear_flops),
    ),
    Reference(
        name="encoder_layer_flops",
        summary="FLOPs per token of nn.TransformerEncoderLayer on n tokens: 2N for the weights "
        "plus 4·n·d for QKᵀ and weights·V (all n² pairs); training is 3× that.",
        torch_api="torch.utils.flop_counter.FlopCounterMode around nn.TransformerEncoderLayer "
        "forward and backward (meta)",
        inputs=(
            *_sizes("d_model", doc="the model width d"),
            *_sizes("nhead", doc="the number of heads; must divide d_model"),
            Param("dim_feedforward", (), 2048.0, "the hidden width f of the feed-forward block"),
            *_sizes("seq_len", doc="the sequence length n"),
        ),
        outputs=(
            Output("forward_flops", (), "forward FLOPs per token: 2N + 4·n·d"),
            Output("train_flops", (), "forward and backward FLOPs per token: 3 × forward"),
            Output("attention_flops", (), "forward FLOPs per token of QKᵀ and weights·V: 4·n·d"),
            Output("weights", (), "N: entries of the weight matrices, 4d² + 2·d·f"),
        ),
        mistakes=(
            Mistake(
                "no-attention-term",
                "forward_flops",
                "2 * weights",
                "Counted the weight products only (2N); the scores QKᵀ and weights·V add 4·n·d "
                "per token, which grows with the sequence length.",
            ),
            Mistake(
                "scores-only",
                "attention_flops",
                "2 * seq_len * d_model",
                "Counted QKᵀ only; the weighted sum of the values (weights·V) costs as much again.",
            ),
            Mistake(
                "backward-as-forward",
                "train_flops",
                "2 * forward_flops",
                "Took the backward pass to cost as much as the forward; it costs twice as much, "
                "so training is 3× the forward FLOPs.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["d_model", "nhead", "dim_feedforward", "seq_len"], _encoder_layer_flops),
    ),
    Reference(
        name="attention_scores_memory",
        summary="Memory of the attention score matrices (batch, heads, n, n): quadratic in n.",
        torch_api="torch.empty((batch, heads, n, n), dtype, device='meta'): element_size() × numel()",
        inputs=(
            *_sizes("batch_size", doc="sequences in the batch"),
            *_sizes("num_heads", doc="attention heads"),
            *_sizes("seq_len", doc="the sequence length n"),
            BITS,
        ),
        outputs=(
            Output("bytes", (), "batch · heads · n² · bytes per element"),
            Output("mib", (), "the same in MiB (2^20 bytes)"),
        ),
        mistakes=(
            Mistake(
                "one-head",
                "bytes",
                "batch_size * seq_len ^ 2 * bits / 8",
                "Counted one score matrix per sequence; every head has its own n × n matrix.",
            ),
            Mistake(
                "decimal-megabytes",
                "mib",
                "bytes / 10 ^ 6",
                "Divided by 10^6 (MB); a MiB is 2^20 = 1,048,576 bytes.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(["batch_size", "num_heads", "seq_len", "bits"], _attention_scores_memory),
    ),
    Reference(
        name="kv_cache_memory",
        summary="KV-cache memory: 2 · layers · kv_heads · head_dim · seq · batch · bytes; "
        "grouped-query attention caches num_kv_heads heads instead of num_heads.",
        torch_api="torch.empty((layers, 2, batch, kv_heads, seq, head_dim), dtype, device='meta'): "
        "element_size() × numel()",
        inputs=(
            *_sizes("num_layers", doc="Transformer layers"),
            *_sizes("num_heads", doc="query heads"),
            *_sizes(
                "num_kv_heads",
                doc="K/V heads: num_heads for multi-head, 1 for multi-query, a divisor for grouped-query",
            ),
            *_sizes("head_dim", doc="the width of one head"),
            *_sizes("seq_len", doc="cached tokens per sequence"),
            *_sizes("batch_size", doc="sequences"),
            BITS,
        ),
        outputs=(
            Output("bytes", (), "the cache: 2 · layers · kv_heads · head_dim · seq · batch · bytes"),
            Output("gib", (), "the same in GiB (2^30 bytes)"),
            Output("mha_bytes", (), "the cache with a K/V head per query head (num_kv_heads = num_heads)"),
            Output("reduction", (), "mha_bytes / bytes = num_heads / num_kv_heads"),
        ),
        mistakes=(
            Mistake(
                "keys-only",
                "bytes",
                "num_layers * num_kv_heads * head_dim * seq_len * batch_size * bits / 8",
                "Cached one tensor per layer; the cache holds both K and V, hence the factor 2.",
            ),
            Mistake(
                "query-heads-cached",
                "bytes",
                "mha_bytes",
                "Cached a K/V head per query head; with grouped-query attention only num_kv_heads "
                "K/V heads exist, each shared by num_heads/num_kv_heads query heads.",
            ),
            Mistake(
                "decimal-gigabytes",
                "gib",
                "bytes / 10 ^ 9",
                "Divided by 10^9 (GB); a GiB is 2^30 = 1,073,741,824 bytes.",
            ),
        ),
        topic="transformers",
        compute=_counts_per_group(
            ["num_layers", "num_heads", "num_kv_heads", "head_dim", "seq_len", "batch_size", "bits"],
            _kv_cache_memory,
        ),
    ),
)
