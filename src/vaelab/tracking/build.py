"""``train.loggers`` -> tracker callbacks: the names, the package check, the construction.

:func:`check_loggers` runs before the run directory is made, so a missing optional
package costs nothing: one line (``ConfigError``, exit 2) naming the extra to install.
:func:`make_loggers` only builds the objects; they open their files and runs in
``on_start``.
"""

from __future__ import annotations

from vaelab.errors import ConfigError
from vaelab.tracking import mlflow as mlflow_tracker
from vaelab.tracking import tensorboard as tensorboard_tracker

#: ``train.loggers`` name -> (module with ``require()``, the tracker class, pip package of the message)
LOGGERS = {
    "tensorboard": (tensorboard_tracker, tensorboard_tracker.TensorBoardTracker, "tensorboard"),
    "mlflow": (mlflow_tracker, mlflow_tracker.MlflowTracker, "mlflow"),
}


def wanted(cfg) -> list[str]:
    """The configured logger names, each once, in the order given."""
    return list(dict.fromkeys(cfg.train.loggers or []))


def check_loggers(cfg) -> None:
    """ConfigError, one line, when a configured tracker's package cannot be imported."""
    for name in wanted(cfg):
        module, _, extra = LOGGERS[name]
        try:
            module.require()
        except ImportError as err:
            missing = (getattr(err, "name", None) or extra).split(".")[0]  # the package to install, not a submodule
            raise ConfigError(f"train.loggers: {name} needs the {missing} package: "
                              f"pip install 'vaelab[{extra}]'") from None


def make_loggers(cfg) -> list:
    """One tracker callback per configured logger (checked first: :func:`check_loggers`)."""
    check_loggers(cfg)
    return [LOGGERS[name][1]() for name in wanted(cfg)]
