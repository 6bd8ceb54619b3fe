"""Callbacks: what a training run tells the outside world besides ``metrics.jsonl``.

A callback is any object with some of these methods; the trainer calls the ones it
has, in this order:

- ``on_start(cfg, run_dir, start_epoch)``: once, after the run directory and config.yaml
  exist (``start_epoch`` > 0 on a resumed run).
- ``on_step(step, terms)``: every ``train.log_every`` steps and at each epoch's last
  step; ``step`` counts optimisation steps from the run's start (resumes included) and
  ``terms`` maps the step's loss terms (``loss``, ``rec``, ``kl``, extras) to floats.
- ``on_epoch(record)``: once per epoch, with the record just written to ``metrics.jsonl``.
- ``on_end(summary)``: once, with the ``summary.json`` contents (also after a divergence
  or an interrupt, whose status says so).

Experiment trackers (TensorBoard, MLflow) and Ray Tune's per-epoch report are callbacks.
``metrics.jsonl`` stays the built-in record and does not depend on any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

#: the events of a run, in the order the trainer sends them
EVENTS = ("on_start", "on_step", "on_epoch", "on_end")


class Callbacks:
    """Dispatches each event to every callback that handles it."""

    def __init__(self, callbacks: Iterable[Any] = ()):
        self.callbacks = list(callbacks)

    def __bool__(self) -> bool:
        return bool(self.callbacks)

    def _send(self, event: str, *args) -> None:
        for cb in self.callbacks:
            method = getattr(cb, event, None)
            if method is not None:
                method(*args)

    def on_start(self, cfg, run_dir: Path, start_epoch: int) -> None:
        self._send("on_start", cfg, Path(run_dir), start_epoch)

    def on_step(self, step: int, terms: dict[str, float]) -> None:
        self._send("on_step", step, terms)

    def on_epoch(self, record: dict) -> None:
        self._send("on_epoch", record)

    def on_end(self, summary: dict) -> None:
        self._send("on_end", summary)
