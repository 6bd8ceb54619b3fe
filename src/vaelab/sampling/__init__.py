"""Samplers: draw latent codes for any trained run, from its prior or from a density fitted after training.

``SAMPLERS`` maps a name to a sampler class (:data:`~vaelab.sampling.catalogue.CATALOGUE` describes them):

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

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use (the catalogue imports nothing)
_NAMES = {"CATALOGUE": "catalogue", "SAMPLERS": "registry", "Sampler": "base", "parse_options": "base",
          "register_sampler": "base", "resolve_options": "base", "sampler_class": "base",
          "SamplerMismatch": "store", "fitted_sampler": "store", "sample_codes": "store", "sampler_folder": "store"}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
