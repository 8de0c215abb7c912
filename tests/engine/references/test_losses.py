"""Loss references against numpy written out by hand, and torch-semantics.md's figures."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from torch import nn

from engine.references import ReferenceInputError, get_reference, run_reference

PRED, TARGET = np.array([1.5, 0.2, -0.7, 3.0]), np.array([1.0, 0.0, 0.5, 0.0])
LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
LABELS = np.array([0.0, 1.0])


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def huber(a: np.ndarray, delta: float) -> np.ndarray:
    return np.where(np.abs(a) < delta, 0.5 * a**2, delta * (np.abs(a) - 0.5 * delta))


def loss(name: str, n: int = 1, **inputs: object) -> np.ndarray:
    return run_reference(name, inputs, n=n)["loss"]  # type: ignore[arg-type]


def test_regression_losses() -> None:
    a = PRED - TARGET
    np.testing.assert_allclose(loss("mse", input=PRED, target=TARGET), [2.6825])
    np.testing.assert_allclose(loss("mae", input=PRED, target=TARGET), [1.225])
    for delta in (1.0, 2.0, 0.3):
        np.testing.assert_allclose(
            loss("huber", input=PRED, target=TARGET, delta=delta), [huber(a, delta).mean()], atol=1e-15
        )
        np.testing.assert_allclose(
            loss("smooth_l1", input=PRED, target=TARGET, beta=delta),
            [huber(a, delta).mean() / delta],
            atol=1e-15,
        )
    np.testing.assert_allclose(loss("huber", input=PRED, target=TARGET, delta=2.0), [1.21625])
    np.testing.assert_allclose(loss("smooth_l1", input=PRED, target=TARGET, beta=2.0), [0.608125])


def test_classification_losses() -> None:
    logp = log_softmax(LOGITS)
    ce = -logp[[0, 1], [0, 1]].mean()
    np.testing.assert_allclose(loss("cross_entropy", logits=LOGITS, target=LABELS), [ce], atol=1e-15)
    np.testing.assert_allclose(ce, 0.3185397696, atol=1e-10)
    smooth = 0.9 * np.eye(3)[[0, 1]] + 0.1 / 3
    np.testing.assert_allclose(
        loss("cross_entropy", logits=LOGITS, target=LABELS, label_smoothing=0.1),
        [-(smooth * logp).sum(1).mean()],
        atol=1e-15,
    )
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(
        loss("cross_entropy_probs", logits=LOGITS, target=probs), [0.7235397696], atol=1e-10
    )
    np.testing.assert_allclose(
        loss("cross_entropy_probs", logits=LOGITS, target=probs, label_smoothing=0.2),
        [-((0.8 * probs + 0.2 / 3) * logp).sum(1).mean()],
        atol=1e-15,
    )
    weight = np.array([1.0, 2.0, 0.5])
    nll = loss("nll", input=logp, target=LABELS, weight=weight)
    np.testing.assert_allclose(nll, [(-logp[0, 0] * 1 - logp[1, 1] * 2) / 3], atol=1e-15)
    np.testing.assert_allclose(nll, [0.2857096874], atol=1e-10)


def test_binary_losses() -> None:
    p, y = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    np.testing.assert_allclose(loss("bce", input=p, target=y), [bce], atol=1e-15)
    np.testing.assert_allclose(bce, 0.4149315996, atol=1e-10)
    np.testing.assert_allclose(loss("bce", input=[0.0], target=[1.0]), [100.0])  # log clamped
    z = np.array([2.0, -1.0, 0.4])
    for pos_weight, figure in ((1.0, 0.4510683170), (3.0, 0.5356869910)):
        expected = -(pos_weight * y * np.log(sig(z)) + (1 - y) * np.log(1 - sig(z))).mean()
        out = loss("bce_with_logits", input=z, target=y, pos_weight=[pos_weight] * 3)
        np.testing.assert_allclose(out, [expected], atol=1e-15)
        np.testing.assert_allclose(out, [figure], atol=1e-10)
    y = np.array([1.0, 0.0, 1.0])
    pt = np.where(y == 1, sig(z), 1 - sig(z))
    alpha_t = np.where(y == 1, 0.25, 0.75)
    focal = run_reference("focal", {"input": z, "target": y}, n=1)["loss"]
    np.testing.assert_allclose(focal[0], -alpha_t * (1 - pt) ** 2 * np.log(pt), atol=1e-15)
    np.testing.assert_allclose(focal[0], [0.0004508907, 0.0169935431, 0.0206554811], atol=1e-10)


def test_kl_div_batchmean() -> None:
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    q = np.array([[0.3, 0.3, 0.4], [0.4, 0.4, 0.2]])
    out = loss("kl_div", input=np.log(q), target=p)
    np.testing.assert_allclose(out, [(p * np.log(p / q)).sum(1).mean()], atol=1e-15)


def test_margin_and_embedding_losses() -> None:
    x1, x2, t = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 3.1]), np.array([1.0, 1.0, -1.0])
    for margin in (0.0, 0.2):
        np.testing.assert_allclose(
            loss("margin_ranking", x1=x1, x2=x2, target=t, margin=margin),
            [np.maximum(0, -t * (x1 - x2) + margin).mean()],
            atol=1e-15,
        )
    d, y = np.array([0.3, 1.5, 0.2, 0.9]), np.array([1.0, -1.0, -1.0, 1.0])
    np.testing.assert_allclose(
        loss("hinge_embedding", input=d, target=y), [np.where(y > 0, d, np.maximum(0, 1 - d)).mean()]
    )
    anchor, positive, negative = np.array([0.0, 0.0]), np.array([0.5, 0.0]), np.array([1.0, 0.0])
    dist = lambda u, v: np.linalg.norm(u - v + 1e-6)  # noqa: E731
    np.testing.assert_allclose(
        loss("triplet_margin", anchor=anchor, positive=positive, negative=negative),
        [max(dist(anchor, positive) - dist(anchor, negative) + 1.0, 0.0)],
        atol=1e-15,
    )
    u = np.array([[1.0, 0.0], [1.0, 1.0], [0.3, -2.0]])
    v = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.5]])
    target, margin = np.array([1.0, -1.0, -1.0]), np.array([0.0, 0.5, -0.9])
    cos = (u * v).sum(1) / np.sqrt((u**2).sum(1) * (v**2).sum(1))
    np.testing.assert_allclose(
        loss("cosine_embedding", 3, x1=u, x2=v, target=target, margin=margin),
        np.where(target > 0, 1 - cos, np.maximum(0, cos - margin)),
        atol=1e-15,
    )


def test_info_nce() -> None:
    query, keys = np.array([1.0, 0.5]), np.array([[1.0, 0.1], [0.0, 1.0], [-1.0, 0.3]])
    for tau in (0.07, 1.0):
        s = keys @ query / (np.linalg.norm(keys, axis=1) * np.linalg.norm(query)) / tau
        np.testing.assert_allclose(
            loss("info_nce", query=query, keys=keys, temperature=tau), [-log_softmax(s)[0]], atol=1e-13
        )


def test_class_indices_are_checked() -> None:
    with pytest.raises(ReferenceInputError, match="class indices"):
        loss("cross_entropy", logits=LOGITS, target=[0.0, 3.0])
    with pytest.raises(ReferenceInputError, match="class indices"):
        loss("nll", input=LOGITS, target=[0.5, 1.0])


def test_batched_instances_equal_single_calls() -> None:
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 5, 3)), rng.integers(0, 3, size=(4, 5)).astype(float)
    smoothing = np.array([0.0, 0.1, 0.1, 0.3])
    batched = loss("cross_entropy", 4, logits=logits, target=labels, label_smoothing=smoothing)
    weights = rng.random((4, 3)) + 0.1
    batched_nll = loss("nll", 4, input=log_softmax(logits), target=labels, weight=weights)
    for i in range(4):
        single = loss("cross_entropy", logits=logits[i], target=labels[i], label_smoothing=smoothing[i])
        np.testing.assert_allclose(batched[i], single[0], atol=1e-15)
        single_nll = loss("nll", input=log_softmax(logits[i]), target=labels[i], weight=weights[i])
        np.testing.assert_allclose(batched_nll[i], single_nll[0], atol=1e-15)


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("huber", nn.HuberLoss), ("smooth_l1", nn.SmoothL1Loss),
        ("cross_entropy", nn.CrossEntropyLoss), ("margin_ranking", nn.MarginRankingLoss),
        ("hinge_embedding", nn.HingeEmbeddingLoss), ("triplet_margin", nn.TripletMarginLoss),
        ("cosine_embedding", nn.CosineEmbeddingLoss),
    ],
)  # fmt: skip
def test_defaults_are_torchs(name: str, module: type) -> None:
    signature = inspect.signature(module).parameters
    for param in get_reference(name).inputs:
        if param.name in signature and param.default is not None:
            assert param.default == float(signature[param.name].default), param.name
