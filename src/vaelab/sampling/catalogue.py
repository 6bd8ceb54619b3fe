"""The samplers by name: what each is, where it comes from, and the module that implements it.

The one list of samplers, in the order they are shown. It imports nothing, so the
command line can describe the samplers without loading torch; the classes take their
description and source from here (:func:`vaelab.sampling.base.register_sampler`).
"""

from __future__ import annotations

from typing import NamedTuple


class SamplerInfo(NamedTuple):
    module: str  # the module of vaelab.sampling that registers the class
    description: str
    source: str


_GHOSH = "Ghosh et al. 2020, 'From variational to deterministic autoencoders', sec. 4"

CATALOGUE: dict[str, SamplerInfo] = {
    "prior": SamplerInfo("prior", "the model's prior p(z) = N(0, I) (VAE-family models only)",
                         "Kingma & Welling 2013, 'Auto-encoding variational Bayes'"),
    "gaussian": SamplerInfo("gaussian", "one full-covariance Gaussian fitted to the training codes",
                            f"{_GHOSH} (Table 1, N)"),
    "gmm": SamplerInfo("gmm", "a Gaussian mixture (10 full-covariance components) fitted to the training codes",
                       f"{_GHOSH} (Table 1, GMM)"),
    "two-stage": SamplerInfo("two_stage", "a second VAE trained on the standardised training codes, decoding "
                             "u ~ N(0, I)", "Dai & Wipf 2019, 'Diagnosing and enhancing VAE models', sec. 4"),
}
