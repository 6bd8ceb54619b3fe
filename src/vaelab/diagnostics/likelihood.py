"""Bounds on log p(x): the ELBO and its terms, and the importance-weighted NLL."""

from __future__ import annotations

import math

import torch

from vaelab.diagnostics.iw_fast import DEFAULT_KERNEL, IWKernel
from vaelab.nn.batching import take
from vaelab.objectives import iw_bound


@torch.no_grad()
def elbo_terms_mean(model, x: torch.Tensor, batch_size: int = 1000, side: dict | None = None) -> dict[str, float]:
    """Mean -ELBO, reconstruction, KL and the model's own loss (beta = 1) over ``x``, in nats per example.

    ``loss`` is the variant's objective (e.g. -ELBO plus NE-VAE's re-encoding term, or
    the anchored KL); for the plain VAE it equals ``neg_elbo``.

    ``side`` holds per-example side inputs (labels for conditional models), sliced alongside x.
    """
    side = side or {}
    totals = torch.zeros(3, device=x.device, dtype=torch.float64)
    for start in range(0, x.shape[0], batch_size):
        sl = slice(start, start + batch_size)
        out = model(x[sl], beta=1.0, **take(side, sl))
        b = out.rec.shape[0]
        totals += torch.stack((out.rec.sum(), out.kl.sum(), out.loss * b)).double()
    rec, kl, loss = (totals / x.shape[0]).tolist()  # one host sync
    return {"neg_elbo": rec + kl, "rec": rec, "kl": kl, "loss": loss}


DEFAULT_CHUNK_BUDGET = 2**21  # floats per IW chunk


def _sample_chunk(model, batch: int, k: int, budget: int) -> int:
    """Samples per chunk so that chunk * batch * (data size + widest layer) stays under ``budget`` floats.

    A divisor of k is preferred (down to half the largest chunk that fits), so that every
    chunk has the same shape: the compiled fast path then needs one graph.
    """
    head = model.likelihood_head
    width = getattr(head, "work_width", head.n_out * getattr(head, "n_params", 1))
    width += max((m.out_features for m in model.decoder.modules() if hasattr(m, "out_features")), default=0)
    largest = max(1, min(k, budget // max(1, batch * width)))
    return next((c for c in range(largest, (largest + 1) // 2 - 1, -1) if k % c == 0), largest)


def decoder_flops(model) -> int:
    """Flops of the decoder's and likelihood head's linear layers per latent sample (2 * in * out each)."""
    mods = list(model.decoder.modules()) + list(model.likelihood_head.modules())
    return sum(2 * m.in_features * m.out_features for m in mods if isinstance(m, torch.nn.Linear))


@torch.no_grad()
def iw_nll(model, x: torch.Tensor, k: int = 5000, batch_size: int = 100,
           budget: int | None = None, progress=None, side: dict | None = None,
           kernel: IWKernel | None = None) -> dict[str, float]:
    """-log p(x) estimated by -L_k (Burda et al. 2015, sec. 5: k = 5000), batched and chunked over samples.

    Every example gets k samples, drawn ``chunk`` at a time for ``batch_size`` examples at
    once (vectorised over samples and examples; no Python loop per example). ``budget``
    bounds the floats held per chunk; by default 2**21 (8 MB chunks stay in the allocator's
    heap and in the CPU's caches), or the likelihood head's ``iw_budget`` where it sets one.
    Where the model allows it, ``kernel`` (default :data:`~vaelab.diagnostics.iw_fast.DEFAULT_KERNEL`)
    computes the bound on its fast path; with ``kernel.compile=None`` that path is compiled
    when the whole job is large (at least ``kernel.compile_min_flops`` decoder flops).
    ``progress(n_done)`` is called after each batch.

    Returns the mean and the standard error across examples, in nats, and the number of
    samples per example (``iw_samples``).
    """
    side = side or {}
    n = x.shape[0]
    batch = min(batch_size, n)
    if budget is None:
        budget = getattr(model.likelihood_head, "iw_budget", DEFAULT_CHUNK_BUDGET)
    chunk = _sample_chunk(model, batch, k, budget)
    kernel = DEFAULT_KERNEL if kernel is None else kernel
    compile = kernel.compile
    if compile is None:
        compile = decoder_flops(model) * k * n >= kernel.compile_min_flops
    parts = []
    for s in range(0, n, batch_size):
        sl = slice(s, s + batch_size)
        xb = x[sl]
        # a short last batch runs eagerly rather than compiling a second graph for its shape
        parts.append(-iw_bound(model, xb, k, chunk=chunk, kernel=kernel, compile=compile and xb.shape[0] == batch,
                               **take(side, sl)))  # (b,)
        if progress is not None:
            progress(min(s + batch_size, n))
    nll = torch.cat(parts).double()  # (N,)
    se = float(nll.std() / math.sqrt(nll.numel())) if nll.numel() > 1 else 0.0
    return {"iw_nll": float(nll.mean()), "iw_nll_se": se, "iw_samples": k}
