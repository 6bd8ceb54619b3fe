"""The common part of the trackers: a tracker that fails warns once and is switched off; training goes on.

A tracking server that goes away, a full disk under ``tb/`` or a refused value must not
cost a training run: ``metrics.jsonl`` and the checkpoints are the record, a tracker a
copy of it. Missing packages are refused before the run starts (:mod:`.build`), not here.
"""

from __future__ import annotations

import functools
import warnings


def guarded(method):
    """Run a tracker event; on an error warn once (naming the tracker and the error) and disable the tracker."""

    @functools.wraps(method)
    def wrapper(self, *args):
        if self.disabled:
            return None
        try:
            return method(self, *args)
        except Exception as err:  # noqa: BLE001 - any tracker failure: the run keeps going without it
            self.disabled = True
            first = str(err).splitlines()[0][:300] if str(err) else ""
            warnings.warn(f"train.loggers: {self.name} failed in {method.__name__} ({type(err).__name__}: {first}); "
                          "training goes on without it (metrics.jsonl is complete)", RuntimeWarning, stacklevel=2)
            return None

    return wrapper


class Tracker:
    """A training callback that sends the run to an experiment tracker (subclasses: TensorBoard, MLflow)."""

    #: the ``train.loggers`` name
    name = "tracker"

    def __init__(self):
        self.disabled = False
        self.run_dir = None
        self.cfg = None
