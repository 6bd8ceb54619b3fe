"""Reusable loss terms and the :class:`LossOutput` record every model returns."""

from vaelab.objectives.iw import iw_bound, iw_log_weights
from vaelab.objectives.loss_output import LossOutput

__all__ = ["LossOutput", "iw_bound", "iw_log_weights"]
