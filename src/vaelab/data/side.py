"""Per-example side inputs: the tensors besides x that a conditional model needs (labels, scores)."""

from __future__ import annotations

import torch

from vaelab.errors import DataError


def side_tensors(model, split, device) -> dict[str, torch.Tensor]:
    """The per-example side inputs ``model.side_inputs`` names, taken from a split (labels: ``y``)."""
    side = {}
    for name in model.side_inputs:
        value = getattr(split, name, None)
        if value is None and name == "y":
            raise DataError(f"model '{model.name}' needs labels, and this dataset has none; use a labelled "
                            "dataset (mnist5k, digits, mnist, synthetic, array with y), or condition on "
                            "k-means clusters with --set data.pseudo_labels=10")
        if value is None:
            raise DataError(f"model '{model.name}' needs per-example '{name}' values, and this dataset has none; "
                            f"give them with the array dataset (data.options.{name}_key)")
        side[name] = value.to(device)
    return side
