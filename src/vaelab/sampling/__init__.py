"""Samplers: draw latent codes for any trained run, from its prior or from a density fitted after training.

``SAMPLERS`` maps a name to a sampler class:

* ``prior``: z ~ p(z) = N(0, I) (VAE-family models; deterministic autoencoders have none);
* ``gaussian``: one full-covariance Gaussian fitted to the training codes (Ghosh et al. 2020, sec. 4);
* ``gmm``: a 10-component Gaussian mixture fitted to them (Ghosh et al. 2020, sec. 4);
* ``two-stage``: a second VAE trained on them (Dai & Wipf 2019, sec. 4).

The codes are the posterior means of the run's training split. A fitted sampler is
saved in ``RUN_DIR/samplers/<name>/`` (``sampler.json`` + ``params.safetensors``, no
pickle) and reused while the options and checkpoint match::

    from vaelab.sampling import fitted_sampler
    z = fitted_sampler(run, "gmm").sample(64, seed=0)       # (64, d) codes on the run's device
    x = run.decode_means(z)                                 # (64, *event_shape) likelihood means
    vaelab.sample(run, 64, "gmm", seed=0)                   # RUN_DIR/samples/gmm-64-seed0.{npz,png}
"""

from vaelab.sampling.base import SAMPLERS, Sampler, parse_options, register_sampler, resolve_options, sampler_class

# isort: off  (the samplers register in this order: prior, gaussian, gmm, two-stage; the CLI lists them so)
from vaelab.sampling import prior as _prior  # noqa: F401, E402
from vaelab.sampling import gaussian as _gaussian  # noqa: F401, E402
from vaelab.sampling import gmm as _gmm  # noqa: F401, E402
from vaelab.sampling import two_stage as _two_stage  # noqa: F401, E402
# isort: on
from vaelab.sampling.store import SamplerMismatch, fitted_sampler, sample_codes, sampler_folder

__all__ = ["SAMPLERS", "Sampler", "SamplerMismatch", "fitted_sampler", "parse_options", "register_sampler",
           "resolve_options", "sample_codes", "sampler_class", "sampler_folder"]
