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
from contextvars import ContextVar
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
    "backprop",
    "convolutions",
    "transformers",
    "positional",
    "precision",
    "derivations",
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


def prepare_inputs(
    ref: Reference, inputs: Mapping[str, Any], n: int, *, batched: bool | None = None
) -> tuple[Arrays, dict[str, tuple[int, str]]]:
    """Every input of `ref` as a float64 array of shape (n, *item), defaults filled in (see
    `engine.references.batching.prepare_inputs`, where inputs meet their shapes)."""
    from engine.references import batching

    return batching.prepare_inputs(ref, inputs, n, batched=batched)


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

    The reference also runs on one CPU thread: its tensors are a few numbers per instance,
    which threads only slow down (on a busy machine, nll_loss with reduction='none' waits
    milliseconds per call for its idle threads to wake).
    """
    import torch

    with _TORCH_DEFAULTS:
        previous, threads = torch.get_default_dtype(), torch.get_num_threads()
        torch.set_default_dtype(torch.float64)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_default_dtype(previous)
            torch.set_num_threads(threads)


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

    from engine.references.batching import concrete_shape

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
        expected = (n, *concrete_shape(out.shape, dims, f"output {out.name!r}"))
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
    instances are grouped by them; the usual case (shared values) is a single group. The
    groups are found by sorting, never by comparing each group with every instance: where
    every instance differs there are as many groups as instances. Inside
    `recording_groupings`, `names` is recorded.
    """
    import numpy as np

    recorder = _GROUPINGS.get()
    if recorder is not None:
        recorder.append(tuple(names))
    count = len(next(iter(arrays.values())))
    if not names:
        return [np.arange(count)]
    keys = np.concatenate([arrays[name].reshape(count, -1) for name in names], axis=1)
    order = np.lexsort(keys.T[::-1])  # stable: each group's instances in instance order
    ordered = keys[order]
    apart = (ordered[1:] != ordered[:-1]) & ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    return np.split(order, np.flatnonzero(apart.any(axis=1)) + 1)


_GROUPINGS: ContextVar[list[tuple[str, ...]] | None] = ContextVar("groupings", default=None)


@contextmanager
def recording_groupings() -> Iterator[list[tuple[str, ...]]]:
    """The inputs that references run inside group their instances by (`group_instances`), one
    tuple per grouping: the inputs torch takes as Python numbers, whose every distinct value
    costs a torch call (an optimizer, a scheduler, a loss call) of its own."""
    found: list[tuple[str, ...]] = []
    token = _GROUPINGS.set(found)
    try:
        yield found
    finally:
        _GROUPINGS.reset(token)


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


def constant_per_group(
    names: Sequence[str] | None, outputs_of: Callable[[dict[str, float], torch.device], Mapping[str, float]]
) -> Compute:
    """A compute for outputs that depend on scalar inputs only (sizes, settings, counts).

    `outputs_of(values, device)` runs once per group of instances sharing the inputs `names`
    (all of them when None), and each number it returns is spread over its group.
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import numpy as np

        def run(idx: np.ndarray, values: dict[str, float]) -> Arrays:
            return {name: np.full(len(idx), value) for name, value in outputs_of(values, device).items()}

        return per_group(arrays, list(arrays) if names is None else names, run)

    return compute


def parameter_count(module: torch.nn.Module) -> int:
    """The parameters of a real module (built on the meta device: no memory), each counted
    once: `parameters()` skips a tied weight's repeat."""
    return sum(parameter.numel() for parameter in module.parameters())


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
