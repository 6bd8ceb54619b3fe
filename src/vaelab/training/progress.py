"""The trainer's progress: a bar over each epoch's steps on a terminal, and its summary lines.

The summary lines (about 20 a run) are printed on a terminal and in a log alike; the
bar only on a terminal (in a log a bar would be noise: :mod:`vaelab.progress`).
"""

from __future__ import annotations

from vaelab.progress import interactive, make_progress, stderr_console


class ProgressReporter:
    """Shows loss, reconstruction and KL as training runs (a bar on a terminal); silent when disabled."""

    def __init__(self, enabled: bool, total_epochs: int, console=None):
        self.enabled = enabled
        self.total_epochs = total_epochs
        self.console = console or stderr_console()
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled and interactive():
            self._progress = make_progress("elapsed", self.console)
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False

    def start_epoch(self, epoch: int, steps: int) -> None:
        if self._progress is None:
            return
        desc = f"epoch {epoch + 1}/{self.total_epochs}"
        if self._task is None:
            self._task = self._progress.add_task(desc, total=steps, stats="")
        else:
            self._progress.reset(self._task, total=steps, description=desc, stats="")

    def update(self, done: int, stats: dict[str, float]) -> None:
        if self._progress is not None:
            text = "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in stats.items())
            self._progress.update(self._task, completed=done, stats=text)

    def log(self, text: str) -> None:
        if self.enabled:
            self.console.print(text, highlight=False, soft_wrap=True)
