"""A batch of instances on the torch device: moved there once, taken group by group, brought back once.

A reference is run on a batch (`engine.references.registry.run_reference`), and torch is
called once per group of instances that share their hyperparameters. Copying each
group's rows to the device and its results back would cost a transfer per group and per
input; on a GPU that is most of the time. So the inputs go to the device whole
(`DeviceBatch`), each group takes its rows there (`rows`: an index_select, a new tensor
that torch may update in place), and the outputs are gathered there (`DeviceOutputs`)
and come back to numpy in one copy each. On the CPU the same code costs nothing more
than indexing numpy arrays would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.references.registry import Arrays, to_numpy, to_tensor

if TYPE_CHECKING:
    import numpy as np
    import torch


class DeviceBatch:
    """The inputs `arrays` (batch axis first) on `device`, each moved there once, when first asked for."""

    def __init__(self, arrays: Arrays, device: torch.device) -> None:
        self.arrays = arrays
        self.device = device
        self.count = len(next(iter(arrays.values())))
        self._tensors: dict[str, torch.Tensor] = {}

    def whole(self, name: str) -> torch.Tensor:
        """Input `name` for every instance, on the device (shared: do not update it)."""
        if name not in self._tensors:
            self._tensors[name] = to_tensor(self.arrays[name], self.device)
        return self._tensors[name]

    def rows(self, name: str, idx: np.ndarray) -> torch.Tensor:
        """Input `name` of the instances `idx`, as a new tensor on the device (torch may update it)."""
        whole = self.whole(name)
        if len(idx) == self.count:  # one group: every instance, in order
            return whole.clone()
        return whole.index_select(0, device_index(idx, self.device))


class DeviceOutputs:
    """Outputs gathered on the device group by group (`put`), then brought back once (`numpy`)."""

    def __init__(self, count: int, device: torch.device) -> None:
        self.count = count
        self.device = device
        self._tensors: dict[str, torch.Tensor] = {}

    def put(self, name: str, idx: np.ndarray, value: torch.Tensor) -> None:
        """Output `name` of the instances `idx`; a 0-d value is the whole group's (NAdam's mu_product)."""
        import torch

        value = value.detach().to(device=self.device, dtype=torch.float64)
        if value.ndim == 0:
            value = value.expand(len(idx))
        if name not in self._tensors:
            shape = (self.count, *value.shape[1:])
            self._tensors[name] = torch.empty(shape, dtype=torch.float64, device=self.device)
        if len(idx) == self.count:
            self._tensors[name].copy_(value)
        else:
            self._tensors[name].index_copy_(0, device_index(idx, self.device), value)

    def __contains__(self, name: str) -> bool:
        return name in self._tensors

    def numpy(self) -> Arrays:
        """Every output as float64 numpy arrays (count, *item), one copy back from the device each."""
        return {name: to_numpy(tensor) for name, tensor in self._tensors.items()}


def device_index(idx: np.ndarray, device: torch.device) -> torch.Tensor:
    """Instance indices as an int64 tensor on `device`, for index_select and index_copy_."""
    import torch

    return torch.as_tensor(idx, dtype=torch.int64, device=device)
