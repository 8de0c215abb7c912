"""Convolution arithmetic references: shapes, parameter counts, costs and values, as torch has them.

Shapes come from torch's own shape logic, run on meta tensors (no memory, no values), so a
1000×1000 feature map costs nothing: F.conv2d, F.max_pool2d (with ceil_mode's rule that
the last window must start inside the input) and nn.Conv2d's parameters' numel(). The
multiply-accumulates are torch's FlopCounterMode's count of the same meta call. Where
torch checks only when it computes (ConvTranspose2d's output_padding), or where the
quantity is a behaviour rather than a shape (the split of padding='same', a receptive
field, a convolution's values), small real float64 tensors are used instead.

Every input here is a whole number (a size, a count, a flag) or, for the values, a small
array; instances are grouped by their integer settings, one torch call per setting.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

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

T = TypeVar("T")
Setting = dict[str, float]
Recipe = Callable[[Setting, "torch.device"], dict[str, float]]
"""Computes a reference's outputs (Python floats) for one setting of its scalar inputs."""


def _each_setting(name: str, recipe: Recipe) -> Compute:
    """Run `recipe` once per distinct setting of all the inputs, spreading its outputs.

    torch's shape checks raise RuntimeError ("Kernel size can't be greater than actual input
    size"); they are turned into input errors, which name the reference and quote torch.
    """
    return constant_per_group(
        None, lambda setting, device: _torch_checked(name, lambda: recipe(setting, device))
    )


def _torch_checked(name: str, call: Callable[[], T]) -> T:
    """call(), with torch's RuntimeErrors about impossible sizes turned into input errors."""
    try:
        return call()
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ReferenceInputError(f"torch rejected the inputs of {name}: {reason}") from error


def _sizes(setting: Setting) -> tuple[int, int, int, int, int]:
    """(input_size, kernel_size, stride, padding, dilation) as checked whole numbers."""
    return (
        as_count(setting["input_size"], "input_size", minimum=1),
        as_count(setting["kernel_size"], "kernel_size", minimum=1),
        as_count(setting["stride"], "stride", minimum=1),
        as_count(setting["padding"], "padding", minimum=0),
        as_count(setting["dilation"], "dilation", minimum=1),
    )


def _meta(*shape: int) -> torch.Tensor:
    import torch

    return torch.empty(*shape, device="meta")


def _conv2d_output_size(setting: Setting, device: torch.device) -> dict[str, float]:
    import torch.nn.functional as F

    size, kernel, stride, padding, dilation = _sizes(setting)
    y = F.conv2d(_meta(1, 1, size, size), _meta(1, 1, kernel, kernel), None, stride, padding, dilation)
    return {"out_size": float(y.shape[-1])}


def _max_pool2d_output_size(setting: Setting, device: torch.device) -> dict[str, float]:
    import torch.nn.functional as F

    size, kernel, stride, padding, dilation = _sizes(setting)
    ceil_mode = as_flag(setting["ceil_mode"], "ceil_mode")
    y = F.max_pool2d(_meta(1, 1, size, size), kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    return {"out_size": float(y.shape[-1])}


def _conv_transpose2d_output_size(setting: Setting, device: torch.device) -> dict[str, float]:
    """On real zeros: torch checks output_padding < max(stride, dilation) only when it computes."""
    import torch
    import torch.nn.functional as F

    size, kernel, stride, padding, dilation = _sizes(setting)
    output_padding = as_count(setting["output_padding"], "output_padding", minimum=0)
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, device=device)
    weight = torch.zeros(1, 1, kernel, kernel, dtype=torch.float64, device=device)
    y = F.conv_transpose2d(x, weight, None, stride, padding, output_padding, 1, dilation)
    return {"out_size": float(y.shape[-1])}


def _conv_same_padding(setting: Setting, device: torch.device) -> dict[str, float]:
    """The zeros padding='same' adds before and after a row, read off what the conv computes.

    A row x = 1, 2, ..., L is convolved with a kernel that picks its first tap: output i is
    padded[i], so the last output is x[L − 1 − left] = L − left. A kernel that picks its
    last tap reads padded[i + d(k − 1)]: output 0 is x[d(k − 1) − left] = right + 1. Both
    are exact in float64, and L > d(k − 1) keeps every index inside the row.
    """
    import torch
    import torch.nn.functional as F

    kernel = as_count(setting["kernel_size"], "kernel_size", minimum=1)
    dilation = as_count(setting["dilation"], "dilation", minimum=1)
    length = dilation * (kernel - 1) + 2
    row = torch.arange(1, length + 1, dtype=torch.float64, device=device).reshape(1, 1, 1, length)
    first_tap = torch.zeros(1, 1, 1, kernel, dtype=torch.float64, device=device)
    last_tap = first_tap.clone()
    first_tap[..., 0] = 1.0
    last_tap[..., -1] = 1.0
    with warnings.catch_warnings():
        # An even extent warns that torch pads a copy of the input (asymmetric padding).
        warnings.filterwarnings("ignore", message="Using padding='same'", category=UserWarning)
        picked_first = F.conv2d(row, first_tap, padding="same", dilation=(1, dilation))
        picked_last = F.conv2d(row, last_tap, padding="same", dilation=(1, dilation))
    assert picked_first.shape[-1] == length  # 'same': the row keeps its length
    left = length - float(picked_first[0, 0, 0, -1])
    right = float(picked_last[0, 0, 0, 0]) - 1.0
    return {"padding_total": left + right, "padding_left": left, "padding_right": right}


def _channels(setting: Setting) -> tuple[int, int, int]:
    """(in_channels, out_channels, kernel_size) as checked whole numbers."""
    return (
        as_count(setting["in_channels"], "in_channels", minimum=1),
        as_count(setting["out_channels"], "out_channels", minimum=1),
        as_count(setting["kernel_size"], "kernel_size", minimum=1),
    )


def _conv2d_params(setting: Setting, device: torch.device) -> dict[str, float]:
    import torch

    in_channels, out_channels, kernel = _channels(setting)
    groups = as_count(setting["groups"], "groups", minimum=1)
    bias = as_flag(setting["bias"], "bias")
    conv = torch.nn.Conv2d(in_channels, out_channels, kernel, groups=groups, bias=bias, device="meta")
    return {
        "params": parameter_count(conv),
        "weight_params": float(conv.weight.numel()),
        "bias_params": float(conv.bias.numel()) if conv.bias is not None else 0.0,
    }


def _separable_conv2d_params(setting: Setting, device: torch.device) -> dict[str, float]:
    import torch

    in_channels, out_channels, kernel = _channels(setting)
    bias = as_flag(setting["bias"], "bias")
    depthwise = torch.nn.Conv2d(
        in_channels, in_channels, kernel, groups=in_channels, bias=bias, device="meta"
    )
    pointwise = torch.nn.Conv2d(in_channels, out_channels, 1, bias=bias, device="meta")
    standard = torch.nn.Conv2d(in_channels, out_channels, kernel, bias=bias, device="meta")
    separable = parameter_count(torch.nn.Sequential(depthwise, pointwise))
    return {
        "depthwise": parameter_count(depthwise),
        "pointwise": parameter_count(pointwise),
        "params": separable,
        "standard": parameter_count(standard),
        "ratio": separable / parameter_count(standard),
    }


def _conv2d_macs(setting: Setting, device: torch.device) -> dict[str, float]:
    """torch's FlopCounterMode over one meta F.conv2d: 2 FLOPs per multiply-accumulate."""
    import torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode

    size, kernel, stride, padding, dilation = _sizes(setting)
    in_channels, out_channels, _ = _channels(setting)
    groups = as_count(setting["groups"], "groups", minimum=1)
    batch = as_count(setting["batch"], "batch", minimum=1)
    if in_channels % groups or out_channels % groups:
        raise ReferenceInputError(
            f"groups = {groups} must divide in_channels = {in_channels} and out_channels = {out_channels}"
        )
    x = _meta(batch, in_channels, size, size)
    weight = _meta(out_channels, in_channels // groups, kernel, kernel)
    with FlopCounterMode(display=False) as counter:
        y = F.conv2d(x, weight, None, stride, padding, dilation, groups)
    flops = float(counter.get_total_flops())
    return {"out_size": float(y.shape[-1]), "macs": flops / 2, "flops": flops}


def _activation_memory(setting: Setting, device: torch.device) -> dict[str, float]:
    import torch

    dtypes = {1: torch.uint8, 2: torch.float16, 4: torch.float32, 8: torch.float64}
    element_size = as_count(setting["element_size"], "element_size", minimum=1)
    if element_size not in dtypes:
        raise ReferenceInputError(f"input 'element_size' must be 1, 2, 4 or 8 bytes, not {element_size}")
    shape = [as_count(setting[name], name, minimum=1) for name in ("batch", "channels", "height", "width")]
    activation = torch.empty(*shape, dtype=dtypes[element_size], device="meta")
    assert activation.element_size() == element_size
    return {
        "numel": float(activation.numel()),
        "nbytes": float(activation.nbytes),
        "mib": activation.nbytes / 2**20,
    }


def _receptive_field(arrays: Arrays, device: torch.device) -> Arrays:
    """The input span one output unit of a stack of 1-D convolutions sees, by autograd.

    With every weight 1 and input 1, the gradient of an output unit with respect to the
    input counts the paths to each input position: positive exactly where the unit looks,
    so nothing cancels. The span from its first to its last nonzero is the receptive field
    (a lone dilated kernel has holes inside it; the span counts them, as the usual
    definition does), and the shift of that window between two neighbouring output units
    is the jump. One square k×k stack has this span along each axis.
    """
    import numpy as np

    names = ["kernel_sizes", "strides", "dilations"]

    def run(idx: np.ndarray, setting: Setting) -> Arrays:
        first = int(idx[0])
        kernels, strides, dilations = (
            tuple(as_count(value, name, minimum=1) for value in arrays[name][first]) for name in names
        )
        field, jump = _torch_checked("receptive_field", lambda: _span(kernels, strides, dilations, device))
        return {"receptive_field": np.full(len(idx), field), "jump": np.full(len(idx), jump)}

    return per_group(arrays, names, run)


def _span(
    kernels: tuple[int, ...], strides: tuple[int, ...], dilations: tuple[int, ...], device: torch.device
) -> tuple[float, float]:
    import math

    import torch
    import torch.nn.functional as F

    # Wide enough for at least three output units: each layer's extent, times all strides.
    width = (2 + sum(d * k for d, k in zip(dilations, kernels, strict=True))) * math.prod(strides)
    x = torch.ones(1, 1, 1, width, dtype=torch.float64, device=device, requires_grad=True)
    y = x
    for kernel, stride, dilation in zip(kernels, strides, dilations, strict=True):
        weight = torch.ones(1, 1, 1, kernel, dtype=torch.float64, device=device)
        y = F.conv2d(y, weight, stride=(1, stride), dilation=(1, dilation))
    (seen_by_first,) = torch.autograd.grad(y[0, 0, 0, 0], x, retain_graph=True)
    (seen_by_second,) = torch.autograd.grad(y[0, 0, 0, 1], x)
    first = torch.nonzero(seen_by_first.reshape(-1)).reshape(-1)
    second = torch.nonzero(seen_by_second.reshape(-1)).reshape(-1)
    return float(first[-1] - first[0] + 1), float(second[0] - first[0])


def _conv2d(arrays: Arrays, device: torch.device) -> Arrays:
    """Single-channel F.conv2d, every instance of a setting in one call as a group of its own.

    The G instances become G channels of one input and G kernels with groups=G: channel g
    meets only kernel g, so one call computes every instance (with its own bias).
    """
    import torch
    import torch.nn.functional as F

    def run(idx: np.ndarray, setting: Setting) -> Arrays:
        stride = as_count(setting["stride"], "stride", minimum=1)
        padding = as_count(setting["padding"], "padding", minimum=0)
        dilation = as_count(setting["dilation"], "dilation", minimum=1)
        x = to_tensor(arrays["x"][idx], device).unsqueeze(0)  # (1, G, h, w)
        weight = to_tensor(arrays["weight"][idx], device).unsqueeze(1)  # (G, 1, kh, kw)
        bias = to_tensor(arrays["bias"][idx], device)
        with torch.no_grad():
            y = _torch_checked(
                "conv2d", lambda: F.conv2d(x, weight, bias, stride, padding, dilation, groups=len(idx))
            )
        return {"y": to_numpy(y[0])}

    return per_group(arrays, ["stride", "padding", "dilation"], run)


def _conv1x1(arrays: Arrays, device: torch.device) -> Arrays:
    """A 1×1 F.conv2d over s pixels in a row, all instances at once (groups = instances)."""
    import torch
    import torch.nn.functional as F

    count, channels, pixels = arrays["x"].shape
    outputs = arrays["weight"].shape[1]
    x = to_tensor(arrays["x"], device).reshape(1, count * channels, 1, pixels)
    weight = to_tensor(arrays["weight"], device).reshape(count * outputs, channels, 1, 1)
    bias = to_tensor(arrays["bias"], device).reshape(-1)
    with torch.no_grad():
        y = F.conv2d(x, weight, bias, groups=count)
    return {"y": to_numpy(y.reshape(count, outputs, pixels))}


INPUT_SIZE = Param("input_size", (), None, "the input's height (= width): a square input")
KERNEL_SIZE = Param("kernel_size", (), None, "the kernel's height (= width)")
STRIDE = Param("stride", (), 1.0, "the step between windows")
PADDING = Param("padding", (), 0.0, "zeros added on EACH side")
DILATION = Param("dilation", (), 1.0, "the spacing of the kernel's taps (1: contiguous)")
IN_CHANNELS = Param("in_channels", (), None, "C_in")
OUT_CHANNELS = Param("out_channels", (), None, "C_out")
GROUPS = Param("groups", (), 1.0, "channel groups; must divide C_in and C_out (C_in: depthwise)")
BIAS_FLAG = Param("bias", (), 1.0, "1: the layer has a bias (torch's default), 0: bias=False")
OUT_SIZE = Output("out_size", (), "the output's height (= width)")

CONV_SIZE = "floor((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride)"
"""The conv and pooling output size before its + 1, in the expression language."""


REFERENCES = (
    Reference(
        name="conv2d_output_size",
        summary="The output size floor((n + 2p − d(k − 1) − 1)/s) + 1 of a square Conv2d.",
        torch_api="torch.nn.functional.conv2d on meta tensors",
        inputs=(INPUT_SIZE, KERNEL_SIZE, STRIDE, PADDING, DILATION),
        outputs=(OUT_SIZE,),
        mistakes=(
            Mistake(
                "missing-plus-one",
                "out_size",
                CONV_SIZE,
                "Forgot the + 1: floor((n + 2p − d(k − 1) − 1)/s) counts the steps between "
                "windows; the first window is one more.",
            ),
            Mistake(
                "padding-one-side",
                "out_size",
                "floor((input_size + padding - dilation * (kernel_size - 1) - 1) / stride) + 1",
                "Added the padding once; torch's padding = p puts p zeros on each side, 2p in all.",
            ),
            Mistake(
                "dilation-ignored",
                "out_size",
                "floor((input_size + 2 * padding - kernel_size) / stride) + 1",
                "Ignored the dilation; a dilated kernel spans d(k − 1) + 1 inputs.",
            ),
            Mistake(
                "rounded-up",
                "out_size",
                "-floor(-(input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1",
                "Rounded up; a convolution drops a last partial window: the division is floored.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("conv2d_output_size", _conv2d_output_size),
    ),
    Reference(
        name="conv_same_padding",
        summary="The zeros padding='same' adds (stride 1): d(k − 1) in all, the extra one after.",
        torch_api="torch.nn.functional.conv2d(padding='same') on a row 1, 2, ..., L",
        inputs=(KERNEL_SIZE, DILATION),
        outputs=(
            Output("padding_total", (), "zeros added per axis, d(k − 1)"),
            Output("padding_left", (), "zeros before (top/left): floor(d(k − 1)/2)"),
            Output("padding_right", (), "zeros after (bottom/right): the rest"),
        ),
        mistakes=(
            Mistake(
                "half-kernel",
                "padding_left",
                "floor(kernel_size / 2)",
                "Padded floor(k/2) before; the total is d(k − 1), so for an even extent torch puts "
                "floor(d(k − 1)/2) before and the extra zero after.",
            ),
            Mistake(
                "dilation-ignored",
                "padding_total",
                "kernel_size - 1",
                "Ignored the dilation; a dilated kernel spans d(k − 1) + 1 inputs, so 'same' "
                "needs d(k − 1) zeros.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("conv_same_padding", _conv_same_padding),
    ),
    Reference(
        name="conv2d_params",
        summary="nn.Conv2d's parameter count: C_out·(C_in/groups)·k² weights + C_out biases.",
        torch_api="torch.nn.Conv2d(..., device='meta'): parameters' numel()",
        inputs=(IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE, GROUPS, BIAS_FLAG),
        outputs=(
            Output("params", (), "weights and biases"),
            Output("weight_params", (), "weight.numel(): C_out·(C_in/groups)·k²"),
            Output("bias_params", (), "bias.numel(): C_out, or 0 with bias=False"),
        ),
        mistakes=(
            Mistake(
                "groups-ignored",
                "params",
                "out_channels * in_channels * kernel_size ^ 2 + bias * out_channels",
                "Ignored the groups; each filter sees only its group's C_in/groups channels.",
            ),
            Mistake(
                "bias-forgotten",
                "params",
                "weight_params",
                "Forgot the biases: one per output channel (bias=True is the default).",
            ),
            Mistake(
                "kernel-not-squared",
                "params",
                "out_channels * in_channels / groups * kernel_size + bias * out_channels",
                "Counted k taps per filter and channel; a k×k kernel has k².",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("conv2d_params", _conv2d_params),
    ),
    Reference(
        name="separable_conv2d_params",
        summary="A depthwise-separable conv (k×k depthwise, then 1×1 pointwise) against a "
        "standard k×k Conv2d.",
        torch_api="torch.nn.Conv2d(C_in, C_in, k, groups=C_in) then torch.nn.Conv2d(C_in, C_out, 1), "
        "device='meta': numel()",
        inputs=(
            IN_CHANNELS,
            OUT_CHANNELS,
            KERNEL_SIZE,
            Param("bias", (), 1.0, "1: every conv has a bias (torch's default), 0: bias=False"),
        ),
        outputs=(
            Output("depthwise", (), "parameters of the depthwise conv, C_in·k² (+ C_in)"),
            Output("pointwise", (), "parameters of the 1×1 conv, C_in·C_out (+ C_out)"),
            Output("params", (), "depthwise + pointwise"),
            Output("standard", (), "parameters of nn.Conv2d(C_in, C_out, k)"),
            Output("ratio", (), "params / standard"),
        ),
        mistakes=(
            Mistake(
                "depthwise-without-groups",
                "depthwise",
                "in_channels ^ 2 * kernel_size ^ 2 + bias * in_channels",
                "Counted a full C_in → C_in conv; with groups = C_in each filter sees one channel.",
            ),
            Mistake(
                "ratio-inverted",
                "ratio",
                "standard / params",
                "Inverted the ratio: separable / standard is below 1 (the saving factor is its inverse).",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("separable_conv2d_params", _separable_conv2d_params),
    ),
    Reference(
        name="conv2d_macs",
        summary="Multiply-accumulates of a Conv2d, N·H_out·W_out·C_out·(C_in/groups)·k², and "
        "FLOPs = 2·MACs (biases not counted).",
        torch_api="torch.utils.flop_counter.FlopCounterMode over torch.nn.functional.conv2d (meta)",
        inputs=(
            IN_CHANNELS,
            OUT_CHANNELS,
            KERNEL_SIZE,
            INPUT_SIZE,
            STRIDE,
            PADDING,
            DILATION,
            GROUPS,
            Param("batch", (), 1.0, "N, the batch size"),
        ),
        outputs=(
            OUT_SIZE,
            Output("macs", (), "multiply-accumulates, FLOPs/2"),
            Output("flops", (), "FlopCounterMode's count: 2 per multiply-accumulate"),
        ),
        mistakes=(
            Mistake(
                "input-resolution",
                "macs",
                "batch * input_size ^ 2 * out_channels * in_channels / groups * kernel_size ^ 2",
                "Counted a window at every INPUT position; there is one per OUTPUT position, H_out·W_out.",
            ),
            Mistake(
                "groups-ignored",
                "macs",
                "batch * out_size ^ 2 * out_channels * in_channels * kernel_size ^ 2",
                "Ignored the groups; each output sums over C_in/groups channels only.",
            ),
            Mistake(
                "flops-equal-macs",
                "flops",
                "macs",
                "Gave the MACs; a multiply-accumulate is two FLOPs, a multiply and an add.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("conv2d_macs", _conv2d_macs),
    ),
    Reference(
        name="max_pool2d_output_size",
        summary="MaxPool2d's output size: floor (or ceil with ceil_mode) of "
        "(n + 2p − d(k − 1) − 1)/s, + 1; in ceil mode a last window starting in the padding is dropped.",
        torch_api="torch.nn.functional.max_pool2d on meta tensors",
        inputs=(
            INPUT_SIZE,
            KERNEL_SIZE,
            Param("stride", (), None, "the step; nn.MaxPool2d's default (None) is kernel_size"),
            Param("padding", (), 0.0, "-inf padding on each side; at most half the kernel"),
            DILATION,
            Param("ceil_mode", (), 0.0, "1: round up, keeping a last partial window"),
        ),
        outputs=(OUT_SIZE,),
        mistakes=(
            Mistake(
                "ceil-mode-ignored",
                "out_size",
                f"{CONV_SIZE} + 1",
                "Floored in ceil mode; ceil_mode=True rounds up, keeping a last partial window.",
            ),
            Mistake(
                "window-in-padding-kept",
                "out_size",
                "where(ceil_mode > 0, -floor(-(input_size + 2 * padding - dilation * (kernel_size - 1)"
                " - 1) / stride) + 1, out_size)",
                "Rounded up without torch's rule: a last window that would start in the padding "
                "after the input (bottom or right), not in the input, is dropped.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("max_pool2d_output_size", _max_pool2d_output_size),
    ),
    Reference(
        name="conv_transpose2d_output_size",
        summary="ConvTranspose2d's output size (n − 1)s − 2p + d(k − 1) + output_padding + 1.",
        torch_api="torch.nn.functional.conv_transpose2d on float64 zeros",
        inputs=(
            INPUT_SIZE,
            KERNEL_SIZE,
            STRIDE,
            Param("padding", (), 0.0, "removes p rows and columns on each side of the output"),
            Param("output_padding", (), 0.0, "added on one side; must be < stride or < dilation"),
            DILATION,
        ),
        outputs=(OUT_SIZE,),
        mistakes=(
            Mistake(
                "forward-conv-formula",
                "out_size",
                f"{CONV_SIZE} + 1",
                "Used the convolution's formula; a transposed conv maps the other way: "
                "(n − 1)s − 2p + d(k − 1) + output_padding + 1.",
            ),
            Mistake(
                "padding-added",
                "out_size",
                "(input_size - 1) * stride + 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
                "Added the padding; in a transposed conv, padding p removes p from each side of the output.",
            ),
            Mistake(
                "n-times-stride",
                "out_size",
                "input_size * stride",
                "Took n·s (upsampling by the stride); that holds only for particular k, p and "
                "output_padding.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("conv_transpose2d_output_size", _conv_transpose2d_output_size),
    ),
    Reference(
        name="receptive_field",
        summary="Receptive field 1 + Σ d_l(k_l − 1)·(s_1⋯s_{l−1}) and jump s_1⋯s_L of stacked "
        "convolutions (no pooling), by autograd.",
        torch_api="torch.autograd.grad of one output of stacked torch.nn.functional.conv2d",
        inputs=(
            Param("kernel_sizes", ("L",), None, "each layer's kernel size, first layer first"),
            Param("strides", ("L",), 1.0, "each layer's stride"),
            Param("dilations", ("L",), 1.0, "each layer's dilation"),
        ),
        outputs=(
            Output("receptive_field", (), "the input span one output unit sees, per axis"),
            Output("jump", (), "the input distance between neighbouring output units"),
        ),
        mistakes=(
            Mistake(
                "strides-ignored",
                "receptive_field",
                "1 + sum(dilations * (kernel_sizes - 1))",
                "Added the kernels' growth as if every stride were 1; a layer after a stride-s "
                "layer grows the field s times as fast.",
            ),
        ),
        topic="convolutions",
        compute=_receptive_field,
    ),
    Reference(
        name="conv2d",
        summary="A single-channel 2-D convolution's values, as torch computes them: "
        "cross-correlation (the kernel is not flipped).",
        torch_api="torch.nn.functional.conv2d (float64)",
        inputs=(
            Param("x", ("h", "w"), None, "the input (one channel)"),
            Param("weight", ("kh", "kw"), None, "the kernel, applied as written"),
            Param("bias", (), 0.0, "added to every output"),
            STRIDE,
            PADDING,
            DILATION,
        ),
        outputs=(
            Output("y", ("oh", "ow"), "y[i][j] = Σ_ab x[s·i + d·a − p][s·j + d·b − p]·weight[a][b] + bias"),
        ),
        mistakes=(),
        topic="convolutions",
        compute=_conv2d,
    ),
    Reference(
        name="conv1x1",
        summary="A 1×1 convolution: at each pixel, the linear map y = W·x + b of the channels.",
        torch_api="torch.nn.functional.conv2d with a (C_out, C_in, 1, 1) kernel",
        inputs=(
            Param("x", ("c", "s"), None, "c channels at s pixels (a column per pixel)"),
            Param("weight", ("o", "c"), None, "the kernel, (C_out, C_in) without its 1×1"),
            Param("bias", ("o",), 0.0, "one per output channel"),
        ),
        outputs=(Output("y", ("o", "s"), "weight @ x, plus bias down each column"),),
        mistakes=(),
        topic="convolutions",
        compute=_conv1x1,
    ),
    Reference(
        name="activation_memory",
        summary="The memory of an (N, C, H, W) activation: numel·element_size bytes.",
        torch_api="torch.empty(N, C, H, W, dtype=..., device='meta'): numel(), nbytes",
        inputs=(
            Param("batch", (), None, "N"),
            Param("channels", (), None, "C"),
            Param("height", (), None, "H"),
            Param("width", (), None, "W"),
            Param(
                "element_size",
                (),
                4.0,
                "bytes per element: 4 (float32, torch's default dtype), 2 (float16), 8, 1",
            ),
        ),
        outputs=(
            Output("numel", (), "N·C·H·W"),
            Output("nbytes", (), "numel·element_size"),
            Output("mib", (), "nbytes / 2^20 (MiB)"),
        ),
        mistakes=(
            Mistake(
                "elements-as-bytes",
                "mib",
                "numel / 2 ^ 20",
                "Counted elements as bytes; each element takes element_size bytes (4 for float32).",
            ),
            Mistake(
                "decimal-megabytes",
                "mib",
                "nbytes / 10 ^ 6",
                "Divided by 10^6 (MB); a MiB is 2^20 = 1,048,576 bytes.",
            ),
        ),
        topic="convolutions",
        compute=_each_setting("activation_memory", _activation_memory),
    ),
)
