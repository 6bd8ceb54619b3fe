"""The optimisation behind the match task: Adam on codes against target images, decoder frozen.

NE-VAE paper, sec. 5.4: "For every model, we freeze the parameter of their decoder, and
treat the latent code as the parameter for optimization. [z was] initialized with random
value [...]. We use squared error between the ground truth and the decode result as the
loss, and an Adam optimizer was used [...]. We stop the optimization when the change in
loss is smaller than a threshold." It then compares models by the iterations to converge
and by "the squared Euclidean distance between codes converged to after different
initialization": a latent space without spurious local minima sends every start to the
same code, fast.

Here T test images times S starts are one (T*S, d) tensor moved by one Adam optimiser
(per-element moments, so the rows are independent runs). The whole loss curve of every
row is kept, so the convergence step (:func:`vaelab.latentopt.convergence.converged_step`) and
the paper's stopping rule at several thresholds are read off one run.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from vaelab.errors import ConfigError
from vaelab.progress import bar as progress_bar
from vaelab.progress import steps_per_redraw
from vaelab.views.codes import sampled_codes

LOSSES = {"se": "squared error between the target and the decoded mean, summed over the image (the paper's)",
          "nll": "-log p(x_target | z), the model's own reconstruction term"}
INITS = {"sampler": "draws from the model's sampler (the prior N(0, I) for VAEs; the paper's random starts)",
         "posterior": "draws from the encoder's q(z | x_target) (the paper's 'produced by the encoder')"}


@dataclass
class MatchRun:
    """The raw outcome of :func:`optimise_codes`, on the CPU."""

    loss: torch.Tensor  # (steps + 1, P) loss of every row at every step (step 0 = the start)
    z0: torch.Tensor  # (P, d) the starts
    z: torch.Tensor  # (P, d) the codes after the last step
    stop_step: torch.Tensor  # (H, P) the stopping rule's step per threshold (steps where it never fired)
    stop_z: torch.Tensor  # (H, P, d) the codes at that step


@contextmanager
def frozen(model: torch.nn.Module):
    """The model in eval mode with no parameter gradients; both restored on exit."""
    flags = [p.requires_grad for p in model.parameters()]
    was_training = model.training
    model.eval().requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)
        model.train(was_training)


def match_loss(p, x: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-row loss of decoding to ``x`` (P, *event) under the likelihood ``p``: (P,).

    ``se``: ||E[x|z] - x||² summed over the event; an autoregressive likelihood's mean
    has no gradient, so its teacher-forced reconstruction given x stands in.
    ``nll``: -log p(x|z).
    """
    if kind == "nll":
        return -p.log_prob(x)
    recon = p.reconstruction(x) if hasattr(p, "reconstruction") else p.mean  # (P, *event)
    return (recon - x).pow(2).reshape(x.shape[0], -1).sum(-1)


def _stop_update(loss: torch.Tensor, prev: torch.Tensor, z: torch.Tensor, t: int, thresholds: torch.Tensor,
                 stop_step: torch.Tensor, stop_z: torch.Tensor, never: int) -> None:
    """Record, per threshold, the first step whose relative loss change falls below it (in place)."""
    change = (loss - prev).abs() / prev.abs().clamp_min(1e-12)  # (P,)
    fire = (stop_step == never) & (change.unsqueeze(0) < thresholds.unsqueeze(1))  # (H, P)
    stop_step.masked_fill_(fire, t)
    stop_z.copy_(torch.where(fire.unsqueeze(-1), z.unsqueeze(0), stop_z))  # (H, P, d)


def optimise_codes(model, x: torch.Tensor, z0: torch.Tensor, side: dict, *, steps: int, lr: float, loss: str,
                   thresholds: tuple[float, ...], progress: bool = False) -> MatchRun:
    """Adam on z (P, d) from ``z0`` to minimise :func:`match_loss` against ``x`` (P, *event), decoder frozen."""
    p_rows, d = z0.shape
    z = z0.detach().clone().float().requires_grad_(True)  # (P, d)
    opt = torch.optim.Adam([z], lr=lr)
    losses = torch.empty(steps + 1, p_rows, device=z.device)  # (steps + 1, P)
    th = torch.as_tensor(thresholds, dtype=torch.float32, device=z.device)  # (H,)
    stop_step = torch.full((len(th), p_rows), steps, dtype=torch.long, device=z.device)  # (H, P)
    stop_z = torch.empty(len(th), p_rows, d, device=z.device)  # (H, P, d)
    with frozen(model), progress_bar("lso: matching targets", steps, progress, kind="stats",
                                     every=steps_per_redraw(steps)) as bar:
        for t in range(steps + 1):
            value = match_loss(model.decode(z, **side), x, loss)  # (P,)
            losses[t] = value.detach()
            if t > 0:
                _stop_update(losses[t], losses[t - 1], z.detach(), t, th, stop_step, stop_z, steps)
            if t == steps:
                break
            opt.zero_grad(set_to_none=True)
            value.sum().backward(inputs=[z])
            opt.step()
            bar(t + 1, lambda: f"mean loss {losses[t].mean().item():.2f}")
        final = z.detach()
        stop_z.copy_(torch.where((stop_step == steps).unsqueeze(-1), final.unsqueeze(0), stop_z))
    return MatchRun(losses.cpu(), z0.detach().float().cpu(), final.cpu(), stop_step.cpu(), stop_z.cpu())


def pick_targets(run, n: int, seed: int) -> torch.Tensor:
    """``n`` test rows in a seeded random order: (T,) int64, the same rows for every run on a dataset.

    Not sorted: test splits may be stored sorted by label, and the figure shows the first rows.
    """
    total = len(run.data.test)
    if total == 0:
        raise ConfigError("the test split is empty; match mode takes its targets from the test split")
    gen = torch.Generator().manual_seed(seed)
    return torch.randperm(total, generator=gen)[: min(n, total)]


def starting_codes(run, x: torch.Tensor, side: dict, starts: int, init: str, seed: int) -> torch.Tensor:
    """S starting codes per target: (T, S, d) on the run's device."""
    t, d = x.shape[0], run.model.latent_dim
    if init == "sampler":
        return sampled_codes(run, run.model.n_sampler, t * starts, seed=seed).float().reshape(t, starts, d)
    if init != "posterior":
        raise ConfigError(f"unknown init '{init}'; choose {', '.join(INITS)}")
    with torch.no_grad():
        q = run.model.encode(x, **side)
    gen = torch.Generator(device=run.device).manual_seed(seed)
    eps = torch.randn(t, starts, d, generator=gen, device=run.device)  # (T, S, d)
    std = q.stddev if hasattr(q, "stddev") else torch.zeros_like(q.mean)  # (T, d); 0 for a deterministic encoder
    return q.mean.unsqueeze(1) + std.unsqueeze(1) * eps
