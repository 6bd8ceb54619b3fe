"""Evaluating a network over a large tensor in batches, with per-example side inputs sliced alongside.

Side inputs are the per-example tensors a conditional model takes besides x (labels
``y``, scores): every batched loop in vaelab slices them with :func:`take` and runs the
batches through :func:`batches`, so the slicing is written once.
"""

from __future__ import annotations

from typing import Callable, Iterator

import torch


def take(side: dict | None, index) -> dict:
    """The rows ``index`` (a slice or an index tensor) of every side input: {name: (b, ...)}."""
    return {k: v[index] for k, v in (side or {}).items()}


def batches(fn: Callable, x: torch.Tensor, side: dict | None = None, batch_size: int = 1000,
            rows: torch.Tensor | None = None) -> Iterator:
    """``fn(x[b], **side[b])`` for consecutive batches b of x (or of its ``rows``), in order."""
    n = x.shape[0] if rows is None else rows.shape[0]
    for start in range(0, n, batch_size):
        index = slice(start, start + batch_size) if rows is None else rows[start : start + batch_size]
        yield fn(x[index], **take(side, index))


def batch_minimum(model: torch.nn.Module) -> tuple[int, str]:
    """(examples a training batch needs, why) for ``model``: 1 unless a part computes statistics over the batch.

    Batch norm needs two examples to normalise; other modules state their need with the
    class attributes ``min_batch_size`` and ``min_batch_reason`` (the WAE's MMD, BN-VAE's head).
    """
    need, why = 1, ""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m_need, m_why = 2, "batch norm normalises over the batch"
        else:
            m_need, m_why = getattr(m, "min_batch_size", 1), getattr(m, "min_batch_reason", "")
        if m_need > need:
            need, why = m_need, m_why
    return need, why
