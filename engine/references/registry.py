"""The reference registry: what a reference declares, and how it is run on a batch.

A reference is a small, declared computation done by real torch code: its inputs and
outputs have names and item shapes, so the engine can ask for N instances at once and
check a learner's answers (or a deck's worked figures) against what torch computes.

Neither numpy nor torch is imported here at module level: listing the registry must stay
fast (it backs the CLI's listing and the docs), and only running a reference needs them.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import torch

    from engine.expr.ast import Node

Shape = tuple[int | str, ...]
"""An item shape: ints are fixed sizes, strings are symbolic sizes bound by the inputs."""

Arrays = dict[str, "np.ndarray"]
Compute = Callable[..., Arrays]
"""compute(arrays, device), or compute(arrays, device, function) when it takes a function."""

TOPICS = (
    "curvature",
    "optimizers",
    "activations",
    "normalization",
    "losses",
    "initialization",
    "regularization",
    "schedules",
    "dropout",
)
"""Topic names; each is also the module of this package that defines its references."""


class ReferenceInputError(ValueError):
    """Inputs that a reference cannot run on; the message names the input at fault.

    Not called ReferenceError so as not to shadow the builtin of that name.
    """


class UnknownReference(KeyError):
    """No reference has this name; the message suggests the closest names."""

    def __str__(self) -> str:
        # KeyError's str() is the repr of its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Param:
    """One input of a reference.

    `shape` is the shape of one instance's value. `default` is torch's default, broadcast
    over the item shape (booleans as 0.0/1.0); None means the input is required.
    """

    name: str
    shape: Shape = ()
    default: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class Output:
    """One output of a reference, with the shape of one instance's value."""

    name: str
    shape: Shape = ()
    doc: str = ""
    labels: tuple[str, ...] = ()  # a classification: the value is an index into these


@dataclass(frozen=True)
class FunctionInput:
    """A function a card writes as an expression, for the references that differentiate one.

    `variables` are its coordinates, in order (the point's entries); any other name in it
    is a coefficient, with one value per instance in `coefficients`.
    """

    node: Node
    variables: tuple[str, ...]
    coefficients: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Mistake:
    """A named wrong answer learners give, as a formula in the engine's expression language.

    The formula is written in the reference's input names and its (correct) output names,
    so the engine can evaluate it on the same batch and recognise the mistake.
    """

    name: str
    output: str
    formula: str
    explanation: str


@dataclass(frozen=True)
class Reference:
    """A computation done by torch, declared well enough to be run on a batch of instances."""

    name: str
    summary: str
    torch_api: str
    inputs: tuple[Param, ...]
    outputs: tuple[Output, ...]
    mistakes: tuple[Mistake, ...]
    topic: str
    compute: Compute
    takes_function: bool = False  # compute(arrays, device, function: FunctionInput)

    def input(self, name: str) -> Param:
        """The input called `name` (KeyError if there is none)."""
        for param in self.inputs:
            if param.name == name:
                return param
        raise KeyError(name)


@cache
def _registry() -> dict[str, Reference]:
    """Every reference by name, collected once from the topic modules."""
    references: dict[str, Reference] = {}
    for topic in TOPICS:
        module = importlib.import_module(f"{__package__}.{topic}")
        for reference in module.REFERENCES:
            if reference.name in references:
                raise RuntimeError(f"two references are called {reference.name!r}")
            if reference.topic != topic:
                raise RuntimeError(f"{reference.name!r} is defined in {topic}.py")
            references[reference.name] = reference
    return references


def all_references() -> list[Reference]:
    """All references, sorted by topic and then by name."""
    return sorted(_registry().values(), key=lambda ref: (ref.topic, ref.name))


def get_reference(name: str) -> Reference:
    """The reference called `name`; UnknownReference (a KeyError) suggests close names."""
    registry = _registry()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, registry, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownReference(f"no reference called {name!r}{hint}")


def resolve_device(device: str) -> torch.device:
    """The torch device for "cpu", "cuda" or "auto" (CUDA when torch can use it)."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ReferenceInputError(
            "device 'cuda' was asked for, but this torch cannot use CUDA "
            f"(torch {torch.__version__}); use device='cpu' or 'auto'"
        )
    if device not in ("cpu", "cuda"):
        raise ReferenceInputError(f"device must be 'cpu', 'cuda' or 'auto', not {device!r}")
    return torch.device(device)


def format_shape(shape: Shape) -> str:
    """A shape as written in messages and docs: () for a scalar, (n,) for a vector."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


def _bind_item_shape(param: Param, value: np.ndarray, n: int, dims: dict[str, tuple[int, str]]) -> bool:
    """Check `value` against the item shape, binding symbolic sizes in `dims`.

    Returns whether the value is batched (leading axis n). `dims` maps a symbolic size to
    its value and the input that fixed it, so that a mismatch can name both inputs.
    """
    rank = len(param.shape)
    expected = f"{format_shape(param.shape)} or {format_shape((n, *param.shape))}"
    if value.ndim == rank + 1 and value.shape[0] == n:
        batched, item = True, value.shape[1:]
    elif value.ndim == rank:
        batched, item = False, value.shape
    else:
        raise ReferenceInputError(
            f"input {param.name!r} has shape {value.shape}; expected item shape {expected}"
        )
    for dim, size in zip(param.shape, item, strict=True):
        if isinstance(dim, int):
            if size != dim:
                raise ReferenceInputError(f"input {param.name!r} has item shape {item}; expected {expected}")
        elif dim in dims and dims[dim][0] != size:
            bound, source = dims[dim]
            raise ReferenceInputError(
                f"input {param.name!r} has item shape {item}; expected "
                f"{format_shape(param.shape)} with {dim} = {bound} (as in {source!r})"
            )
        else:
            dims[dim] = (size, param.name)
    return batched


def _concrete_shape(shape: Shape, dims: Mapping[str, tuple[int, str]], what: str) -> tuple[int, ...]:
    """`shape` with its symbolic sizes replaced by their bound values."""
    sizes = []
    for dim in shape:
        if isinstance(dim, int):
            sizes.append(dim)
        elif dim in dims:
            sizes.append(dims[dim][0])
        else:
            raise ReferenceInputError(f"{what} has shape {format_shape(shape)}, but no input gives {dim}")
    return tuple(sizes)


def prepare_inputs(
    ref: Reference, inputs: Mapping[str, Any], n: int
) -> tuple[Arrays, dict[str, tuple[int, str]]]:
    """Every input of `ref` as a float64 array of shape (n, *item), defaults filled in.

    Also returns the symbolic sizes as bound by the inputs.
    """
    import numpy as np

    if n < 1:
        raise ReferenceInputError(f"n must be at least 1, not {n}")
    known = {param.name for param in ref.inputs}
    for name in inputs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ReferenceInputError(
                f"{ref.name} has no input {name!r}{hint} (inputs: {', '.join(sorted(known))})"
            )
    dims: dict[str, tuple[int, str]] = {}
    given: dict[str, tuple[np.ndarray, bool]] = {}
    for param in ref.inputs:
        if param.name not in inputs:
            if param.default is None:
                raise ReferenceInputError(
                    f"{ref.name} needs input {param.name!r} of item shape "
                    f"{format_shape(param.shape)} ({param.doc or 'no default'})"
                )
            continue
        try:
            value = np.asarray(inputs[param.name], dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ReferenceInputError(f"input {param.name!r} is not numeric: {error}") from None
        given[param.name] = (value, _bind_item_shape(param, value, n, dims))
    arrays: Arrays = {}
    for param in ref.inputs:
        item = _concrete_shape(param.shape, dims, f"input {param.name!r}")
        if param.name in given:
            value, batched = given[param.name]
        else:
            value, batched = np.asarray(param.default, dtype=np.float64), False
        target = (n, *item)
        arrays[param.name] = np.array(np.broadcast_to(value if batched else value[None], target))
    return arrays, dims


_TORCH_DEFAULTS = threading.RLock()
"""Held while a reference runs: torch's default dtype is one setting for every thread."""


@contextmanager
def _float64_default() -> Iterator[None]:
    """Make float64 torch's default dtype while a reference runs, one reference at a time.

    The inputs are float64 tensors already; this also makes the scalar state torch creates
    itself (an optimizer's step counter, NAdam's mu_product) float64 rather than float32.
    The default dtype is global to the process, not per thread, so two references running
    at once (a steps card's parts are checked in worker threads, beside the warm-up) could
    restore it under each other; the lock makes them take turns.
    """
    import torch

    with _TORCH_DEFAULTS:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            yield
        finally:
            torch.set_default_dtype(previous)


def run_reference(
    ref: Reference | str,
    inputs: Mapping[str, float | np.ndarray | Sequence[Any]],
    n: int = 1,
    device: str = "auto",
    function: FunctionInput | None = None,
) -> dict[str, np.ndarray]:
    """Run `ref` on n instances at once and return each output as float64 (n, *item).

    Each input is one item (shared by all instances) or an array of n items; missing
    inputs take torch's defaults. Everything is computed in float64 on `device`.
    """
    import numpy as np

    reference = get_reference(ref) if isinstance(ref, str) else ref
    arrays, dims = prepare_inputs(reference, inputs, n)
    torch_device = resolve_device(device)
    try:
        with _float64_default():
            if reference.takes_function:
                if function is None:
                    raise ReferenceInputError(
                        f"{reference.name} needs a function (function: ..., variables: [...])"
                    )
                raw = reference.compute(arrays, torch_device, function)
            else:
                raw = reference.compute(arrays, torch_device)
    except ValueError as error:
        if isinstance(error, ReferenceInputError):
            raise
        # torch validates hyperparameters itself ("Invalid learning rate: -1"); say so.
        raise ReferenceInputError(f"torch rejected the inputs of {reference.name}: {error}") from error
    outputs: dict[str, np.ndarray] = {}
    for out in reference.outputs:
        value = np.asarray(raw[out.name], dtype=np.float64)
        for dim, size in zip(out.shape, value.shape[1:], strict=False):
            if isinstance(dim, str) and dim not in dims:
                dims[dim] = (size, f"output {out.name}")
        expected = (n, *_concrete_shape(out.shape, dims, f"output {out.name!r}"))
        if value.shape != expected:
            raise RuntimeError(f"{reference.name} computed {out.name} of shape {value.shape}, not {expected}")
        outputs[out.name] = value
    return outputs


# Helpers shared by the topic modules -----------------------------------------------------


def to_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """A float64 tensor on `device` holding `array` (a copy, so torch may update it)."""
    import torch

    return torch.tensor(array, dtype=torch.float64, device=device)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A float64 numpy copy of `tensor`, brought back to the CPU."""
    import torch

    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy().copy()


def group_instances(arrays: Arrays, names: Sequence[str]) -> list[np.ndarray]:
    """Indices of the instances that share the values of the inputs `names`, group by group.

    torch takes hyperparameters as Python numbers per optimizer, module or call, so
    instances are grouped by them; the usual case (shared values) is a single group.
    """
    import numpy as np

    count = len(next(iter(arrays.values())))
    if not names:
        return [np.arange(count)]
    keys = np.concatenate([arrays[name].reshape(count, -1) for name in names], axis=1)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [np.flatnonzero(inverse == group) for group in range(int(inverse.max()) + 1)]


def per_group(
    arrays: Arrays,
    names: Sequence[str],
    run: Callable[[np.ndarray, dict[str, float]], Arrays],
) -> Arrays:
    """Run `run(idx, values)` for each group of instances sharing the inputs `names`.

    `values` holds the group's shared scalar inputs (vector inputs among `names` are
    shared too, and read from arrays); `run` returns its outputs for the instances idx
    (leading axis len(idx)), and they are put back in instance order.
    """
    import numpy as np

    count = len(next(iter(arrays.values())))
    scalar_names = [name for name in names if arrays[name].ndim == 1]
    outputs: Arrays = {}
    for idx in group_instances(arrays, names):
        for name, value in run(idx, scalars(arrays, int(idx[0]), scalar_names)).items():
            if name not in outputs:
                outputs[name] = np.empty((count, *value.shape[1:]))
            outputs[name][idx] = value
    return outputs


def scalars(arrays: Arrays, index: int, names: Sequence[str]) -> dict[str, float]:
    """The scalar inputs `names` of instance `index`, as Python floats for torch's APIs."""
    return {name: float(arrays[name][index]) for name in names}


def as_flag(value: float, name: str) -> bool:
    """A 0/1 input as a bool; anything else is an input error naming the input."""
    if value not in (0.0, 1.0):
        raise ReferenceInputError(f"input {name!r} is a flag and must be 0 or 1, not {value}")
    return value == 1.0


def class_indices(values: np.ndarray, classes: int, name: str = "target") -> np.ndarray:
    """Class-index inputs (given as floats) as int64, checked to be in range(classes)."""
    import numpy as np

    if not np.all((values == np.round(values)) & (values >= 0) & (values < classes)):
        raise ReferenceInputError(
            f"input {name!r} holds class indices and must be whole numbers in 0..{classes - 1}"
        )
    return values.astype(np.int64)


def as_count(value: float, name: str, minimum: int = 0) -> int:
    """An integer input (a step, a size, a class index) as an int, checked."""
    if value != int(value) or value < minimum:
        raise ReferenceInputError(f"input {name!r} must be an integer >= {minimum}, not {value}")
    return int(value)
