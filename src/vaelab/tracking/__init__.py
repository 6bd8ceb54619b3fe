"""Experiment trackers: TensorBoard and MLflow as training callbacks (``train.loggers``).

``metrics.jsonl`` stays the built-in record; these send the same numbers elsewhere.
Each tracker is a callback of :mod:`vaelab.training.callbacks`; :func:`check_loggers`
refuses a missing package before the run directory is made and :func:`make_loggers`
builds the configured ones (``train_run`` does both). ``RUN_DIR/tracking.json`` says
where a run was tracked, so a resumed run continues the same MLflow run and TensorBoard
steps, and ``vaelab plot`` / ``vaelab report`` attach what they write
(:func:`attach_files`). Sweeps: :func:`mlflow_sweep_parent` makes the trials children
of one MLflow run. The tracking libraries are imported only when a tracker is used.
See docs/tracking.md.
"""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use
_NAMES = {
    "LOGGERS": "build",
    "check_loggers": "build",
    "make_loggers": "build",
    "attach_files": "attach",
    "PARENT_ENV": "sweep",
    "mlflow_sweep_parent": "sweep",
    "start_sweep_parent": "sweep",
    "end_sweep_parent": "sweep",
}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
