"""``train.loggers: [tensorboard]``: the run as TensorBoard event files in ``RUN_DIR/tb/``.

One step axis for everything: the global optimisation step the trainer counts (resumes
included). Per-step terms (``step/loss``, ...) at their step; each epoch's numeric
record fields (``train/loss``, ``valid/neg_elbo``, ``beta``, ``lr``, ``epoch``, ...)
and the histogram of the per-dimension KL (``valid/kl_per_dim``) at the epoch's last
step; the config as text at the start; the figures as images at the end (the training
curves, drawn from ``metrics.jsonl``, and every PNG in ``plots/``).

A resumed run writes a new event file in the same folder that starts with a purge at
the first step after its checkpoint (``SummaryWriter(purge_step=...)``): whatever the
killed run wrote after that checkpoint is dropped by TensorBoard's reader, so no step
appears twice. The steps per epoch that this needs are kept in ``tracking.json``.
"""

from __future__ import annotations

from vaelab.config import config_to_dict
from vaelab.rundir.layout import TENSORBOARD, RunLayout
from vaelab.tracking.base import Tracker, guarded
from vaelab.tracking.figures import end_figures, png_to_array
from vaelab.tracking.names import KL_HISTOGRAM, config_text, epoch_scalars, kl_per_dim, step_scalars
from vaelab.tracking.state import section, update_section

NAME = "tensorboard"


def require() -> None:
    """Import what this tracker needs; ImportError when the ``tensorboard`` package is missing."""
    import tensorboard  # noqa: F401 - torch's writer needs it, and says so less clearly
    from torch.utils.tensorboard import SummaryWriter  # noqa: F401


def open_writer(logdir, purge_step: int | None = None):
    """A ``SummaryWriter`` on ``logdir`` (events flushed every 30 s and at each epoch)."""
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(logdir), purge_step=purge_step, flush_secs=30)


def purge_step(run_dir, start_epoch: int) -> int | None:
    """Where a new session's events start: step 0 for a run (re)started from scratch over old events, the first
    step after the checkpoint for a resumed one, None when there is nothing to purge or it cannot be known."""
    logdir = RunLayout(run_dir).tensorboard
    if not logdir.is_dir() or not any(logdir.iterdir()):
        return None
    if start_epoch == 0:
        return 0
    steps = section(run_dir, NAME).get("steps_per_epoch")
    return start_epoch * int(steps) + 1 if steps else None


class TensorBoardTracker(Tracker):
    """Writes the run's scalars, KL histograms, config and figures to ``RUN_DIR/tb/``."""

    name = NAME

    def __init__(self):
        super().__init__()
        self.writer = None
        self.last_step = 0
        self.steps_per_epoch = None

    @guarded
    def on_start(self, cfg, run_dir, start_epoch: int) -> None:
        self.run_dir = run_dir
        purge = purge_step(run_dir, start_epoch)
        self.steps_per_epoch = section(run_dir, NAME).get("steps_per_epoch")
        self.last_step = start_epoch * (self.steps_per_epoch or 0)
        self.writer = open_writer(RunLayout(run_dir).tensorboard, purge)
        update_section(run_dir, NAME, logdir=TENSORBOARD)
        self.writer.add_text("config", config_text(config_to_dict(cfg)), self.last_step)

    @guarded
    def on_step(self, step: int, terms: dict) -> None:
        self.last_step = step
        for tag, value in step_scalars(terms).items():
            self.writer.add_scalar(tag, value, step)

    @guarded
    def on_epoch(self, record: dict) -> None:
        step = self.last_step  # the epoch's last step: the trainer always reports it before the record
        epoch = int(record.get("epoch", 0))
        if self.steps_per_epoch is None and epoch > 0 and step > 0:
            self.steps_per_epoch = step // epoch
            update_section(self.run_dir, NAME, steps_per_epoch=self.steps_per_epoch)
        for tag, value in epoch_scalars(record).items():
            self.writer.add_scalar(tag, value, step)
        kl = kl_per_dim(record)
        if kl is not None:
            import numpy as np

            self.writer.add_histogram(KL_HISTOGRAM, np.asarray(kl), step)
        self.writer.flush()

    @guarded
    def on_end(self, summary: dict) -> None:
        try:
            for name, png in end_figures(self.run_dir).items():
                self.writer.add_image(f"figures/{name}", png_to_array(png), self.last_step, dataformats="HWC")
        finally:
            self.writer.close()


def add_figures(run_dir, pngs) -> list[str]:
    """Append the PNG files ``pngs`` to the run's TensorBoard folder as images (at the run's last step);
    the names added. For ``vaelab plot`` on a run trained with ``tensorboard``."""
    from vaelab.fileio import read_jsonl

    info = section(run_dir, NAME)
    metrics = RunLayout(run_dir).metrics
    records = read_jsonl(metrics) if metrics.is_file() else []
    step = int(records[-1].get("epoch", 0)) * int(info.get("steps_per_epoch") or 0) if records else 0
    writer = open_writer(RunLayout(run_dir).tensorboard)
    try:
        for path in pngs:
            writer.add_image(f"figures/{path.stem}", png_to_array(path.read_bytes()), step, dataformats="HWC")
    finally:
        writer.close()
    return [p.stem for p in pngs]
