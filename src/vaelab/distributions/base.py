"""Light-weight diagonal distributions with a batch shape and an event shape.

``torch.distributions`` validates and broadcasts on every call; these classes do only
the arithmetic the objectives need, so the training step stays a short chain of
fused-friendly tensor ops. Every ``log_prob`` sums over the event dimensions and
returns a tensor of the batch shape (nats).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2.0 * math.pi)


def _sum_event(t: torch.Tensor, event_ndim: int) -> torch.Tensor:
    """Sum the last ``event_ndim`` dimensions: (*batch, *event) -> (*batch,)."""
    if event_ndim == 0:
        return t
    return t.sum(dim=tuple(range(-event_ndim, 0)))


class Distribution:
    """Interface shared by posteriors, likelihoods and priors."""

    event_ndim: int

    @property
    def mean(self) -> torch.Tensor:
        raise NotImplementedError

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        with torch.no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "Distribution":
        """The same distribution with its batch dimensions reshaped."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> torch.Size:
        return self.mean.shape[: self.mean.dim() - self.event_ndim]

    @property
    def event_shape(self) -> torch.Size:
        return self.mean.shape[self.mean.dim() - self.event_ndim :]


class DiagonalGaussian(Distribution):
    """N(mean, diag(exp(logvar))), parameterised by the log-variance."""

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor, event_ndim: int = 1):
        self.loc = mean
        self.logvar = logvar
        self.event_ndim = event_ndim

    @property
    def mean(self) -> torch.Tensor:
        return self.loc

    @property
    def stddev(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    @property
    def variance(self) -> torch.Tensor:
        return torch.exp(self.logvar)

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Reparameterised draw z = mean + std * eps (Kingma & Welling 2013, eq. 10)."""
        shape = tuple(sample_shape) + tuple(self.loc.shape)
        eps = torch.randn(shape, dtype=self.loc.dtype, device=self.loc.device)  # (*S, *B, *E)
        return self.loc + torch.exp(0.5 * self.logvar) * eps

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        sq = (value - self.loc) ** 2 * torch.exp(-self.logvar)  # (*S, *B, *E)
        return _sum_event(-0.5 * (LOG_2PI + self.logvar + sq), self.event_ndim)

    def entropy(self) -> torch.Tensor:
        return _sum_event(0.5 * (LOG_2PI + 1.0 + self.logvar), self.event_ndim)

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "DiagonalGaussian":
        shape = tuple(batch_shape) + tuple(self.event_shape)
        return DiagonalGaussian(self.loc.reshape(shape), self.logvar.reshape(shape), self.event_ndim)


class Bernoulli(Distribution):
    """Independent Bernoulli variables parameterised by logits."""

    def __init__(self, logits: torch.Tensor, event_ndim: int = 1):
        self.logits = logits
        self.event_ndim = event_ndim

    @property
    def mean(self) -> torch.Tensor:
        return torch.sigmoid(self.logits)

    @property
    def probs(self) -> torch.Tensor:
        return self.mean

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        raise NotImplementedError("a Bernoulli has no reparameterised sample; use sample()")

    def sample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        probs = self.mean.expand(tuple(sample_shape) + tuple(self.logits.shape))
        return torch.bernoulli(probs)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """sum_i x_i log y_i + (1 - x_i) log(1 - y_i), y = sigmoid(logits) (Bettencourt & Craddock, sec. 2.3.2)."""
        target = value.expand_as(self.logits) if value.shape != self.logits.shape else value
        nll = F.binary_cross_entropy_with_logits(self.logits, target, reduction="none")  # (*B, *E)
        return -_sum_event(nll, self.event_ndim)

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "Bernoulli":
        return Bernoulli(self.logits.reshape(tuple(batch_shape) + tuple(self.event_shape)), self.event_ndim)


class PointMass(Distribution):
    """A deterministic code: all mass at ``value`` (used by deterministic autoencoders)."""

    def __init__(self, value: torch.Tensor, event_ndim: int = 1):
        self.value = value
        self.event_ndim = event_ndim

    @property
    def mean(self) -> torch.Tensor:
        return self.value

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        return self.value.expand(tuple(sample_shape) + tuple(self.value.shape))

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("a point mass has no density; this model is deterministic")

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "PointMass":
        return PointMass(self.value.reshape(tuple(batch_shape) + tuple(self.event_shape)), self.event_ndim)
