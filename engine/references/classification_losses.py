"""Classification losses: class scores, log-probabilities or probabilities against the true class.

Cross-entropy (with class indices or class probabilities), NLL, KL divergence, and the
binary losses (BCE on probabilities or on logits, and the sigmoid focal loss). Their
batches are (b, c) rows of classes, reduced over the rows as torch reduces them (NLL's
weighted mean, KL's "batchmean"), and a class-index target is given to torch as int64.
How a loss is run and reduced is in `engine.references.loss_runs`; the registry reads
this family's references through `engine.references.losses`.
"""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING

from engine.references.loss_runs import LossFn, Tensors, loss_reference, pair, sum_not_mean
from engine.references.registry import Mistake, Output, Param

if TYPE_CHECKING:
    import torch


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

    return {
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
    }


_loss = partial(loss_reference, _functions)

PT = "(sigmoid(input) * target + (1 - sigmoid(input)) * (1 - target))"
KL_TERMS = "target * (log(target) - input)"
BCE_TERMS = "target * log(input) + (1 - target) * log(1 - input)"

REFERENCES = (
    _loss(
        "cross_entropy",
        "Cross-entropy of a (b, c) batch of logits with class-index targets, mean over rows.",
        "torch.nn.functional.cross_entropy",
        (
            Param("logits", ("b", "c"), None, "raw scores (NOT probabilities), one row per sample"),
            Param("target", ("b",), None, "the class index of each row, 0..c−1"),
        ),
        (Param("label_smoothing", (), 0.0, "ε: target = (1−ε)·onehot + ε/c"),),
        integer_input="target",
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
        integer_input="target",
    ),
    _loss(
        "bce",
        "Binary cross-entropy of probabilities (logs clamped at −100), mean over a vector.",
        "torch.nn.functional.binary_cross_entropy",
        pair("probabilities in [0, 1]"),
        mistakes=(
            Mistake(
                "missing-minus",
                "loss",
                f"mean({BCE_TERMS})",
                "Forgot the minus sign: BCE = −[y·log p + (1−y)·log(1−p)], positive.",
            ),
            sum_not_mean(f"-({BCE_TERMS})"),
        ),
    ),
    _loss(
        "bce_with_logits",
        "Binary cross-entropy of logits, σ applied stably inside; pos_weight scales the y·log σ term.",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        (
            *pair("logits"),
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
        pair("logits"),
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
)
