"""vaelab.progress: a bar on a terminal, one line per stage in a log, nothing with --no-progress."""

import io
import re

import pytest
from rich.console import Console

import vaelab.progress as progress

LINE = re.compile(r"^(.*): (\d+\.\d) s$")


def _stage_lines(err: str) -> list[str]:
    """The descriptions of the stage lines in ``err``."""
    return [m.group(1) for m in map(LINE.match, err.splitlines()) if m]


def test_in_a_log_each_stage_prints_one_line_when_it_ends(capsys):
    assert not progress.interactive()  # pytest captures stderr: a log, not a terminal
    with progress.bar("evaluate: IW NLL (K=10)", 3) as update:
        for done in range(1, 4):
            update(done, stats=lambda: pytest.fail("a log never reads the stats"))
    with progress.counter("downloading x.gz", None, kind="bytes") as advance:
        advance(100)
    with progress.stage("plot: drawing 1 figure(s)"):
        pass
    err = capsys.readouterr().err
    assert _stage_lines(err) == ["evaluate: IW NLL (K=10)", "downloading x.gz", "plot: drawing 1 figure(s)"]
    assert len(err.splitlines()) == 3


def test_no_progress_prints_nothing(capsys, monkeypatch):
    for terminal in (False, True):
        monkeypatch.setattr(progress, "interactive", lambda: terminal)
        with progress.bar("a", 2, enabled=False) as update:
            update(2)
        with progress.counter("b", 2, enabled=False) as advance:
            advance(2)
        with progress.stage("c", enabled=False):
            pass
        progress.say("d", enabled=False)
    assert capsys.readouterr().err == ""


def _terminal(monkeypatch) -> io.StringIO:
    """Make stderr a terminal whose screen is the returned buffer."""
    screen = io.StringIO()
    monkeypatch.setattr(progress, "interactive", lambda: True)
    monkeypatch.setattr(progress, "stderr_console",
                        lambda: Console(file=screen, force_terminal=True, width=100, color_system=None))
    return screen


def test_on_a_terminal_a_bar_counts_and_no_stage_line_is_printed(monkeypatch, capsys):
    screen = _terminal(monkeypatch)
    with progress.counter("building smiles: train: canonical SMILES", 7) as advance:
        for n in (4, 3):
            advance(n)
    drawn = screen.getvalue()
    assert "building smiles: train: canonical SMILES" in drawn and "7/7" in drawn
    read = []  # the steps at which the stats were read (each read may cost a device synchronisation)
    with progress.bar("lso: ascent", 12, kind="stats", every=5) as update:
        for done in range(1, 13):
            update(done, stats=lambda done=done: read.append(done) or f"best {done}")
    drawn = screen.getvalue()
    assert "12/12" in drawn and "best 12" in drawn
    assert read == [5, 10, 12]  # every 5 steps and at the last one
    assert capsys.readouterr().err == ""


def test_steps_per_redraw_bounds_the_redraws():
    assert progress.steps_per_redraw(10) == 1
    assert progress.steps_per_redraw(5000) == 5000 // progress.REDRAWS


def test_a_rate_counter_shows_items_per_second_on_a_terminal(monkeypatch, capsys):
    screen = _terminal(monkeypatch)
    with progress.counter("images: reading 5 images", 5, kind="rate") as advance:
        for _ in range(5):
            advance(1)
    drawn = screen.getvalue()
    assert "images: reading 5 images" in drawn and "5/5" in drawn and re.search(r"[\d,?]+/s", drawn), drawn
    assert capsys.readouterr().err == ""
