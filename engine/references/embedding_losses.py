"""Ranking and embedding losses: scores or embeddings compared with each other, not with a target.

Margin ranking and hinge embedding on scores, and on embeddings the triplet margin,
cosine embedding and InfoNCE (contrastive) losses. What they share is a margin or a
similarity between items of one instance, and the mistakes that go with it: a dropped
clamp, a flipped sign, distances squared or not normalised. How a loss is run and reduced
is in `engine.references.loss_runs`; the registry reads this family's references through
`engine.references.losses`.
"""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING

from engine.references.loss_runs import LossFn, Tensors, loss_reference, pair
from engine.references.registry import Mistake, Param

if TYPE_CHECKING:
    import torch


@cache
def _functions() -> dict[str, LossFn]:
    """The torch calls behind each loss, built when a loss first runs."""
    import torch
    import torch.nn.functional as F

    def info_nce(v: Tensors, h: dict[str, float]) -> torch.Tensor:
        query, keys = v["query"], v["keys"]
        logits = F.cosine_similarity(query[:, None, :], keys, dim=-1) / h["temperature"]
        positive = torch.zeros(len(query), dtype=torch.long, device=query.device)
        return F.cross_entropy(logits, positive, reduction="none")

    return {
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


_loss = partial(loss_reference, _functions)

COS = "dot(x1, x2) / (norm(x1) * norm(x2))"

REFERENCES = (
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
        pair("distances (or scores)"),
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
