"""The trainer's progress: a bar on a terminal only, the epoch lines on a terminal and in a log."""

import io

from rich.console import Console

import vaelab.training.progress as training_progress
from vaelab.training.progress import ProgressReporter


def _epoch(reporter: ProgressReporter) -> None:
    with reporter:
        reporter.start_epoch(0, steps=4)
        reporter.update(4, {"loss": 1.25, "AU": 3})
        reporter.log("epoch   1  (the summary line)")


def test_on_a_terminal_a_bar_with_the_figures_and_the_line(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(training_progress, "interactive", lambda: True)
    _epoch(ProgressReporter(True, total_epochs=2,
                            console=Console(file=screen, force_terminal=True, width=120, color_system=None)))
    drawn = screen.getvalue()
    assert "epoch 1/2" in drawn and "4/4" in drawn and "loss 1.25  AU 3" in drawn
    assert "epoch   1  (the summary line)\n" in drawn


def test_in_a_log_only_the_line(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(training_progress, "interactive", lambda: False)
    _epoch(ProgressReporter(True, total_epochs=2, console=Console(file=log, width=120)))
    assert log.getvalue() == "epoch   1  (the summary line)\n"


def test_disabled_nothing(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(training_progress, "interactive", lambda: True)
    _epoch(ProgressReporter(False, total_epochs=2, console=Console(file=screen, force_terminal=True)))
    assert screen.getvalue() == ""
