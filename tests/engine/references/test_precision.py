"""The precision references against closed forms, numpy, and a second torch path."""

from __future__ import annotations

import inspect
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from engine.references import ReferenceInputError, get_reference, run_reference

# (bits, exponent bits, stored mantissa bits) of each dtype code.
LAYOUT = {0: (32, 8, 23), 1: (16, 5, 10), 2: (16, 8, 7), 3: (64, 11, 52)}


def bf16_from_bits(bits: int) -> float:
    """The bfloat16 whose 16 bits are `bits`: the top half of a float32."""
    return float(struct.unpack(">f", struct.pack(">I", bits << 16))[0])


def bf16_round(x: float) -> float:
    """x rounded to bfloat16 by hand: to float32, then the low 16 bits rounded to nearest even."""
    (bits,) = struct.unpack(">I", struct.pack(">f", x))
    low, high = bits & 0xFFFF, bits >> 16
    if low > 0x8000 or (low == 0x8000 and high & 1):
        high += 1
    return bf16_from_bits(high)


# float_format -------------------------------------------------------------------------------


def test_float_format_is_the_ieee_closed_form() -> None:
    codes = [0, 1, 2, 3]
    out = run_reference("float_format", {"dtype": codes}, n=4, device="cpu")
    for i, code in enumerate(codes):
        bits, e, m = LAYOUT[code]
        bias = 2 ** (e - 1) - 1
        assert out["bits"][i] == bits
        assert out["exponent_bits"][i] == e
        assert out["mantissa_bits"][i] == m
        assert out["max_finite"][i] == (2 - 2.0**-m) * 2.0**bias
        assert out["eps"][i] == 2.0**-m
        assert out["smallest_normal"][i] == 2.0 ** (1 - bias)
        assert out["smallest_subnormal"][i] == 2.0 ** (1 - bias - m)
    np.testing.assert_array_equal(out["resolution"], [1e-6, 1e-3, 1e-2, 1e-15])


def test_float_format_matches_numpy_and_the_bits_of_bfloat16() -> None:
    out = run_reference("float_format", {"dtype": [0, 1, 2, 3]}, n=4, device="cpu")
    for i, np_dtype in ((0, np.float32), (1, np.float16), (3, np.float64)):
        info = np.finfo(np_dtype)
        assert out["max_finite"][i] == float(info.max)
        assert out["eps"][i] == float(info.eps)
        assert out["smallest_normal"][i] == float(info.smallest_normal)
        assert out["smallest_subnormal"][i] == float(info.smallest_subnormal)
    # bfloat16 (which numpy lacks): largest finite 0x7F7F, smallest normal 0x0080, subnormal 0x0001.
    assert out["max_finite"][2] == bf16_from_bits(0x7F7F)
    assert out["smallest_normal"][2] == bf16_from_bits(0x0080)
    assert out["smallest_subnormal"][2] == bf16_from_bits(0x0001)
    assert out["max_finite"][1] == 65504.0
    assert out["max_finite"][2] == pytest.approx(3.3895313892515355e38, rel=1e-15)


def test_a_dtype_code_out_of_range_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="'dtype'"):
        run_reference("float_format", {"dtype": 4}, n=1, device="cpu")
    with pytest.raises(ReferenceInputError, match="'dtype'"):
        run_reference("round_to_dtype", {"x": 1.0, "dtype": 1.5}, n=1, device="cpu")


# round_to_dtype ----------------------------------------------------------------------------


def test_rounding_to_float16_matches_numpy_and_torch_tensor() -> None:
    # Values that float32 holds exactly, or far from fp16's ties: numpy's direct rounding
    # from float64 and torch's (through float32) agree there.
    x = np.array([0.1, -1234.56, 2049.0, 2051.0, 3e-8, 2.0**-25, 1e-4, 65519.0, 1 + 2.0**-11, -0.7])
    out = run_reference("round_to_dtype", {"x": x, "dtype": 1}, n=len(x), device="cpu")
    np.testing.assert_array_equal(out["rounded"], x.astype(np.float16).astype(np.float64))
    second = [torch.tensor(float(v), dtype=torch.float16).item() for v in x]
    np.testing.assert_array_equal(out["rounded"], second)
    # ties to even: 2049 → 2048, 2051 → 2052, 1 + 2^-11 → 1, 2^-25 (half the smallest subnormal) → 0
    np.testing.assert_array_equal(out["rounded"][[2, 3, 8, 5]], [2048.0, 2052.0, 1.0, 0.0])
    np.testing.assert_array_equal(out["error"], out["rounded"] - x)
    assert out["rounded"][4] == 2.0**-24  # 3e-8 becomes the smallest subnormal
    assert out["rounded"][7] == 65504.0


def test_rounding_to_bfloat16_matches_the_bits_by_hand() -> None:
    x = np.array([1.004, 1 + 2.0**-8, 1 + 3 * 2.0**-8, 3.14159, -300.7, 1e-40, 123456.0, 0.1])
    out = run_reference("round_to_dtype", {"x": x, "dtype": 2}, n=len(x), device="cpu")
    np.testing.assert_array_equal(out["rounded"], [bf16_round(v) for v in x])
    second = [torch.tensor(float(v), dtype=torch.bfloat16).item() for v in x]
    np.testing.assert_array_equal(out["rounded"], second)
    np.testing.assert_array_equal(out["rounded"][:3], [1.0078125, 1.0, 1.015625])  # ties to even


def test_torch_rounds_float64_through_float32() -> None:
    """A hair above a tie of fp16: float32 lands on the tie, which rounds to even. numpy
    rounds the float64 directly, up. torch (the truth of the cards) gives 1."""
    x = 1 + 2.0**-11 + 2.0**-40
    out = run_reference("round_to_dtype", {"x": x, "dtype": 1}, n=1, device="cpu")
    assert out["rounded"][0] == torch.tensor(x, dtype=torch.float16).item() == 1.0
    assert float(np.float16(x)) == 1 + 2.0**-10


def test_overflow_is_inf_and_the_spacing_grows_with_the_magnitude() -> None:
    out = run_reference("round_to_dtype", {"x": [65520.0, 70000.0, -1e5], "dtype": 1}, n=3, device="cpu")
    np.testing.assert_array_equal(out["rounded"], [np.inf, np.inf, -np.inf])
    for code, (_, _, m) in LAYOUT.items():
        k = np.arange(-10.0, 16.0 if code == 1 else 40.0)  # fp16's largest power of two is 2^15
        spacing = run_reference("round_to_dtype", {"x": 2.0**k, "dtype": code}, n=len(k), device="cpu")
        np.testing.assert_array_equal(spacing["spacing"], 2.0 ** (k - m), err_msg=f"dtype {code}")
    half = run_reference("round_to_dtype", {"x": [1.0, 1500.0, 1e-6], "dtype": 1}, n=3, device="cpu")
    np.testing.assert_array_equal(half["spacing"], [2.0**-10, 1.0, 2.0**-24])  # subnormals: 2^-24


# optimizer_state_bytes ---------------------------------------------------------------------


def test_state_bytes_are_the_closed_forms() -> None:
    inputs: dict[str, Any] = {
        "in_features": [4096, 10, 7e9, 300, 512],
        "out_features": [4096, 3, 1, 200, 512],
        "bias": [1, 1, 0, 0, 1],
        "dtype": [0, 0, 2, 1, 2],
        "master_weights": [0, 0, 0, 1, 1],
    }
    out = run_reference("optimizer_state_bytes", inputs, n=5, device="cpu")
    n_in, n_out = np.array(inputs["in_features"]), np.array(inputs["out_features"])
    params = n_in * n_out + n_out * np.array(inputs["bias"])
    size = np.array([4, 4, 2, 2, 2])  # bytes per element of the model's dtype
    state = np.where(inputs["master_weights"], 4, size)  # the optimizers step fp32 copies
    np.testing.assert_array_equal(out["params"], params)
    np.testing.assert_array_equal(out["param_bytes"], size * params)
    np.testing.assert_array_equal(out["grad_bytes"], size * params)
    np.testing.assert_array_equal(out["master_bytes"], np.array(inputs["master_weights"]) * 4 * params)
    np.testing.assert_array_equal(out["state_sgd"], 0)
    for name, buffers in (("sgd_momentum", 1), ("adam", 2), ("adamw", 2), ("adagrad", 1), ("rmsprop", 1)):
        np.testing.assert_array_equal(out[f"state_{name}"], buffers * state * params, err_msg=name)
    np.testing.assert_array_equal(out["total_adam"], out["per_param_adam"] * params)
    # fp32: 4 + 4 + 8 = 16; pure bf16: 2 + 2 + 4 = 8; fp16 + fp32 master: 2 + 2 + 4 + 4 + 4 = 16.
    np.testing.assert_array_equal(out["per_param_adam"], [16, 16, 8, 16, 16])
    assert out["param_bytes"][2] == 14e9  # 7B parameters in bf16: 14 GB


def test_state_bytes_match_real_tensors_storage() -> None:
    """Second path: a real (CPU) layer, real steps, and the bytes of each state tensor's storage."""
    out = run_reference("optimizer_state_bytes", {"in_features": 6, "out_features": 5}, n=1, device="cpu")
    for name, (cls, options) in {
        "state_sgd": (torch.optim.SGD, {"lr": 0.1}),
        "state_sgd_momentum": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
        "state_adam": (torch.optim.Adam, {}),
        "state_adamw": (torch.optim.AdamW, {}),
        "state_adagrad": (torch.optim.Adagrad, {}),
        "state_rmsprop": (torch.optim.RMSprop, {}),
    }.items():
        layer = torch.nn.Linear(6, 5)
        layer(torch.randn(2, 6)).pow(2).sum().backward()
        optimizer = cls(layer.parameters(), **options)
        optimizer.step()
        stored = [
            value
            for state in optimizer.state_dict()["state"].values()
            for key, value in state.items()
            if key != "step"
        ]
        counters = [state["step"] for state in optimizer.state_dict()["state"].values() if "step" in state]
        assert all(counter.ndim == 0 for counter in counters)  # the one thing left uncounted
        assert out[name][0] == sum(value.untyped_storage().nbytes() for value in stored), name


def test_sizes_must_be_whole() -> None:
    with pytest.raises(ReferenceInputError, match="'in_features'"):
        run_reference("optimizer_state_bytes", {"in_features": 2.5, "out_features": 3}, n=1, device="cpu")


# saved_activation_bytes --------------------------------------------------------------------


def test_saved_bytes_are_the_closed_forms() -> None:
    inputs: dict[str, Any] = {
        "in_features": [8, 4096, 4096, 4096],
        "out_features": [32, 4096, 16384, 16384],
        "tokens": [64, 8192, 2048, 2048],
        "dtype": [2, 2, 2, 0],
        "nonlinearity": [2, 0, 2, 1],
    }
    out = run_reference("saved_activation_bytes", inputs, n=4, device="cpu")
    t, h_in, h_out = (np.array(inputs[k], dtype=float) for k in ("tokens", "in_features", "out_features"))
    size = np.array([2, 2, 2, 4])
    # The layer's input always; the layer's output too when ReLU (its output) or GELU (its input) follows.
    followed = np.array(inputs["nonlinearity"]) > 0
    np.testing.assert_array_equal(out["saved_bytes"], size * t * (h_in + followed * h_out))
    np.testing.assert_array_equal(out["input_bytes"], size * t * h_in)


def test_saved_bytes_match_real_tensors_storage() -> None:
    """Second path: real CPU tensors, the saved tensors told apart by their storages."""
    for code, act in ((0, lambda y: y), (1, torch.relu), (2, torch.nn.functional.gelu)):
        ref = run_reference(
            "saved_activation_bytes",
            {"in_features": 6, "out_features": 10, "tokens": 5, "nonlinearity": code},
            n=1,
            device="cpu",
        )
        layer = torch.nn.Linear(6, 10)
        owned = {p.untyped_storage().data_ptr() for p in layer.parameters()}
        storages: dict[int, int] = {}

        def pack(tensor: torch.Tensor, storages: dict[int, int] = storages) -> torch.Tensor:
            storage = tensor.untyped_storage()
            storages[storage.data_ptr()] = storage.nbytes()
            return tensor

        x = torch.randn(5, 6, requires_grad=True)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            act(layer(x))
        saved = sum(nbytes for pointer, nbytes in storages.items() if pointer not in owned)
        assert ref["saved_bytes"][0] == saved, code


# grad_scaler_step ------------------------------------------------------------------------------


def test_defaults_are_grad_scalers_and_sgds() -> None:
    signature = inspect.signature(torch.amp.GradScaler.__init__).parameters
    ref = get_reference("grad_scaler_step")
    assert ref.input("scale_prev").default == signature["init_scale"].default == 2.0**16
    for name in ("growth_factor", "backoff_factor", "growth_interval"):
        assert ref.input(name).default == signature[name].default, name
    assert ref.input("lr").default == inspect.signature(torch.optim.SGD.__init__).parameters["lr"].default


SCALER: dict[str, Any] = {
    "theta_prev": [1.0, -0.5, 0.25, 2.0, 0.3, 0.8],
    "grad": [2.0, 0.37, 3e-8, -1.5, 0.125, -0.75],
    "scale_prev": [65536.0, 1024.0, 1024.0, 65536.0, 2048.0, 1024.0],
    "growth_tracker_prev": [5, 1999, 10, 1999, 1998, 0],
    "lr": 0.1,
}


def test_grad_scaler_by_hand() -> None:
    n = len(SCALER["grad"])
    out = run_reference("grad_scaler_step", SCALER, n=n, device="cpu")
    theta, grad, scale, tracker = (np.array(SCALER[k], dtype=float) for k in list(SCALER)[:4])
    with np.errstate(over="ignore"):  # the overflow to inf is what is tested
        fp16 = (scale * grad).astype(np.float16).astype(np.float64)
    overflow = ~np.isfinite(fp16)
    np.testing.assert_array_equal(out["found_inf"], overflow)
    np.testing.assert_array_equal(overflow, np.abs(scale * grad) >= 65520)  # half a step above 65504
    np.testing.assert_array_equal(out["grad_fp16"], fp16)
    np.testing.assert_array_equal(out["grad_unscaled"], fp16 / scale)
    np.testing.assert_array_equal(out["theta"], np.where(overflow, theta, theta - 0.1 * fp16 / scale))
    grown = ~overflow & (tracker + 1 == 2000)
    np.testing.assert_array_equal(
        out["scale"], np.where(overflow, scale / 2, np.where(grown, 2 * scale, scale))
    )
    np.testing.assert_array_equal(out["growth_tracker"], np.where(overflow | grown, 0, tracker + 1))
    assert out["grad_fp16"][2] == 515 * 2.0**-24  # 3e-8·1024 is a float16 subnormal


def test_grad_scaler_matches_an_autocast_training_step() -> None:
    """Second path: nn.Linear under torch.autocast(float16) with float32 weights, as AMP runs."""
    n = len(SCALER["grad"])
    out = run_reference("grad_scaler_step", SCALER, n=n, device="cpu")
    for i in range(n):
        model = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(SCALER["theta_prev"][i])
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.amp.GradScaler("cpu", init_scale=SCALER["scale_prev"][i])
        state = scaler.state_dict()
        state["_growth_tracker"] = SCALER["growth_tracker_prev"][i]
        scaler.load_state_dict(state)
        with torch.autocast("cpu", dtype=torch.float16):
            y = model(torch.ones(1, 1))
        assert y.dtype == torch.float16
        torch.autograd.backward(scaler.scale((y.float() * SCALER["grad"][i]).sum()))
        scaler.step(optimizer)
        scaler.update()
        assert model.weight.item() == pytest.approx(out["theta"][i], rel=1e-7)
        assert scaler.get_scale() == out["scale"][i]
        assert scaler.state_dict()["_growth_tracker"] == out["growth_tracker"][i]


def test_an_overflow_skips_only_its_own_instance() -> None:
    """Batched with overflowing instances, each instance gets what it gets alone."""
    n = len(SCALER["grad"])
    batch = run_reference("grad_scaler_step", SCALER, n=n, device="cpu")
    for i in range(n):
        alone = run_reference(
            "grad_scaler_step",
            {k: v[i] if isinstance(v, list) else v for k, v in SCALER.items()},
            n=1,
            device="cpu",
        )
        for name, value in alone.items():
            np.testing.assert_array_equal(batch[name][i], value[0], err_msg=f"{i}: {name}")


# Mistakes ----------------------------------------------------------------------------------------

E = dict[str, np.ndarray]


def spacing(e: E) -> np.ndarray:
    m = np.array([LAYOUT[int(c)][2] for c in e["dtype"]], dtype=float)
    low = np.array([{1: -14, 3: -1022}.get(int(c), -126) for c in e["dtype"]], dtype=float)
    _, exponent = np.frexp(np.abs(e["x"]))  # |x| = f·2^exponent with f in [0.5, 1)
    gap: np.ndarray = 2.0 ** (np.maximum(exponent - 1, low) - m)
    return gap


# The inputs each reference with mistakes is run at: (inputs, n), and each mistake by hand,
# in the format of tests/engine/references/test_mistakes.py.
MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "float_format": ({"dtype": [0, 1, 2]}, 3),
    "round_to_dtype": ({"x": [1.004, 2051.0, 0.1, 5.1e-8], "dtype": [2, 1, 0, 1]}, 4),
    "optimizer_state_bytes": (
        {"in_features": [10, 4096], "out_features": [3, 4096], "dtype": 1, "master_weights": 1},
        2,
    ),
    "saved_activation_bytes": (
        {"in_features": [8, 16], "out_features": 32, "tokens": 64, "dtype": [2, 0]},
        2,
    ),
    "grad_scaler_step": (
        {
            "theta_prev": [1.0, 2.0],
            "grad": [2.0, 0.37],
            "scale_prev": [65536.0, 1024.0],
            "growth_tracker_prev": [5, 1999],
            "lr": 0.1,
        },
        2,
    ),
}
MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("float_format", "max-as-power-of-two"): lambda e: 2.0 ** (2.0 ** (e["exponent_bits"] - 1)),
    ("float_format", "eps-as-unit-roundoff"): lambda e: 2.0 ** (-e["mantissa_bits"] - 1),
    ("float_format", "implicit-bit-counted"): lambda e: e["bits"] - e["exponent_bits"],
    ("float_format", "min-exponent-off-by-one"): lambda e: 2.0 ** (1 - 2.0 ** (e["exponent_bits"] - 1)),
    ("float_format", "no-subnormals"): lambda e: e["smallest_normal"],
    ("round_to_dtype", "truncated"): lambda e: np.sign(e["x"]) * np.floor(np.abs(e["x"]) / spacing(e)) * spacing(e),
    ("round_to_dtype", "not-rounded"): lambda e: e["x"],
    ("optimizer_state_bytes", "one-adam-moment"): lambda e: e["state_sgd_momentum"],
    ("optimizer_state_bytes", "bias-forgotten"): lambda e: e["in_features"] * e["out_features"],
    ("optimizer_state_bytes", "master-copy-forgotten"): lambda e: e["param_bytes"] + e["grad_bytes"] + e["state_adam"],
    ("saved_activation_bytes", "elements-not-bytes"): lambda e: e["saved_bytes"] / np.where(e["dtype"] == 0, 4, 2),
    ("grad_scaler_step", "step-taken-on-overflow"): lambda e: e["theta_prev"] - e["lr"] * e["grad"],
    ("grad_scaler_step", "scale-kept"): lambda e: e["scale_prev"],
    ("grad_scaler_step", "not-unscaled"): lambda e: e["grad_fp16"],
    ("grad_scaler_step", "tracker-not-reset"): lambda e: e["growth_tracker_prev"] + 1,
}  # fmt: skip


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu() -> None:
    x = {"x": [0.1, 2049.0, 3e-8, 1.004, -300.7], "dtype": [1, 1, 1, 2, 2]}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("round_to_dtype", x),
        ("grad_scaler_step", SCALER),
        ("float_format", {"dtype": [0, 1, 2, 3]}),
    ]
    for name, inputs in cases:
        n = len(next(v for v in inputs.values() if isinstance(v, list)))
        cuda, cpu = (
            run_reference(name, inputs, n=n, device="cuda"),
            run_reference(name, inputs, n=n, device="cpu"),
        )
        for output, value in cpu.items():
            np.testing.assert_array_equal(cuda[output], value, err_msg=f"{name}.{output}")
