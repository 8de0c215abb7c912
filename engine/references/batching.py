"""A reference's inputs as one batch: each value met with its declared shape, defaults filled in.

A card's givens arrive as a batch (every value with the batch axis first: `validate`'s
200 instances, drawing's 64 probes) or as one instance; `run_reference`'s other callers
may pass either, input by input. Told which, a batch of scalars is never read as one
vector of n. A scalar for a vector or matrix input is broadcast over it, as the input's
default is and as torch broadcasts a 0-d tensor.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.references.registry import Arrays, Param, ReferenceInputError, Shape, format_shape

if TYPE_CHECKING:
    import numpy as np

    from engine.references.registry import Reference


def _item_shape(
    param: Param, value: np.ndarray, n: int, batched: bool | None
) -> tuple[bool, tuple[int, ...]]:
    """Whether `value` carries the batch axis, and the shape of one instance's value.

    `batched` says so when the caller knows (a card's inputs: all batched or none); None
    guesses from the shape, as `run_reference`'s callers may pass either: a leading axis
    of n on a value one rank above the input's is the batch. Told, the batch is never taken
    for a vector: 200 instances of a scalar are not one vector of 200.
    """
    rank = len(param.shape)
    if batched is None:
        batched = value.ndim == rank + 1 and value.shape[0] == n
    elif batched and (value.ndim == 0 or value.shape[0] != n):
        raise ReferenceInputError(f"input {param.name!r} has shape {value.shape}; expected a batch of {n}")
    return batched, value.shape[1:] if batched else value.shape


def _bind_item_shape(
    param: Param, item: tuple[int, ...], n: int | None, dims: dict[str, tuple[int, str]]
) -> None:
    """Check an item shape against the input's, binding symbolic sizes in `dims`.

    `dims` maps a symbolic size to its value and the input that fixed it, so that a
    mismatch can name both inputs. A scalar item (rank 0) fits any input: it is broadcast
    over the input's shape later (see `prepare_inputs`), and binds nothing here. `n` is
    None when the batch axis is known: a message then shows the item shape alone.
    """
    if not item and param.shape:
        return
    expected = format_shape(param.shape)
    if n is not None:
        expected += f" or {format_shape((n, *param.shape))}"
    if len(item) != len(param.shape):
        raise ReferenceInputError(f"input {param.name!r} has shape {item}; expected item shape {expected}")
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


def concrete_shape(shape: Shape, dims: Mapping[str, tuple[int, str]], what: str) -> tuple[int, ...]:
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
    ref: Reference, inputs: Mapping[str, Any], n: int, *, batched: bool | None = None
) -> tuple[Arrays, dict[str, tuple[int, str]]]:
    """Every input of `ref` as a float64 array of shape (n, *item), defaults filled in.

    Also returns the symbolic sizes as bound by the inputs. `batched`: whether every input
    has the batch axis first (True), none has (False), or each is guessed from its shape
    (None, see `_item_shape`). A scalar given for a vector or matrix input is broadcast
    over it, as the input's default is and as torch broadcasts a 0-d tensor; a size that
    no input then gives is 1, so that `bce` of one probability and one target is the loss
    of that prediction, which is what torch's binary_cross_entropy computes on 0-d tensors.
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
        has_batch, item = _item_shape(param, value, n, batched)
        _bind_item_shape(param, item, n if batched is None else None, dims)
        given[param.name] = (value, has_batch)
    for param in ref.inputs:  # sizes only scalars were given for: one element, as a 0-d tensor has
        for dim in param.shape:
            if isinstance(dim, str) and dim not in dims and param.name in given:
                dims[dim] = (1, param.name)
    arrays: Arrays = {}
    for param in ref.inputs:
        item = concrete_shape(param.shape, dims, f"input {param.name!r}")
        if param.name in given:
            value, has_batch = given[param.name]
        else:
            value, has_batch = np.asarray(param.default, dtype=np.float64), False
        # A batch of scalars for a vector input: each instance's scalar over its own item.
        value = value.reshape(value.shape + (1,) * (len(item) + 1 - value.ndim)) if has_batch else value[None]
        arrays[param.name] = np.array(np.broadcast_to(value, (n, *item)))
    return arrays, dims
