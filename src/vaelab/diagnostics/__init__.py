"""Pure metric functions, one concern per file (:func:`vaelab.pipeline.evaluate_run` runs them on a run)."""

from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.bubbles import posterior_bubbles
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll
from vaelab.diagnostics.mutual_info import mutual_information, posterior_stats
from vaelab.diagnostics.reencode import reencode_error

__all__ = ["active_units", "elbo_terms_mean", "frechet_distance", "iw_nll",
           "mutual_information", "posterior_bubbles", "posterior_stats", "reencode_error"]
