"""Pure metric functions; :func:`evaluate_run` writes a run's ``diagnostics.json``."""

from vaelab.diagnostics.evaluate import evaluate_run
from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll

__all__ = ["elbo_terms_mean", "evaluate_run", "iw_nll"]
