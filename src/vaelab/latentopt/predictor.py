"""A small MLP that predicts a property from a latent code, trained on the posterior means.

Gómez-Bombarelli et al. 2018 (sec. "Property prediction") train a property predictor
on the latent codes so that its gradient points the way to better molecules; here the
predictor is fitted after the autoencoder (the codes are fixed), which works for any run.
Inputs (centred, one scale) and targets (standardised) are scaled inside the module, so one learning rate fits every
property and code scale, and :meth:`PropertyPredictor.standardised` is unit-free for
the ascent's penalty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from vaelab.progress import bar as progress_bar
from vaelab.progress import steps_per_redraw

DEFAULTS = {"hidden": [64, 64], "epochs": 300, "batch_size": 256, "lr": 1e-3, "weight_decay": 1e-4,
            "valid_fraction": 0.1, "patience": 20, "seed": 0, "output": "linear"}
#: ``linear``: a real-valued property (squared error on standardised targets); ``sigmoid``: a 0/1
#: indicator (the ``label:K`` targets), predicted as a probability (cross-entropy). A bounded output
#: saturates where the data are confidently of class K, so the ascent stops there instead of
#: following a linear extrapolation out of the data.
OUTPUTS = ("linear", "sigmoid")


class PropertyPredictor(nn.Module):
    """z (N, d) -> property (N,): an MLP d -> 64 -> 64 -> 1 (SiLU) on centred, scaled codes."""

    def __init__(self, dim: int, hidden=(64, 64), output: str = "linear"):
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"predictor output must be one of {OUTPUTS}, got {output!r}")
        self.output = output
        sizes = [dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.SiLU()]  # smooth, so the gradient in z is smooth too
        self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], 1))
        for name in ("z_mean", "z_std"):
            self.register_buffer(name, torch.zeros(dim) if name == "z_mean" else torch.ones(dim))
        self.register_buffer("y_mean", torch.zeros(()))
        self.register_buffer("y_std", torch.ones(()))

    def set_scales(self, z: torch.Tensor, y: torch.Tensor) -> None:
        """Centre the codes and scale them by one number; standardise the targets.

        One scale for all dimensions (the root mean variance), not one per dimension: a
        collapsed dimension's posterior means barely vary, and dividing by their tiny
        spread would turn a step of 0.1 along it into tens of standard deviations, where
        the MLP extrapolates wildly and the ascent follows. With one scale the latent
        geometry is kept, and weight decay keeps the weights of constant inputs small.
        """
        self.z_mean.copy_(z.mean(0))
        self.z_std.fill_(float(z.var(0).mean().sqrt().clamp_min(1e-6)))
        self.y_mean.copy_(y.mean())
        self.y_std.copy_(y.std().clamp_min(1e-12))

    def raw(self, z: torch.Tensor) -> torch.Tensor:
        """The network's output: the standardised prediction (linear) or the logit (sigmoid): (N, d) -> (N,)."""
        return self.net((z - self.z_mean) / self.z_std).squeeze(-1)

    def standardised(self, z: torch.Tensor) -> torch.Tensor:
        """The prediction in standard deviations of the training targets: (N, d) -> (N,)."""
        if self.output == "linear":
            return self.raw(z)
        return (torch.sigmoid(self.raw(z)) - self.y_mean) / self.y_std

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The prediction in the property's own units (a probability for ``sigmoid``): (N, d) -> (N,)."""
        if self.output == "sigmoid":
            return torch.sigmoid(self.raw(z))
        return self.raw(z) * self.y_std + self.y_mean

    def loss(self, z: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Training loss against targets in the network's scale (standardised, or 0/1 for sigmoid): a scalar."""
        if self.output == "sigmoid":
            return nn.functional.binary_cross_entropy_with_logits(self.raw(z), target)
        return (self.raw(z) - target).pow(2).mean()


def r2_score(pred: torch.Tensor, y: torch.Tensor) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (NaN for fewer than 2 targets or constant ones)."""
    if y.numel() < 2:
        return float("nan")
    ss_tot = (y - y.mean()).pow(2).sum()
    if ss_tot <= 0:
        return float("nan")
    return float(1.0 - (pred - y).pow(2).sum() / ss_tot)


@dataclass
class FitReport:
    """How the fit went: epochs run, the epoch kept, and R² on the held-out part of train."""

    epochs: int
    best_epoch: int
    r2_valid: float
    n_fit: int
    n_valid: int
    history: list[float] = field(default_factory=list)  # held-out loss per epoch


def _holdout(n: int, fraction: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    perm = torch.randperm(n, generator=gen)  # (n,)
    n_valid = max(1, int(round(fraction * n))) if n >= 10 else 0
    return perm[n_valid:], perm[:n_valid]


@torch.no_grad()
def _held_out(model: PropertyPredictor, z: torch.Tensor, target: torch.Tensor) -> float:
    return float(model.loss(z, target))


def fit_predictor(z: torch.Tensor, y: torch.Tensor, options: dict | None = None,
                  progress: bool = False) -> tuple[PropertyPredictor, FitReport]:
    """Fit a :class:`PropertyPredictor` to codes z (N, d) and targets y (N,) with Adam and early stopping.

    A seeded ``valid_fraction`` of the rows is held out; training stops when its
    loss (squared error, or cross-entropy for ``output="sigmoid"``) has not improved
    for ``patience`` epochs, and the best epoch's weights are kept. Batches are slices
    of one permutation per epoch.
    """
    o = {**DEFAULTS, **(options or {})}
    gen = torch.Generator().manual_seed(int(o["seed"]))
    torch.manual_seed(int(o["seed"]))  # the layers' initialisation
    z, y = z.float(), y.float()
    fit_idx, valid_idx = _holdout(len(y), float(o["valid_fraction"]), gen)
    model = PropertyPredictor(z.shape[1], o["hidden"], o["output"]).to(z.device)
    model.set_scales(z[fit_idx], y[fit_idx])
    target = y if o["output"] == "sigmoid" else (y - model.y_mean) / model.y_std  # (N,)
    zf, yf, zv, yv = z[fit_idx], target[fit_idx], z[valid_idx], target[valid_idx]
    opt = torch.optim.AdamW(model.parameters(), lr=float(o["lr"]), weight_decay=float(o["weight_decay"]))
    best, best_epoch, best_state, history = float("inf"), 0, None, []
    bs, epoch = int(o["batch_size"]), 0
    with progress_bar("lso: property predictor", int(o["epochs"]), progress, kind="stats",
                      every=steps_per_redraw(int(o["epochs"]))) as bar:
        for epoch in range(1, int(o["epochs"]) + 1):
            perm = torch.randperm(len(yf), generator=gen).to(z.device)  # (n_fit,)
            model.train()
            for s in range(0, len(perm), bs):
                idx = perm[s : s + bs]
                loss = model.loss(zf[idx], yf[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            model.eval()
            score = _held_out(model, zv, yv) if len(yv) else _held_out(model, zf, yf)
            history.append(score)
            if score < best - 1e-6:
                best, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar(epoch, lambda: f"held-out loss {score:.3f} (best {best:.3f}, epoch {best_epoch})")
            if epoch - best_epoch >= int(o["patience"]):
                break
    model.load_state_dict(best_state)
    model.eval().requires_grad_(False)
    with torch.no_grad():
        r2 = r2_score(model(zv), y[valid_idx]) if len(yv) else float("nan")
    return model, FitReport(epoch, best_epoch, r2, len(fit_idx), len(valid_idx), history)
