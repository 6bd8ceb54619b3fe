"""Likelihood heads: the last decoder layer, mapping features h to p(x|z) over the data's event shape."""

from __future__ import annotations

import math

import torch
from torch import nn

from vaelab.distributions.base import Bernoulli, DiagonalGaussian


class _LikelihoodHead(nn.Module):
    """One linear layer to ``n_params`` values per data element, reshaped to the event shape."""

    n_params = 1

    def __init__(self, in_features: int, event_shape: tuple[int, ...]):
        super().__init__()
        self.event_shape = tuple(event_shape)
        self.n_out = math.prod(self.event_shape)
        self.linear = nn.Linear(in_features, self.n_params * self.n_out)

    def _split(self, h: torch.Tensor) -> list[torch.Tensor]:
        out = self.linear(h)  # (B, n_params * D)
        lead = out.shape[:-1]
        return [p.reshape(*lead, *self.event_shape) for p in out.chunk(self.n_params, dim=-1)]


class BernoulliHead(_LikelihoodHead):
    """p(x|z) = prod_i Bernoulli(x_i; sigmoid(logit_i)), for binary data (Bettencourt & Craddock, sec. 2.3.2)."""

    def forward(self, h: torch.Tensor) -> Bernoulli:
        (logits,) = self._split(h)
        return Bernoulli(logits, event_ndim=len(self.event_shape))


class GaussianHead(_LikelihoodHead):
    """p(x|z) = N(mu, diag(exp(logvar))), mu = sigmoid(.) and logvar = tanh(.) (Bettencourt & Craddock, sec. 2.3.1).

    ``mean_activation="identity"`` drops the sigmoid for data that is not in [0, 1];
    ``logvar_bound`` scales the tanh, so the log-variance lies in [-bound, bound].
    """

    n_params = 2

    def __init__(self, in_features, event_shape, mean_activation: str = "sigmoid", logvar_bound: float = 1.0):
        super().__init__(in_features, event_shape)
        self.mean_activation = mean_activation
        self.logvar_bound = float(logvar_bound)

    def forward(self, h: torch.Tensor) -> DiagonalGaussian:
        a, b = self._split(h)
        mean = torch.sigmoid(a) if self.mean_activation == "sigmoid" else a
        return DiagonalGaussian(mean, self.logvar_bound * torch.tanh(b), event_ndim=len(self.event_shape))


class FixedGaussianHead(_LikelihoodHead):
    """p(x|z) = N(mu, sigma^2 I) with a fixed sigma: -log p is a scaled squared error."""

    def __init__(self, in_features, event_shape, mean_activation: str = "sigmoid", std: float = 1.0):
        super().__init__(in_features, event_shape)
        self.mean_activation = mean_activation
        self.register_buffer("logvar", torch.tensor(2.0 * math.log(std)), persistent=False)

    def forward(self, h: torch.Tensor) -> DiagonalGaussian:
        (a,) = self._split(h)
        mean = torch.sigmoid(a) if self.mean_activation == "sigmoid" else a
        return DiagonalGaussian(mean, self.logvar.expand_as(mean), event_ndim=len(self.event_shape))


LIKELIHOODS = {
    "bernoulli": "independent Bernoulli (binary data)",
    "gaussian": "diagonal Gaussian, mean sigmoid (or identity), log-variance bounded by tanh",
    "gaussian-fixed": "Gaussian with a fixed standard deviation (squared error)",
    "pixelcnn": "gated PixelCNN over binary pixels, conditioned on z (autoregressive; a strong decoder)",
    "categorical": "token data: a categorical per position up to eos, from a GRU (autoregressive) or "
                   "fully connected decoder (model.seq_decoder)",
}


def build_likelihood_head(kind: str, in_features: int, event_shape, mean_activation="sigmoid",
                          logvar_bound=1.0, std=1.0) -> nn.Module:
    if kind == "bernoulli":
        return BernoulliHead(in_features, event_shape)
    if kind == "gaussian":
        return GaussianHead(in_features, event_shape, mean_activation, logvar_bound)
    if kind == "gaussian-fixed":
        return FixedGaussianHead(in_features, event_shape, mean_activation, std)
    raise ValueError(f"unknown likelihood {kind!r}; choose one of {sorted(LIKELIHOODS)}")
