"""Convolution references against closed forms in numpy and a second torch path each.

The shapes are checked against the textbook formulas and against what torch does on real
tensors (F.unfold's count of windows, a real max_pool2d, a forward conv undoing a transposed
one); the values against a by-hand cross-correlation and against unfold + matmul.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.references import ReferenceInputError, get_reference, run_reference
from engine.references.registry import recording_groupings

E = dict[str, np.ndarray]


def grid(**ranges: Any) -> dict[str, np.ndarray]:
    """Every combination of the given values, one instance each, as float arrays."""
    names = list(ranges)
    rows = np.array(list(itertools.product(*ranges.values())), dtype=np.float64)
    return {name: rows[:, i] for i, name in enumerate(names)}


def conv_size(n: Any, k: Any, s: Any = 1, p: Any = 0, d: Any = 1) -> Any:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


# Output sizes ------------------------------------------------------------------------------


def test_conv_output_size_is_the_floor_formula() -> None:
    inputs = grid(
        input_size=[1, 7, 8, 28, 224],
        kernel_size=[1, 2, 3, 5],
        stride=[1, 2, 3],
        padding=[0, 1, 3],
        dilation=[1, 2],
    )
    n, k, s, p, d = (inputs[name] for name in inputs)
    valid = n + 2 * p >= d * (k - 1) + 1
    kept = {name: value[valid] for name, value in inputs.items()}
    out = run_reference("conv2d_output_size", kept, n=int(valid.sum()))
    np.testing.assert_array_equal(out["out_size"], conv_size(n, k, s, p, d)[valid])
    assert (
        run_reference(
            "conv2d_output_size", {"input_size": 224, "kernel_size": 7, "stride": 2, "padding": 3}, n=1
        )["out_size"][0]
        == 112
    )


def test_conv_output_size_counts_the_windows_unfold_takes() -> None:
    """F.unfold extracts one column per output position: its count is H_out·W_out."""
    for n, k, s, p, d in [(7, 3, 2, 1, 1), (10, 3, 3, 0, 2), (5, 2, 1, 0, 1), (9, 4, 2, 2, 1)]:
        columns = F.unfold(torch.zeros(1, 1, n, n), k, dilation=d, padding=p, stride=s).shape[-1]
        out = run_reference(
            "conv2d_output_size",
            {"input_size": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d},
            n=1,
        )
        assert out["out_size"][0] ** 2 == columns


def test_a_kernel_larger_than_the_padded_input_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match=r"conv2d_output_size.*Kernel size"):
        run_reference("conv2d_output_size", {"input_size": 3, "kernel_size": 5}, n=1)
    with pytest.raises(ReferenceInputError, match="'stride' must be an integer >= 1"):
        run_reference("conv2d_output_size", {"input_size": 8, "kernel_size": 3, "stride": 1.5}, n=1)


def test_same_padding_puts_the_extra_zero_after() -> None:
    inputs = grid(kernel_size=[1, 2, 3, 4, 5, 6, 7], dilation=[1, 2, 3])
    out = run_reference("conv_same_padding", inputs, n=len(inputs["kernel_size"]))
    total = inputs["dilation"] * (inputs["kernel_size"] - 1)
    np.testing.assert_array_equal(out["padding_total"], total)
    np.testing.assert_array_equal(out["padding_left"], total // 2)
    np.testing.assert_array_equal(out["padding_right"], total - total // 2)


def test_same_padding_is_what_the_module_stores_and_what_explicit_padding_computes() -> None:
    """Second paths: nn.Conv2d's own padding amounts, and F.pad + a valid conv on real data."""
    rng = torch.Generator().manual_seed(0)
    for kernel, dilation in [(3, 1), (4, 1), (4, 3), (5, 2), (6, 1)]:
        out = run_reference("conv_same_padding", {"kernel_size": kernel, "dilation": dilation}, n=1)
        left, right = int(out["padding_left"][0]), int(out["padding_right"][0])
        module = nn.Conv2d(1, 1, kernel, padding="same", dilation=dilation, device="meta")
        assert list(module._reversed_padding_repeated_twice) == [left, right, left, right]
        x = torch.randn(1, 1, 11, 11, generator=rng, dtype=torch.float64)
        w = torch.randn(1, 1, kernel, kernel, generator=rng, dtype=torch.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an odd total pads a copy: torch says so
            same = F.conv2d(x, w, padding="same", dilation=dilation)
        explicit = F.conv2d(F.pad(x, (left, right, left, right)), w, dilation=dilation)
        assert same.shape == x.shape
        torch.testing.assert_close(same, explicit, rtol=0, atol=1e-12)


def test_max_pool_output_size_with_ceil_mode_and_its_last_window_rule() -> None:
    inputs = grid(
        input_size=[4, 5, 7, 8, 13],
        kernel_size=[2, 3],
        stride=[1, 2, 3],
        padding=[0, 1],
        dilation=[1, 2],
        ceil_mode=[0, 1],
    )
    n, k, s, p, d, ceil = (inputs[name].astype(int) for name in inputs)
    valid = (2 * p <= k) & (n + 2 * p >= d * (k - 1) + 1)
    kept = {name: value[valid] for name, value in inputs.items()}
    out = run_reference("max_pool2d_output_size", kept, n=int(valid.sum()))
    span = n + 2 * p - d * (k - 1) - 1
    size = np.where(ceil == 1, -(-span // s), span // s) + 1
    size = np.where((ceil == 1) & ((size - 1) * s >= n + p), size - 1, size)
    np.testing.assert_array_equal(out["out_size"], size[valid])
    for i in np.flatnonzero(valid)[::7]:  # a real max_pool2d, the second path
        real = F.max_pool2d(
            torch.zeros(1, 1, n[i], n[i]), int(k[i]), int(s[i]), int(p[i]), int(d[i]), ceil_mode=bool(ceil[i])
        )
        assert real.shape[-1] == size[i]
    # The rule at work: ceil((5 + 2 − 2)/2) + 1 = 4 windows, but the 4th starts in the padding.
    rule = {"input_size": 5, "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": 1}
    assert run_reference("max_pool2d_output_size", rule, n=1)["out_size"][0] == 3


def test_pooling_padding_beyond_half_the_kernel_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="pad should be at most half"):
        run_reference(
            "max_pool2d_output_size", {"input_size": 8, "kernel_size": 3, "stride": 2, "padding": 2}, n=1
        )


def test_conv_transpose_output_size() -> None:
    inputs = grid(
        input_size=[1, 4, 7, 16],
        kernel_size=[1, 2, 3, 4],
        stride=[1, 2, 3],
        padding=[0, 1],
        output_padding=[0, 1, 2],
        dilation=[1, 2],
    )
    n, k, s, p, op, d = (inputs[name] for name in inputs)
    size = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    valid = (op < np.maximum(s, d)) & (size >= 1)
    kept = {name: value[valid] for name, value in inputs.items()}
    out = run_reference("conv_transpose2d_output_size", kept, n=int(valid.sum()))
    np.testing.assert_array_equal(out["out_size"], size[valid])


def test_a_forward_conv_maps_the_transposed_output_back() -> None:
    """Second path: the conv with the same k, s, p, d takes the transposed conv's output size
    m back to n (output_padding < s only picks among the sizes that floor to n)."""
    for n, k, s, p, op, d in [
        (5, 3, 2, 1, 1, 1),
        (16, 4, 2, 1, 0, 1),
        (7, 3, 3, 0, 2, 2),
        (3, 5, 1, 2, 0, 1),
    ]:
        m = run_reference(
            "conv_transpose2d_output_size",
            {
                "input_size": n,
                "kernel_size": k,
                "stride": s,
                "padding": p,
                "output_padding": op,
                "dilation": d,
            },
            n=1,
        )["out_size"][0]
        assert (
            F.conv2d(torch.zeros(1, 1, int(m), int(m)), torch.zeros(1, 1, k, k), None, s, p, d).shape[-1] == n
        )


def test_output_padding_must_be_below_the_stride_or_dilation() -> None:
    with pytest.raises(ReferenceInputError, match="output padding must be smaller"):
        run_reference(
            "conv_transpose2d_output_size",
            {"input_size": 5, "kernel_size": 3, "stride": 2, "output_padding": 2},
            n=1,
        )


# Parameters and cost -----------------------------------------------------------------------


def test_conv_params() -> None:
    inputs = grid(
        in_channels=[4, 12], out_channels=[8, 24], kernel_size=[1, 3, 5], groups=[1, 2, 4], bias=[0, 1]
    )
    c_in, c_out, k, g, b = (inputs[name] for name in inputs)
    out = run_reference("conv2d_params", inputs, n=len(c_in))
    np.testing.assert_array_equal(out["weight_params"], c_out * c_in / g * k**2)
    np.testing.assert_array_equal(out["bias_params"], b * c_out)
    np.testing.assert_array_equal(out["params"], c_out * c_in / g * k**2 + b * c_out)
    vgg = run_reference("conv2d_params", {"in_channels": 64, "out_channels": 128, "kernel_size": 3}, n=1)
    assert vgg["params"][0] == 73856


def test_groups_that_do_not_divide_the_channels_are_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="divisible by groups"):
        run_reference(
            "conv2d_params", {"in_channels": 6, "out_channels": 8, "kernel_size": 3, "groups": 4}, n=1
        )


def test_separable_conv_params() -> None:
    inputs = grid(in_channels=[3, 32, 128], out_channels=[16, 64, 256], kernel_size=[3, 5], bias=[0, 1])
    c_in, c_out, k, b = (inputs[name] for name in inputs)
    out = run_reference("separable_conv2d_params", inputs, n=len(c_in))
    np.testing.assert_array_equal(out["depthwise"], c_in * k**2 + b * c_in)
    np.testing.assert_array_equal(out["pointwise"], c_in * c_out + b * c_out)
    np.testing.assert_array_equal(out["params"], out["depthwise"] + out["pointwise"])
    np.testing.assert_array_equal(out["standard"], c_out * c_in * k**2 + b * c_out)
    np.testing.assert_allclose(out["ratio"], out["params"] / out["standard"], rtol=1e-15)
    # Without biases the ratio is MobileNet's 1/C_out + 1/k².
    no_bias = b == 0
    np.testing.assert_allclose(out["ratio"][no_bias], (1 / c_out + 1 / k**2)[no_bias], rtol=1e-14)


def test_conv_macs_and_flops() -> None:
    inputs = grid(
        in_channels=[4, 8],
        out_channels=[8, 16],
        kernel_size=[1, 3],
        input_size=[7, 32],
        stride=[1, 2],
        padding=[0, 1],
        dilation=[1, 2],
        groups=[1, 4],
        batch=[1, 3],
    )
    c_in, c_out, k, n, s, p, d, g, batch = (inputs[name] for name in inputs)
    out = run_reference("conv2d_macs", inputs, n=len(c_in))
    size = conv_size(n, k, s, p, d)
    np.testing.assert_array_equal(out["out_size"], size)
    np.testing.assert_array_equal(out["macs"], batch * size**2 * c_out * c_in / g * k**2)
    np.testing.assert_array_equal(out["flops"], 2 * out["macs"])


def test_conv_macs_are_unfolds_columns_times_a_matmul() -> None:
    """Second path: a conv is unfold then a (C_out/g) × (C_in/g·k²) matmul per group and column."""
    for c_in, c_out, k, n, s, p, g in [
        (3, 16, 3, 32, 1, 1, 1),
        (64, 128, 3, 56, 2, 1, 4),
        (8, 8, 5, 9, 2, 0, 8),
    ]:
        x = torch.zeros(1, c_in, n, n)
        columns = F.unfold(x, k, padding=p, stride=s)  # (1, C_in·k², L)
        per_column = (c_out // g) * (columns.shape[1] // g) * g  # each group's matmul, all groups
        out = run_reference(
            "conv2d_macs",
            {
                "in_channels": c_in,
                "out_channels": c_out,
                "kernel_size": k,
                "input_size": n,
                "stride": s,
                "padding": p,
                "groups": g,
            },
            n=1,
        )
        assert out["macs"][0] == columns.shape[-1] * per_column


def test_activation_memory() -> None:
    inputs = {
        "batch": [32.0, 1.0, 8.0],
        "channels": [64.0, 3.0, 256.0],
        "height": [112.0, 224.0, 56.0],
        "width": [112.0, 224.0, 56.0],
        "element_size": [4.0, 2.0, 8.0],
    }
    out = run_reference("activation_memory", inputs, n=3)
    numel = np.prod([inputs[name] for name in ("batch", "channels", "height", "width")], axis=0)
    np.testing.assert_array_equal(out["numel"], numel)
    np.testing.assert_array_equal(out["nbytes"], numel * inputs["element_size"])
    np.testing.assert_array_equal(out["mib"], numel * inputs["element_size"] / 2**20)
    assert out["mib"][0] == 98.0  # 32·64·112·112 float32s
    real = torch.zeros(2, 3, 5, 7, dtype=torch.float16)  # the second path: a real tensor's storage
    small = run_reference(
        "activation_memory", {"batch": 2, "channels": 3, "height": 5, "width": 7, "element_size": 2}, n=1
    )
    assert small["nbytes"][0] == real.untyped_storage().nbytes()
    assert get_reference("activation_memory").input("element_size").default == torch.zeros(0).element_size()
    with pytest.raises(ReferenceInputError, match="1, 2, 4 or 8 bytes"):
        run_reference(
            "activation_memory", {"batch": 1, "channels": 1, "height": 1, "width": 1, "element_size": 3}, n=1
        )


# Receptive field ---------------------------------------------------------------------------


def receptive_field(kernels: np.ndarray, strides: np.ndarray, dilations: np.ndarray) -> tuple[Any, Any]:
    """1 + Σ d_l(k_l − 1)·∏_{j<l} s_j, and ∏ s_l."""
    before = np.concatenate([np.ones((len(strides), 1)), np.cumprod(strides, axis=1)[:, :-1]], axis=1)
    return 1 + (dilations * (kernels - 1) * before).sum(1), strides.prod(1)


def test_receptive_field_against_the_closed_form() -> None:
    rng = np.random.default_rng(3)
    count = 40
    inputs = {
        "kernel_sizes": rng.choice([1, 2, 3, 5, 7], size=(count, 4)).astype(float),
        "strides": rng.choice([1, 2, 3], size=(count, 4)).astype(float),
        "dilations": rng.choice([1, 2], size=(count, 4)).astype(float),
    }
    out = run_reference("receptive_field", inputs, n=count)
    field, jump = receptive_field(inputs["kernel_sizes"], inputs["strides"], inputs["dilations"])
    np.testing.assert_array_equal(out["receptive_field"], field)
    np.testing.assert_array_equal(out["jump"], jump)


def test_receptive_field_of_known_stacks() -> None:
    def field(**inputs: Any) -> tuple[float, float]:
        out = run_reference("receptive_field", inputs, n=1)
        return float(out["receptive_field"][0]), float(out["jump"][0])

    assert field(kernel_sizes=[3, 3, 3]) == (7, 1)  # three 3×3 convs see 7×7
    assert field(kernel_sizes=[3, 3, 3], dilations=[1, 2, 4]) == (15, 1)  # dilations doubling
    assert field(kernel_sizes=[3], dilations=[2]) == (5, 1)  # the span, holes included
    assert field(kernel_sizes=[7, 3, 3], strides=[2, 2, 1]) == (19, 4)


def test_the_square_stack_sees_the_same_span_along_each_axis() -> None:
    """Second path: the 2-D stack of k×k convs, by autograd, sees a square of that side."""
    kernels, strides = [3, 3, 3], [2, 1, 2]
    x = torch.ones(1, 1, 40, 40, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s in zip(kernels, strides, strict=True):
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)
    (grad,) = torch.autograd.grad(y[0, 0, 0, 0], x)
    rows, cols = torch.nonzero(grad[0, 0], as_tuple=True)
    side = int(rows.max() - rows.min() + 1)
    assert side == int(cols.max() - cols.min() + 1)
    out = run_reference("receptive_field", {"kernel_sizes": kernels, "strides": strides}, n=1)
    assert out["receptive_field"][0] == side == 1 + 2 + 2 * 2 + 2 * 2


# Values --------------------------------------------------------------------------------------


def cross_correlate(x: np.ndarray, w: np.ndarray, b: float, s: int, p: int, d: int) -> np.ndarray:
    """Σ_ab x[s·i + d·a][s·j + d·b]·w[a][b] + b over the zero-padded input, by loops."""
    padded = np.pad(x, p)
    kh, kw = w.shape
    oh = (padded.shape[0] - d * (kh - 1) - 1) // s + 1
    ow = (padded.shape[1] - d * (kw - 1) - 1) // s + 1
    y = np.full((oh, ow), b)
    for i, j, a, c in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        y[i, j] += padded[s * i + d * a, s * j + d * c] * w[a, c]
    return y


def test_conv2d_by_hand_3x3_input_2x2_kernel() -> None:
    x = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]])
    w = np.array([[1.0, -1.0], [2.0, 0.0]])
    out = run_reference("conv2d", {"x": x, "weight": w, "bias": 0.5}, n=1)
    # y00 = 1·1 + 2·(−1) + 0·2 + 1·0 + 0.5: the kernel is laid on the input as written.
    np.testing.assert_array_equal(out["y"][0], [[-0.5, 4.5], [3.5, 0.5]])
    flipped = cross_correlate(x, w[::-1, ::-1], 0.5, 1, 0, 1)  # a true convolution
    assert not np.array_equal(out["y"][0], flipped)


def test_conv2d_batched_over_settings_against_loops_and_unfold() -> None:
    rng = np.random.default_rng(7)
    count = 12
    inputs = {
        "x": rng.normal(size=(count, 6, 7)),
        "weight": rng.normal(size=(count, 3, 2)),
        "bias": rng.normal(size=count),
        "stride": rng.choice([1, 2], size=count).astype(float),
        "padding": rng.choice([0, 1], size=count).astype(float),
        "dilation": np.ones(count),
    }
    inputs["stride"][:4], inputs["padding"][:4] = 1, 0  # one setting shared, so a group of several
    out_by_setting: dict[tuple[float, ...], list[int]] = {}
    for i in range(count):
        out_by_setting.setdefault((inputs["stride"][i], inputs["padding"][i]), []).append(i)
    for (s, p), members in out_by_setting.items():
        picked = {name: value[members] for name, value in inputs.items()}
        out = run_reference("conv2d", picked, n=len(members))
        for row, i in enumerate(members):
            expected = cross_correlate(
                inputs["x"][i], inputs["weight"][i], inputs["bias"][i], int(s), int(p), 1
            )
            np.testing.assert_allclose(out["y"][row], expected, rtol=0, atol=1e-12)
            # The second path: unfold the patches, one matmul with the kernel.
            x = torch.tensor(inputs["x"][i])[None, None]
            columns = F.unfold(x, (3, 2), padding=int(p), stride=int(s))  # (1, 6, L)
            by_matmul = torch.tensor(inputs["weight"][i]).reshape(1, -1) @ columns[0] + inputs["bias"][i]
            np.testing.assert_allclose(out["y"][row].reshape(-1), by_matmul[0].numpy(), rtol=0, atol=1e-12)


def test_conv2d_with_dilation() -> None:
    x = np.arange(25.0).reshape(5, 5)
    w = np.array([[1.0, 0.0], [0.0, -1.0]])
    out = run_reference("conv2d", {"x": x, "weight": w, "dilation": 2}, n=1)
    np.testing.assert_array_equal(out["y"][0], cross_correlate(x, w, 0.0, 1, 0, 2))
    assert out["y"].shape == (1, 3, 3)


def test_conv2d_kernel_larger_than_the_input_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="conv2d"):
        run_reference("conv2d", {"x": np.ones((2, 2)), "weight": np.ones((3, 3))}, n=1)


def test_conv1x1_is_a_linear_layer_at_every_pixel() -> None:
    rng = np.random.default_rng(11)
    count, c_in, c_out, pixels = 5, 3, 4, 6
    x, w, b = (
        rng.normal(size=(count, c_in, pixels)),
        rng.normal(size=(count, c_out, c_in)),
        rng.normal(size=(count, c_out)),
    )
    out = run_reference("conv1x1", {"x": x, "weight": w, "bias": b}, n=count)
    np.testing.assert_allclose(out["y"], np.einsum("noc,ncs->nos", w, x) + b[:, :, None], rtol=0, atol=1e-12)
    for i in range(count):  # the second path: nn.Linear's F.linear on the pixels as rows
        linear = F.linear(torch.tensor(x[i]).T, torch.tensor(w[i]), torch.tensor(b[i])).T
        np.testing.assert_allclose(out["y"][i], linear.numpy(), rtol=0, atol=1e-12)


# Batching --------------------------------------------------------------------------------


def test_one_torch_call_per_distinct_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = F.conv2d

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(F, "conv2d", counted)
    sizes = np.array([32.0, 32.0, 28.0, 32.0, 28.0, 32.0])
    with recording_groupings() as found:
        out = run_reference("conv2d_output_size", {"input_size": sizes, "kernel_size": 3}, n=6)
    assert len(calls) == 2
    assert found == [("input_size", "kernel_size", "stride", "padding", "dilation")]
    np.testing.assert_array_equal(out["out_size"], sizes - 2)
    calls.clear()
    run_reference("conv2d", {"x": np.ones((50, 3, 3)), "weight": np.ones((50, 2, 2))}, n=50)
    assert len(calls) == 1  # fifty kernels, one grouped call


# Known mistakes ------------------------------------------------------------------------------


def size_before_plus_one(e: E) -> np.ndarray:
    return np.asarray(e["input_size"] + 2 * e["padding"] - e["dilation"] * (e["kernel_size"] - 1) - 1)


MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "conv2d_output_size": ({"input_size": [32, 28, 10], "kernel_size": [3, 5, 3], "stride": [2, 1, 3],
                            "padding": [1, 0, 1], "dilation": [1, 2, 1]}, 3),
    "conv_same_padding": ({"kernel_size": [4, 3, 6], "dilation": [1, 2, 1]}, 3),
    "conv2d_params": ({"in_channels": [64, 32], "out_channels": [128, 64], "kernel_size": [3, 5],
                       "groups": [1, 4], "bias": [1, 0]}, 2),
    "separable_conv2d_params": ({"in_channels": [32, 16], "out_channels": [64, 48], "kernel_size": [3, 5],
                                 "bias": [1, 0]}, 2),
    "conv2d_macs": ({"in_channels": [3, 64], "out_channels": [16, 128], "kernel_size": [3, 3],
                     "input_size": [32, 56], "stride": [1, 2], "padding": [0, 1], "groups": [1, 4],
                     "batch": [1, 2]}, 2),
    "max_pool2d_output_size": ({"input_size": [8, 5, 7], "kernel_size": [3, 2, 3], "stride": [2, 2, 2],
                                "padding": [0, 1, 1], "ceil_mode": [1, 1, 0]}, 3),
    "conv_transpose2d_output_size": ({"input_size": [5, 16, 7], "kernel_size": [3, 4, 3], "stride": [2, 2, 2],
                                      "padding": [1, 1, 0], "output_padding": [1, 0, 0]}, 3),
    "receptive_field": ({"kernel_sizes": [[3, 3, 3], [7, 3, 3]], "strides": [[2, 2, 1], [2, 1, 2]]}, 2),
    "activation_memory": ({"batch": [32, 4], "channels": [64, 3], "height": [112, 224], "width": [112, 224],
                           "element_size": [4, 2]}, 2),
}  # fmt: skip

MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("conv2d_output_size", "missing-plus-one"): lambda e: size_before_plus_one(e) // e["stride"],
    ("conv2d_output_size", "padding-one-side"): lambda e: (size_before_plus_one(e) - e["padding"]) // e["stride"] + 1,
    ("conv2d_output_size", "dilation-ignored"): lambda e: (e["input_size"] + 2 * e["padding"] - e["kernel_size"]) // e["stride"] + 1,
    ("conv2d_output_size", "rounded-up"): lambda e: np.ceil(size_before_plus_one(e) / e["stride"]) + 1,
    ("conv_same_padding", "half-kernel"): lambda e: e["kernel_size"] // 2,
    ("conv_same_padding", "dilation-ignored"): lambda e: e["kernel_size"] - 1,
    ("conv2d_params", "groups-ignored"): lambda e: e["out_channels"] * e["in_channels"] * e["kernel_size"] ** 2 + e["bias"] * e["out_channels"],
    ("conv2d_params", "bias-forgotten"): lambda e: e["out_channels"] * e["in_channels"] / e["groups"] * e["kernel_size"] ** 2,
    ("conv2d_params", "kernel-not-squared"): lambda e: e["out_channels"] * e["in_channels"] / e["groups"] * e["kernel_size"] + e["bias"] * e["out_channels"],
    ("separable_conv2d_params", "depthwise-without-groups"): lambda e: e["in_channels"] ** 2 * e["kernel_size"] ** 2 + e["bias"] * e["in_channels"],
    ("separable_conv2d_params", "ratio-inverted"): lambda e: e["standard"] / e["params"],
    ("conv2d_macs", "input-resolution"): lambda e: e["batch"] * e["input_size"] ** 2 * e["out_channels"] * e["in_channels"] / e["groups"] * e["kernel_size"] ** 2,
    ("conv2d_macs", "groups-ignored"): lambda e: e["batch"] * e["out_size"] ** 2 * e["out_channels"] * e["in_channels"] * e["kernel_size"] ** 2,
    ("conv2d_macs", "flops-equal-macs"): lambda e: e["flops"] / 2,
    ("max_pool2d_output_size", "ceil-mode-ignored"): lambda e: size_before_plus_one(e) // e["stride"] + 1,
    ("max_pool2d_output_size", "window-in-padding-kept"): lambda e: np.where(e["ceil_mode"] > 0, np.ceil(size_before_plus_one(e) / e["stride"]) + 1, e["out_size"]),
    ("conv_transpose2d_output_size", "forward-conv-formula"): lambda e: size_before_plus_one(e) // e["stride"] + 1,
    ("conv_transpose2d_output_size", "padding-added"): lambda e: (e["input_size"] - 1) * e["stride"] + 2 * e["padding"] + e["dilation"] * (e["kernel_size"] - 1) + e["output_padding"] + 1,
    ("conv_transpose2d_output_size", "n-times-stride"): lambda e: e["input_size"] * e["stride"],
    ("receptive_field", "strides-ignored"): lambda e: 1 + (e["dilations"] * (e["kernel_sizes"] - 1)).sum(-1),
    ("activation_memory", "elements-as-bytes"): lambda e: e["numel"] / 2**20,
    ("activation_memory", "decimal-megabytes"): lambda e: e["numel"] * e["element_size"] / 1e6,
}  # fmt: skip
