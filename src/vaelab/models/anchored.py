"""Anchored latents (after the latent-anchoring post on a 2-D MNIST VAE): a per-example score shifts the KL target, so chosen inputs land in chosen regions."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from vaelab.models.options import VariantOptions
from vaelab.models.registry import register_model
from vaelab.models.vae import VAE
from vaelab.objectives.elbo import elbo_terms


def ring_mask(h: int, w: int, inner: float = 0.35, outer: float = 0.8) -> torch.Tensor:
    """A ring ("donut") archetype: 1 where inner <= r <= outer, r the distance from the centre in half-sizes."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    r = torch.sqrt(yy**2 + xx**2)
    return ((r >= inner) & (r <= outer)).float()  # (h, w)


def bar_mask(h: int, w: int, half_width: float = 0.15, half_height: float = 0.8) -> torch.Tensor:
    """A vertical bar archetype (a "1"): a centred column of the given half-width and half-height."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    return ((xx.abs() <= half_width) & (yy.abs() <= half_height)).float()  # (h, w)


def donutness(x: torch.Tensor) -> torch.Tensor:
    """s(x) = (overlap with the ring - overlap with the bar) / total ink, per image: (B,).

    ``x`` is (B, [C,] H, W) in [0, 1]; the masks are drawn for its size, so any image size works.
    """
    h, w = x.shape[-2:]
    img = x.reshape(x.shape[0], -1, h, w).sum(1)  # (B, H, W), channels summed
    ring, bar = ring_mask(h, w).to(x), bar_mask(h, w).to(x)
    ink = img.sum((1, 2)).clamp_min(1e-6)  # (B,)
    return ((img * ring).sum((1, 2)) - (img * bar).sum((1, 2))) / ink


class AnchoredOptions(VariantOptions):
    anchor_rate: float = Field(1.0, allow_inf_nan=False, description="a: the KL target's mean is shifted by -a * s(x)")
    score: Literal["auto", "donut", "labels", "given"] = Field(
        "auto", description="s(x): donut = the donutness of an image, labels = +1 / -1 / 0 by label, given = "
                            "per-example scores from the data; auto = donut for images, labels otherwise")
    positive_labels: list[int] = Field(default_factory=lambda: [0], description="score=labels: labels scored +1")
    negative_labels: list[int] = Field(default_factory=lambda: [1], description="score=labels: labels scored -1")


@register_model("anchored-vae", "anchored latents: KL target mean shifted by -a*s(x); s = donutness (images), labels "
                "or given scores",
                "latent anchoring: a CVAE-like loss term placing chosen inputs in chosen regions of a 2-D latent "
                "space", options=AnchoredOptions)
class AnchoredVAE(VAE):
    """KL(N(mu + a s(x), sigma^2) || N(0, I)): minimised at mu = -a s(x), so high scores go negative.

    ``score="donut"``: the built-in donutness of an image; ``"labels"``: +1 for
    ``positive_labels``, -1 for ``negative_labels``, 0 otherwise; ``"auto"`` (default):
    donut for images, labels otherwise; ``"given"``: per-example scores from the data
    (the array dataset's ``score_key`` array).
    """

    @property
    def score_kind(self) -> str:
        """``auto``: donutness for image data, labels otherwise."""
        if self.options.score != "auto":
            return self.options.score
        return "donut" if len(self.likelihood_head.event_shape) >= 2 else "labels"

    @property
    def side_inputs(self) -> tuple[str, ...]:
        return {"labels": ("y",), "given": ("score",)}.get(self.score_kind, ())

    def score(self, x: torch.Tensor, y: torch.Tensor | None = None, score: torch.Tensor | None = None) -> torch.Tensor:
        if self.score_kind == "given":
            return score.float()  # (B,), from the data (array dataset, data.options.score_key)
        if self.score_kind == "donut":
            if x.dim() < 3:
                raise ValueError("donutness needs image data (B, [C,] H, W); use model.options.score=labels")
            return donutness(x)  # (B,)
        pos = torch.isin(y, torch.tensor(self.options.positive_labels, device=y.device))
        neg = torch.isin(y, torch.tensor(self.options.negative_labels, device=y.device))
        return pos.float() - neg.float()  # (B,)

    def objective(self, x, beta, **side):
        """loss = mean(rec + beta * KL_anchored); ``kl`` stays the true KL to the prior, so -ELBO means what it says."""
        out = elbo_terms(self, x, beta, keep=True, **side)
        q = out.extras.pop("posterior")
        out.extras.pop("z"), out.extras.pop("likelihood")
        s = self.score(x, side.get("y"), side.get("score"))  # (B,)
        shifted = q.loc + self.options.anchor_rate * s[:, None]  # (B, d)
        anchored = 0.5 * (shifted * shifted + torch.exp(q.logvar) - 1.0 - q.logvar).sum(-1)  # (B,)
        out.loss = (out.rec + beta * anchored).mean()
        out.extras["anchored_kl"] = anchored
        return out
