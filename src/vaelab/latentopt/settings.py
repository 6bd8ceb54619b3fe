"""The settings of the two LSO tasks and their defaults, declared once.

:func:`vaelab.lso`, :func:`vaelab.latentopt.optimize_property`,
:func:`vaelab.latentopt.match_targets` and ``vaelab lso``'s options all take their
defaults from here. This module imports nothing heavy, so the CLI can read it for its
help text without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional, Union


@dataclass(frozen=True)
class PropertySettings:
    """Gradient ascent on a property predicted from the codes (Gómez-Bombarelli et al. 2018)."""

    starts: int = 10  # codes ascended at once
    start: str = "worst"  # worst / random test examples, or prior draws
    steps: int = 500  # Adam steps
    lr: float = 0.05  # Adam learning rate, in the units of the ascent's space
    penalty: float = 0.5  # lambda of the log-density penalty
    penalty_on: str = "codes"  # codes: a Gaussian fitted to the training codes; prior: N(0, I)
    max_norm: Union[float, str, None] = "auto"  # bound on the distance; auto: the training codes' largest
    box: bool = True  # penalty_on=prior: keep each coordinate within the training codes' range
    direction: Optional[str] = None  # maximize / minimize; None: maximize, except for SA


@dataclass(frozen=True)
class MatchSettings:
    """The NE-VAE paper's toy task: reproduce test images by optimising z with the decoder frozen (sec. 5.4)."""

    targets: int = 50  # test images (the paper: 50 Omniglot images)
    starts: int = 10  # random starts per target
    steps: int = 1000  # Adam steps
    lr: float = 0.05
    loss: str = "se"  # se: squared error of the decoded mean; nll: -log p(x|z)
    init: str = "sampler"  # starts from the model's sampler, or from q(z|x_target) ("posterior")
    tol: float = 0.01  # converged once the loss stays within tol of its total change


PROPERTY = PropertySettings()
MATCH = MatchSettings()


def defaults(settings) -> dict:
    """A settings object as a dict of name -> default."""
    return {f.name: getattr(settings, f.name) for f in fields(settings)}
