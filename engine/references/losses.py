"""Loss references, each the value torch's loss module gives with its default reduction.

An instance's item is what one call of the loss sees: a vector of predictions (mean over
its elements), or for the classification losses a (b, c) batch (mean over the b rows,
weighted for NLL, and "batchmean" for KL). Instances are computed together with
reduction='none' and then reduced per instance exactly as the default reduction would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    class_indices,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

Tensors = dict[str, "torch.Tensor"]
LossFn = Callable[[Tensors, dict[str, float]], "torch.Tensor"]
"""A loss on a group of instances: their tensor inputs and shared hyperparameters."""


@cache
def _functions() -> dict[str, LossFn]:
    """The torch calls behind each loss, built when a loss first runs."""
    import torch
    import torch.nn.functional as F

    def over_rows(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        # (G·b,) per-row losses back to (G, b).
        return values.reshape(like.shape[0], like.shape[1])

    def cross_entropy(v: Tensors, h: dict[str, float]) -> torch.Tensor:
        logits, target = v["logits"], v["target"]
        # Class indices (G, b) or class probabilities (G, b, c), one per row.
        target = target.reshape(-1, *target.shape[2:])
        rows = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            target,
            label_smoothing=h["label_smoothing"],
            reduction="none",
        )
        return over_rows(rows, logits).mean(-1)

    def nll(v: Tensors, h: dict[str, float]) -> torch.Tensor:
        logp, target, weight = v["input"], v["target"], v["weight"][0]
        flat = logp.reshape(-1, logp.shape[-1])
        rows = F.nll_loss(flat, target.reshape(-1), weight, reduction="none")
        # torch's 'mean' with class weights divides by the sum of the rows' weights.
        return over_rows(rows, logp).sum(-1) / weight[target].sum(-1)

    def focal(v: Tensors, h: dict[str, float]) -> torch.Tensor:
        # torchvision.ops.sigmoid_focal_loss, line for line (torchvision is not a dependency).
        inputs, targets, alpha, gamma = v["input"], v["target"], h["alpha"], h["gamma"]
        p = torch.sigmoid(inputs)
        ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        return loss

    def info_nce(v: Tensors, h: dict[str, float]) -> torch.Tensor:
        query, keys = v["query"], v["keys"]
        logits = F.cosine_similarity(query[:, None, :], keys, dim=-1) / h["temperature"]
        positive = torch.zeros(len(query), dtype=torch.long, device=query.device)
        return F.cross_entropy(logits, positive, reduction="none")

    return {
        "mse": lambda v, h: F.mse_loss(v["input"], v["target"], reduction="none").mean(-1),
        "mae": lambda v, h: F.l1_loss(v["input"], v["target"], reduction="none").mean(-1),
        "huber": lambda v, h: F.huber_loss(v["input"], v["target"], reduction="none", delta=h["delta"]).mean(
            -1
        ),
        "smooth_l1": lambda v, h: F.smooth_l1_loss(
            v["input"], v["target"], reduction="none", beta=h["beta"]
        ).mean(-1),
        "cross_entropy": cross_entropy,
        "cross_entropy_probs": cross_entropy,
        "nll": nll,
        "bce": lambda v, h: F.binary_cross_entropy(v["input"], v["target"], reduction="none").mean(-1),
        "bce_with_logits": lambda v, h: F.binary_cross_entropy_with_logits(
            v["input"], v["target"], pos_weight=v["pos_weight"], reduction="none"
        ).mean(-1),
        # 'batchmean': the KL summed over classes, averaged over rows.
        "kl_div": lambda v, h: F.kl_div(v["input"], v["target"], reduction="none").sum(-1).mean(-1),
        "focal": focal,
        "margin_ranking": lambda v, h: F.margin_ranking_loss(
            v["x1"], v["x2"], v["target"], margin=h["margin"], reduction="none"
        ).mean(-1),
        "hinge_embedding": lambda v, h: F.hinge_embedding_loss(
            v["input"], v["target"], margin=h["margin"], reduction="none"
        ).mean(-1),
        "triplet_margin": lambda v, h: F.triplet_margin_loss(
            v["anchor"],
            v["positive"],
            v["negative"],
            margin=h["margin"],
            p=h["p"],
            eps=h["eps"],
            reduction="none",
        ),
        "cosine_embedding": lambda v, h: F.cosine_embedding_loss(
            v["x1"], v["x2"], v["target"], margin=h["margin"], reduction="none"
        ),
        "info_nce": info_nce,
    }


INTEGER_INPUTS = {"cross_entropy": "target", "nll": "target"}
"""Losses whose target is class indices (torch wants int64 there)."""


def _compute(name: str, hyper: list[str]) -> Compute:
    """The loss `name` per instance, one torch call per group of instances sharing `hyper`.

    Scalar hyperparameters are Python numbers in torch's API; a vector one (NLL's class
    weight) is one tensor for the whole call. Either way the group shares it.
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
            tensors = {k: to_tensor(v[idx], device) for k, v in arrays.items() if k not in h}
            if name in INTEGER_INPUTS:
                key = INTEGER_INPUTS[name]
                classes = arrays["logits" if "logits" in arrays else "input"].shape[-1]
                indices = class_indices(arrays[key][idx], classes, key)
                tensors[key] = torch.as_tensor(indices, device=device)
            with torch.no_grad():
                return {"loss": to_numpy(_functions()[name](tensors, h))}

        return per_group(arrays, hyper, run)

    return compute


LOSS = Output("loss", (), "the loss, with torch's default reduction")


def _loss(
    name: str,
    summary: str,
    torch_api: str,
    inputs: tuple[Param, ...],
    hyper: tuple[Param, ...] = (),
    mistakes: tuple[Mistake, ...] = (),
    output: Output = LOSS,
) -> Reference:
    return Reference(
        name=name,
        summary=summary,
        torch_api=torch_api,
        inputs=(*inputs, *hyper),
        outputs=(output,),
        mistakes=mistakes,
        topic="losses",
        compute=_compute(name, [p.name for p in hyper]),
    )


def _pair(doc: str = "predictions") -> tuple[Param, Param]:
    return (Param("input", ("n",), None, doc), Param("target", ("n",), None, "targets"))


def _sum_not_mean(formula: str) -> Mistake:
    return Mistake(
        "sum-not-mean",
        "loss",
        f"sum({formula})",
        "Summed over the elements; torch's default reduction is the mean.",
    )


DIFF = "(input - target)"
ABS = f"abs{DIFF}"
PT = "(sigmoid(input) * target + (1 - sigmoid(input)) * (1 - target))"
COS = "dot(x1, x2) / (norm(x1) * norm(x2))"
KL_TERMS = "target * (log(target) - input)"
BCE_TERMS = "target * log(input) + (1 - target) * log(1 - input)"

REFERENCES = (
    _loss(
        "mse",
        "Mean squared error over a vector.",
        "torch.nn.functional.mse_loss",
        _pair(),
        mistakes=(
            _sum_not_mean(f"{DIFF} ^ 2"),
            Mistake(
                "halved",
                "loss",
                f"mean({DIFF} ^ 2) / 2",
                "Included the ½ of the textbook's ½(y − ŷ)²; MSELoss has no ½.",
            ),
        ),
    ),
    _loss(
        "mae",
        "Mean absolute error (L1 loss) over a vector.",
        "torch.nn.functional.l1_loss",
        _pair(),
        mistakes=(_sum_not_mean(ABS),),
    ),
    _loss(
        "huber",
        "Huber loss: ½a² where |a| < delta, else delta·(|a| − ½delta); mean over a vector.",
        "torch.nn.functional.huber_loss",
        _pair(),
        (Param("delta", (), 1.0, "where the loss turns from quadratic to linear"),),
        mistakes=(
            Mistake(
                "missing-half",
                "loss",
                f"mean(where({ABS} < delta, {DIFF} ^ 2, delta * ({ABS} - 0.5 * delta)))",
                "Left out the ½ of the quadratic part; Huber is ½a² inside |a| < δ.",
            ),
            Mistake(
                "smooth-l1-for-huber",
                "loss",
                f"mean(where({ABS} < delta, 0.5 * {DIFF} ^ 2 / delta, {ABS} - 0.5 * delta))",
                "Gave SmoothL1 with β = δ; Huber(δ) = δ·SmoothL1(β = δ), equal only at δ = 1.",
            ),
        ),
    ),
    _loss(
        "smooth_l1",
        "SmoothL1: ½a²/beta where |a| < beta, else |a| − ½beta; mean over a vector.",
        "torch.nn.functional.smooth_l1_loss",
        _pair(),
        (Param("beta", (), 1.0, "where the loss turns from quadratic to linear"),),
        mistakes=(
            Mistake(
                "huber-for-smooth-l1",
                "loss",
                f"mean(where({ABS} < beta, 0.5 * {DIFF} ^ 2, beta * ({ABS} - 0.5 * beta)))",
                "Gave Huber with δ = β; SmoothL1(β) = Huber(β)/β, equal only at β = 1.",
            ),
        ),
    ),
    _loss(
        "cross_entropy",
        "Cross-entropy of a (b, c) batch of logits with class-index targets, mean over rows.",
        "torch.nn.functional.cross_entropy",
        (
            Param("logits", ("b", "c"), None, "raw scores (NOT probabilities), one row per sample"),
            Param("target", ("b",), None, "the class index of each row, 0..c−1"),
        ),
        (Param("label_smoothing", (), 0.0, "ε: target = (1−ε)·onehot + ε/c"),),
    ),
    _loss(
        "cross_entropy_probs",
        "Cross-entropy of a (b, c) batch of logits with class-probability targets.",
        "torch.nn.functional.cross_entropy (probability targets)",
        (
            Param("logits", ("b", "c"), None, "raw scores (NOT probabilities), one row per sample"),
            Param("target", ("b", "c"), None, "a probability distribution per row"),
        ),
        (Param("label_smoothing", (), 0.0, "ε: target ← (1−ε)·target + ε/c"),),
        mistakes=(
            Mistake(
                "probabilities-fed",
                "loss",
                "-mean(sum(target * log_softmax(softmax(logits))))",
                "Applied softmax before the loss; cross_entropy takes logits and applies "
                "log_softmax itself (label_smoothing 0 assumed).",
            ),
            Mistake(
                "sum-over-batch",
                "loss",
                "-sum(sum(target * log_softmax(logits)))",
                "Summed over the rows; the default reduction averages over the batch.",
            ),
        ),
    ),
    _loss(
        "nll",
        "Negative log-likelihood of log-probabilities, class weights, weighted mean over rows.",
        "torch.nn.functional.nll_loss",
        (
            Param("input", ("b", "c"), None, "log-probabilities, one row per sample"),
            Param("target", ("b",), None, "the class index of each row, 0..c−1"),
        ),
        (Param("weight", ("c",), 1.0, "class weights; the mean divides by Σ weight[target]"),),
    ),
    _loss(
        "bce",
        "Binary cross-entropy of probabilities (logs clamped at −100), mean over a vector.",
        "torch.nn.functional.binary_cross_entropy",
        _pair("probabilities in [0, 1]"),
        mistakes=(
            Mistake(
                "missing-minus",
                "loss",
                f"mean({BCE_TERMS})",
                "Forgot the minus sign: BCE = −[y·log p + (1−y)·log(1−p)], positive.",
            ),
            _sum_not_mean(f"-({BCE_TERMS})"),
        ),
    ),
    _loss(
        "bce_with_logits",
        "Binary cross-entropy of logits, σ applied stably inside; pos_weight scales the y·log σ term.",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        (
            *_pair("logits"),
            Param("pos_weight", ("n",), 1.0, "weight of the positive term, per element"),
        ),
        mistakes=(
            Mistake(
                "pos-weight-on-both-terms",
                "loss",
                "-mean(pos_weight * (target * log(sigmoid(input)) + (1 - target) * log(1 - sigmoid(input))))",
                "Weighted both terms; pos_weight multiplies only the positive term y·log σ(z).",
            ),
        ),
    ),
    _loss(
        "kl_div",
        "KL(p‖q) from input = log q and target = p, each (b, c); reduction 'batchmean'.",
        "torch.nn.functional.kl_div(reduction='batchmean')",
        (
            Param("input", ("b", "c"), None, "log q: LOG-probabilities of the model"),
            Param("target", ("b", "c"), None, "p: probabilities (log_target=False)"),
        ),
        mistakes=(
            Mistake(
                "sign-flipped",
                "loss",
                f"-mean(sum({KL_TERMS}))",
                "Flipped the sign; KL(p‖q) = Σ p·log(p/q) ≥ 0.",
            ),
            Mistake(
                "p-q-swapped",
                "loss",
                "mean(sum(exp(input) * (input - log(target))))",
                "Computed KL(q‖p); kl_div(input=log q, target=p) gives KL(p‖q).",
            ),
            Mistake(
                "mean-reduction",
                "loss",
                f"mean(mean({KL_TERMS}))",
                "Divided by b·c (reduction='mean', the module's default); the KL "
                "divergence is reduction='batchmean', divided by b.",
            ),
            Mistake(
                "probabilities-as-input",
                "loss",
                "mean(sum(target * (log(target) - exp(input))))",
                "Passed q instead of log q as input; kl_div expects log-probabilities.",
            ),
        ),
    ),
    _loss(
        "focal",
        "Sigmoid focal loss −α_t(1 − p_t)^γ·log p_t per element (reduction 'none').",
        "composed of torch ops: torchvision.ops.sigmoid_focal_loss's code "
        "(binary_cross_entropy_with_logits, sigmoid)",
        _pair("logits"),
        (
            Param("alpha", (), 0.25, "weight of positives (negatives get 1 − alpha); < 0: none"),
            Param("gamma", (), 2.0, "focusing exponent"),
        ),
        mistakes=(
            Mistake(
                "no-alpha",
                "loss",
                f"-log({PT}) * (1 - {PT}) ^ gamma",
                "Left out α_t; torchvision weights positives by α = 0.25, negatives by 0.75.",
            ),
            Mistake(
                "alpha-swapped",
                "loss",
                f"-(alpha * (1 - target) + (1 - alpha) * target) * log({PT}) * (1 - {PT}) ^ gamma",
                "Gave α to the negatives; α_t = α for positives (y = 1) and 1 − α otherwise.",
            ),
        ),
        output=Output("loss", ("n",), "the focal loss of each element"),
    ),
    _loss(
        "margin_ranking",
        "max(0, −y·(x1 − x2) + margin), mean over a vector.",
        "torch.nn.functional.margin_ranking_loss",
        (
            Param("x1", ("n",), None, "first scores"),
            Param("x2", ("n",), None, "second scores"),
            Param("target", ("n",), None, "1 where x1 should rank higher, −1 where x2 should"),
        ),
        (Param("margin", (), 0.0, "required gap"),),
        mistakes=(
            Mistake(
                "sign-flipped",
                "loss",
                "mean(max(0, target * (x1 - x2) + margin))",
                "Dropped the minus: the loss is max(0, −y(x1 − x2) + margin).",
            ),
        ),
    ),
    _loss(
        "hinge_embedding",
        "x where y = 1, max(0, margin − x) where y = −1; mean over a vector.",
        "torch.nn.functional.hinge_embedding_loss",
        _pair("distances (or scores)"),
        (Param("margin", (), 1.0, "margin for the y = −1 elements"),),
        mistakes=(
            Mistake(
                "missing-clamp",
                "loss",
                "mean(where(target > 0, input, margin - input))",
                "Forgot the max(0, ·) on the negatives: they cost max(0, margin − x).",
            ),
        ),
    ),
    _loss(
        "triplet_margin",
        "max(d(a, p) − d(a, n) + margin, 0) with d(x, y) = ‖x − y + eps‖_p, for one triplet.",
        "torch.nn.functional.triplet_margin_loss",
        (
            Param("anchor", ("d",), None, "anchor embedding"),
            Param("positive", ("d",), None, "embedding of the same class"),
            Param("negative", ("d",), None, "embedding of another class"),
        ),
        (
            Param("margin", (), 1.0, "required gap"),
            Param("p", (), 2.0, "norm degree"),
            Param("eps", (), 1e-6, "added to the difference vector inside the norm"),
        ),
        mistakes=(
            Mistake(
                "no-eps-in-distance",
                "loss",
                "max(norm(anchor - positive) - norm(anchor - negative) + margin, 0)",
                "Used ‖a − p‖; torch's pairwise_distance adds eps = 1e-6 to the difference.",
            ),
            Mistake(
                "squared-distances",
                "loss",
                "max(norm(anchor - positive) ^ 2 - norm(anchor - negative) ^ 2 + margin, 0)",
                "Used squared distances; TripletMarginLoss uses the distances themselves.",
            ),
        ),
    ),
    _loss(
        "cosine_embedding",
        "1 − cos(x1, x2) if y = 1, max(0, cos(x1, x2) − margin) if y = −1, for one pair.",
        "torch.nn.functional.cosine_embedding_loss",
        (
            Param("x1", ("d",), None, "first embedding"),
            Param("x2", ("d",), None, "second embedding"),
            Param("target", (), None, "1 for a similar pair, −1 for a dissimilar one"),
        ),
        (Param("margin", (), 0.0, "margin for dissimilar pairs"),),
        mistakes=(
            Mistake(
                "missing-clamp",
                "loss",
                f"where(target > 0, 1 - {COS}, {COS} - margin)",
                "Forgot the max(0, ·) on dissimilar pairs: they cost max(0, cos − margin).",
            ),
        ),
    ),
    _loss(
        "info_nce",
        "InfoNCE: cross-entropy of cosine similarities / temperature, the positive at key 0.",
        "composed of torch ops: cross_entropy(cosine_similarity(query, keys) / temperature, 0)",
        (
            Param("query", ("d",), None, "the query embedding"),
            Param("keys", ("k", "d"), None, "k key embeddings; row 0 is the positive"),
        ),
        (Param("temperature", (), 0.07, "τ (MoCo's 0.07; there is no torch default)"),),
        mistakes=(
            Mistake(
                "no-temperature",
                "loss",
                "logsumexp(keys @ query / (norm(keys) * norm(query))) - "
                "dot(keys[0], query) / (norm(keys[0]) * norm(query))",
                "Left out the temperature; the similarities are divided by τ before softmax.",
            ),
            Mistake(
                "dot-product",
                "loss",
                "logsumexp(keys @ query / temperature) - dot(keys[0], query) / temperature",
                "Used raw dot products; this InfoNCE uses cosine similarities (normalised).",
            ),
        ),
    ),
)
