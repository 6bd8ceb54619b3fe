"""Pure metric functions, one concern per file; :func:`evaluate_run` writes a run's ``diagnostics.json``."""

from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.bubbles import posterior_bubbles
from vaelab.diagnostics.evaluate import DEFAULT_IW_SAMPLES, evaluate_run
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll
from vaelab.diagnostics.mutual_info import mutual_information, posterior_stats
from vaelab.diagnostics.reencode import reencode_error

__all__ = ["DEFAULT_IW_SAMPLES", "active_units", "elbo_terms_mean", "evaluate_run", "frechet_distance", "iw_nll",
           "mutual_information", "posterior_bubbles", "posterior_stats", "reencode_error"]
