"""Samplers: draw latent codes for any trained run, from its prior or from a density fitted after training.

``SAMPLERS`` maps a name to a sampler class:

* ``prior``: z ~ p(z) = N(0, I) (VAE-family models; deterministic autoencoders have none);
* ``gaussian``: one full-covariance Gaussian fitted to the training codes (Ghosh et al. 2020, sec. 4);
* ``gmm``: a 10-component Gaussian mixture fitted to them (Ghosh et al. 2020, sec. 4);
* ``two-stage``: a second VAE trained on them (Dai & Wipf 2019, sec. 4).

The codes are the posterior means of the run's training split. A fitted sampler is
saved in ``RUN_DIR/samplers/<name>/`` (``sampler.json`` + ``params.safetensors``, no
pickle) and reused while the options and checkpoint match::

    from vaelab.sampling import fitted_sampler, sample_images
    z = fitted_sampler(run, "gmm").sample(64, seed=0)       # (64, d) codes on the run's device
    x = sample_images(run, z)                               # (64, *event_shape) likelihood means
    write_samples(run, "gmm", 64, seed=0)                   # RUN_DIR/samples/gmm-64-seed0.{npz,png}
"""

from vaelab.sampling.base import (SAMPLERS, Sampler, parse_options, register_sampler, resolve_options,
                                  sampler_class)
from vaelab.sampling import prior as _prior  # noqa: F401  (registration order: prior, gaussian, gmm, two-stage)
from vaelab.sampling import gaussian as _gaussian  # noqa: F401
from vaelab.sampling import gmm as _gmm  # noqa: F401
from vaelab.sampling import two_stage as _two_stage  # noqa: F401
from vaelab.sampling.codes import encode_codes, sample_images
from vaelab.sampling.files import SampleResult, load_samples, write_samples
from vaelab.sampling.store import SamplerMismatch, fitted_sampler, sample_codes, sampler_dir

__all__ = ["SAMPLERS", "SampleResult", "Sampler", "SamplerMismatch", "encode_codes", "fitted_sampler", "load_samples",
           "parse_options", "register_sampler", "resolve_options", "sample_codes", "sample_images", "sampler_class",
           "sampler_dir", "write_samples"]
