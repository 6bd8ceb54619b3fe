"""Distributions exchanged between parts: posteriors q(z|x), likelihoods p(x|z), priors p(z).

Encoders return a posterior, decoders a likelihood; objectives only call
``log_prob``, ``rsample`` and :func:`kl_divergence`, so heads can be swapped without
touching a loss.
"""

from vaelab.distributions.base import (
    Bernoulli,
    DiagonalGaussian,
    Distribution,
    PointMass,
)
from vaelab.distributions.kl import kl_divergence
from vaelab.distributions.likelihood import (
    LIKELIHOODS,
    BernoulliHead,
    FixedGaussianHead,
    GaussianHead,
    build_likelihood_head,
)
from vaelab.distributions.posterior import (
    POSTERIORS,
    BoundedGaussianHead,
    DeterministicHead,
    GaussianPosteriorHead,
    build_posterior_head,
)
from vaelab.distributions.prior import StandardNormalPrior
from vaelab.distributions.sequence import (
    AutoregressiveTokens,
    CategoricalSequenceHead,
    GRUSequenceHead,
    TokenCategorical,
    TokenDistribution,
)

__all__ = [
    "AutoregressiveTokens",
    "Bernoulli",
    "BernoulliHead",
    "BoundedGaussianHead",
    "CategoricalSequenceHead",
    "DeterministicHead",
    "DiagonalGaussian",
    "Distribution",
    "FixedGaussianHead",
    "GaussianHead",
    "GaussianPosteriorHead",
    "GRUSequenceHead",
    "LIKELIHOODS",
    "POSTERIORS",
    "PointMass",
    "StandardNormalPrior",
    "TokenCategorical",
    "TokenDistribution",
    "build_likelihood_head",
    "build_posterior_head",
    "kl_divergence",
]
