"""The registry API: listing, lookup, batching, input errors, devices, docs, import cost."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from engine.expr.names import CONSTANTS, FUNCTIONS, canonical_name
from engine.references import (
    TOPICS,
    ReferenceInputError,
    UnknownReference,
    all_references,
    describe,
    get_reference,
    render_reference_docs,
    resolve_device,
    run_reference,
)


def test_listing_is_sorted_and_well_formed() -> None:
    refs = all_references()
    assert [(r.topic, r.name) for r in refs] == sorted((r.topic, r.name) for r in refs)
    assert {r.topic for r in refs} == set(TOPICS)
    for ref in refs:
        names = [p.name for p in ref.inputs] + [o.name for o in ref.outputs]
        canonical = [canonical_name(name) for name in names]
        assert len(set(canonical)) == len(canonical), ref.name
        assert not set(canonical) & (set(FUNCTIONS) | CONSTANTS), ref.name
        assert ref.summary, ref.name
        assert ref.torch_api, ref.name
        assert all(m.output in {o.name for o in ref.outputs} for m in ref.mistakes), ref.name


def test_unknown_reference_suggests_close_names() -> None:
    with pytest.raises(UnknownReference, match="adam_step") as info:
        get_reference("adam_stpe")
    assert isinstance(info.value, KeyError)


def test_input_errors_name_the_input() -> None:
    with pytest.raises(ReferenceInputError, match="'grad'"):
        run_reference("adam_step", {"theta_prev": 1.0}, n=1)
    with pytest.raises(ReferenceInputError, match="did you mean 'beta1'"):
        run_reference("adam_step", {"theta_prev": 1.0, "grad": 1.0, "beta_1": 0.5}, n=1)
    with pytest.raises(ReferenceInputError, match=r"'theta_prev'.*expected item shape"):
        run_reference("adam_step", {"theta_prev": [1.0, 2.0, 3.0], "grad": 1.0}, n=2)
    with pytest.raises(ReferenceInputError, match=r"'target'.*b = 2 \(as in 'logits'\)"):
        run_reference("cross_entropy", {"logits": np.zeros((2, 3)), "target": [0, 1, 2]}, n=1)
    with pytest.raises(ReferenceInputError, match="not numeric"):
        run_reference("relu", {"x": "one"}, n=1)


def test_one_item_is_shared_by_all_instances() -> None:
    shared = run_reference("layer_norm", {"x": [1.0, 2.0, 4.0], "gamma": [1.0, 2.0, 3.0]}, n=3)
    stacked = run_reference(
        "layer_norm", {"x": np.tile([1.0, 2.0, 4.0], (3, 1)), "gamma": [1.0, 2.0, 3.0]}, n=3
    )
    np.testing.assert_array_equal(shared["y"], stacked["y"])
    assert shared["y"].shape == (3, 3)
    assert shared["y"].dtype == np.float64


def test_every_reference_runs_at_its_defaults() -> None:
    """Required inputs given, everything else at torch's defaults: outputs have their shapes."""
    required = {
        (): 0.7, ("n",): [0.2, 0.3, 0.5], ("t",): [0.1, -0.2], ("b", "c"): [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]],
        ("b",): [0, 1], ("c",): [0.2, 0.5, 1.0], ("d",): [0.3, 0.4], ("k", "d"): [[0.3, 0.4], [1.0, 0.0]], (2, "h"): [[1.0, 2.0], [0.5, -1.0]],
        ("c", "s"): [[1.0, 2.0], [0.0, 1.0]], ("m", "d"): [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ("m",): [1.0, 2.0, 0.5],
        ("b", "d"): [[1.0, 2.0], [0.5, -1.0]], ("b", "m"): [[0.2, 0.3, 0.5], [0.1, -0.4, 0.3]],
        ("k", "m"): [[0.1, 0.2, 0.3], [-0.3, 0.2, 0.1]], ("k",): [0.0, 1.0],
        ("h", "w"): [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]], ("kh", "kw"): [[1.0, -1.0], [2.0, 0.0]],
        ("o", "c"): [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ("L",): [3.0, 3.0],
        ("n", "d"): [[0.3, 0.4], [1.0, 0.0]], ("n", "p"): [[1.0, 2.0], [0.0, 1.0]],
    }  # fmt: skip
    whole = {"t": 2, "step_size": 2, "T_max": 4, "total_steps": 5, "num_groups": 1, "fan_in": 4, "fan_out": 3,
             "out_features": 3, "in_features": 4, "target": 1.0, "H": 2.0,
             "i": 1, "d_model": 8, "max_len": 16, "num_heads": 2, "head": 2,
             "input_size": 8, "kernel_size": 3, "in_channels": 4, "out_channels": 8, "stride": 2, "batch": 2,
             "channels": 3, "height": 4, "width": 5, "embed_dim": 4, "nhead": 2, "num_embeddings": 5,
             "embedding_dim": 3, "r": 2, "tokens": 3, "seq_len": 5, "batch_size": 2, "num_layers": 2,
             "num_kv_heads": 1, "head_dim": 3}  # fmt: skip
    for ref in all_references():
        if ref.takes_function:
            continue  # tests/engine/references/test_curvature.py runs them on functions
        inputs = {
            p.name: whole[p.name] if p.name in whole and not p.shape else required[p.shape]
            for p in ref.inputs
            if p.default is None
        }
        out = run_reference(ref, inputs, n=2, device="cpu")
        assert set(out) == {o.name for o in ref.outputs}, ref.name
        for o in ref.outputs:
            assert out[o.name].shape[0] == 2, (ref.name, o.name)
            assert out[o.name].ndim == 1 + len(o.shape), (ref.name, o.name)


def test_torch_default_dtype_is_restored() -> None:
    run_reference("adam_step", {"theta_prev": 1.0, "grad": 1.0}, n=1)
    assert torch.get_default_dtype() == torch.float32


def test_references_run_from_several_threads_at_once() -> None:
    """torch's default dtype is one setting for the process: concurrent references take turns."""
    from concurrent.futures import ThreadPoolExecutor

    inputs = {"theta_prev": 1.0, "grad": 0.3, "t": 1}
    alone = run_reference("nadam_step", inputs, n=1)["theta"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: run_reference("nadam_step", inputs, n=1)["theta"], range(60)))
    assert all(np.array_equal(result, alone) for result in results)
    assert torch.get_default_dtype() == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error() -> None:
    with pytest.raises(ReferenceInputError, match="CUDA"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(ReferenceInputError, match="'cpu', 'cuda' or 'auto'"):
        resolve_device("tpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu() -> None:
    x = {"x": [0.7, -1.3]}
    np.testing.assert_allclose(
        run_reference("gelu", x, n=2, device="cuda")["dy"], run_reference("gelu", x, n=2, device="cpu")["dy"]
    )
    grads = {"theta0": [1.0, -2.0], "grads": [[0.5, -0.3], [0.1, 0.2]], "lr": 0.1}
    for name in ("adam_trajectory", "nadam_trajectory", "sgd_trajectory", "rmsprop_trajectory"):
        cuda = run_reference(name, grads, n=2, device="cuda")["theta"]
        np.testing.assert_allclose(cuda, run_reference(name, grads, n=2, device="cpu")["theta"], atol=1e-12)
    bn = {"x": np.arange(12.0).reshape(4, 3) ** 0.5}
    np.testing.assert_allclose(
        run_reference("batch_norm_train", bn, n=1, device="cuda")["running_var"],
        run_reference("batch_norm_train", bn, n=1, device="cpu")["running_var"],
        atol=1e-12,
    )


def test_docs() -> None:
    text = describe(get_reference("adam_step"))
    assert "torch.optim.Adam" in text
    assert "`beta2`" in text
    assert "0.999" in text
    assert "eps-inside-sqrt" in text
    assert "theta_prev - lr * m_hat / sqrt(v_hat + eps)" in text
    document = render_reference_docs()
    for ref in all_references():
        assert f"### `{ref.name}`" in document
    assert document.index("## Activations") < document.index("## Optimizers")


def test_importing_and_listing_does_not_import_torch_or_numpy() -> None:
    code = (
        "import sys, engine.references as r; r.all_references(); r.render_reference_docs();"
        "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
