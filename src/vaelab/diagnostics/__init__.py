"""Pure metric functions; :func:`evaluate_run` writes a run's ``diagnostics.json``."""

from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.evaluate import evaluate_run
from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll
from vaelab.diagnostics.mutual_info import mutual_information, posterior_stats

__all__ = ["active_units", "elbo_terms_mean", "evaluate_run", "iw_nll", "mutual_information", "posterior_stats"]
