"""The codes an ex-post density is fitted to, and decoding sampled codes back to data space."""

from __future__ import annotations

import torch


@torch.no_grad()
def encode_codes(run, split: str = "train", batch_size: int = 1000) -> torch.Tensor:
    """Posterior means E_q[z|x] of a split, encoded in batches: (N, d) float32 on the CPU.

    Ghosh et al. 2020 (sec. 4) fit their ex-post densities to the training codes;
    conditional models get each example's side inputs (labels, scores) alongside it.
    The result is kept on the run object (its weights do not change once loaded), so the
    samplers fitted in one evaluation (N column, GMM, ...) encode the split once.
    """
    x, side = run.eval_data(split), run.eval_side(split)  # (N, *event), {name: (N, ...)}
    cache = run.__dict__.setdefault("_encoded_codes", {})
    key = (split, int(x.shape[0]))
    if key not in cache:
        run.model.eval()
        means = [run.model.encode(x[s : s + batch_size], **{k: v[s : s + batch_size] for k, v in side.items()}).mean
                 for s in range(0, x.shape[0], batch_size)]
        cache[key] = torch.cat([m.float().cpu() for m in means]) if means else torch.empty(0, run.model.latent_dim)
    return cache[key]


@torch.no_grad()
def sample_images(run, z: torch.Tensor, side: dict | None = None, batch_size: int = 1000) -> torch.Tensor:
    """The likelihood means E[p(x|z)] of codes z (n, d), in batches: (n, *event_shape) on the run's device.

    Conditional models decode with ``side`` inputs; by default the labels cycle
    0, 1, 2, ... (:func:`vaelab.views.prior_side`), as in the ``samples`` figure.
    """
    from vaelab.views import decode_mean, prior_side

    z = z.to(run.device, torch.float32)
    side = prior_side(run, z.shape[0]) if side is None else side
    return decode_mean(run.model, z, batch_size=batch_size, side=side)
