"""Progress on stderr, built in one place: rich bars on a terminal, one line per stage in a log.

Every long loop in vaelab reports through this module. On a terminal it draws a
transient rich bar (it disappears when the stage ends, so the output keeps only
results). When stderr is not a terminal (a log file, CI, a pipe) a bar would be noise,
so each stage prints one line when it ends instead: ``evaluate: IW NLL (K=5000): 12.3 s``.
``enabled=False`` silences both; :func:`quiet` silences everything inside it (the
command line's ``--no-progress``).

Two shapes of loop: :func:`bar` yields ``update(done)`` (the count done so far, with
optional figures), :func:`counter` yields ``advance(n)`` (what was just done: molecules
read, bytes received). :func:`stage` times a step that has no count.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

#: the columns of each kind of bar: "steps" (done/total, time left), "stats" (with a text field), "bytes"
#: (size and speed), "elapsed" (with a text field and the time so far: the training epochs), "rate"
#: (done/total, items per second, time left: images read)
KINDS = ("steps", "stats", "bytes", "elapsed", "rate")


#: a loop's bar is redrawn (and its figures read back from the device) at most this many times
REDRAWS = 50


def steps_per_redraw(total: int) -> int:
    """Redraw every this many steps, so a bar costs at most :data:`REDRAWS` synchronisations."""
    return max(1, int(total) // REDRAWS)


#: set by :func:`quiet`: every bar, counter, stage and say is silent (``--no-progress`` for the whole command)
_quiet = False


@contextmanager
def quiet(on: bool = True) -> Iterator[None]:
    """Within the block (when ``on``), every progress output is off, including that of stages no flag reaches."""
    global _quiet
    before, _quiet = _quiet, _quiet or on
    try:
        yield
    finally:
        _quiet = before


def interactive() -> bool:
    """True when stderr is a terminal (bars), False for logs (stage lines)."""
    return sys.stderr.isatty()


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _rate_column():
    """A rich column showing the items done per second (``1,234/s``)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "?/s")

    return RateColumn()


def make_progress(kind: str = "steps", console=None):
    """A transient rich ``Progress`` on stderr with the columns of ``kind`` (see :data:`KINDS`)."""
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn)

    columns = {"steps": (MofNCompleteColumn(), TimeRemainingColumn()),
               "rate": (MofNCompleteColumn(), _rate_column(), TimeRemainingColumn()),
               "stats": (MofNCompleteColumn(), TextColumn("{task.fields[stats]}"), TimeRemainingColumn()),
               "elapsed": (MofNCompleteColumn(), TextColumn("{task.fields[stats]}"), TimeElapsedColumn()),
               "bytes": (DownloadColumn(), TransferSpeedColumn())}[kind]
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), *columns,
                    console=console or stderr_console(), transient=True)


def say(text: str, enabled: bool = True) -> None:
    """One plain line on stderr (no markup, no wrapping), unless disabled."""
    if enabled and not _quiet:
        print(text, file=sys.stderr, flush=True)


@contextmanager
def stage(description: str, enabled: bool = True) -> Iterator[None]:
    """A stage without a bar: in a log, one line ``description: N s`` when it ends; nothing on a terminal."""
    t0 = time.perf_counter()
    yield
    if enabled and not _quiet and not interactive():
        say(f"{description}: {time.perf_counter() - t0:.1f} s")


@contextmanager
def bar(description: str, total: Optional[int], enabled: bool = True, kind: str = "steps",
        every: int = 1) -> Iterator[Callable[..., None]]:
    """Yields ``update(done, stats=None)``: a bar on a terminal, a line at the end in a log.

    ``stats`` is a string or a function returning one (called only when the bar is
    redrawn, so a loop can hand over figures that cost a device synchronisation); the
    bar is redrawn at most every ``every`` steps and at the last one. ``kind`` is
    "steps" or "stats" (a bar with the stats text).
    """
    if not enabled or _quiet:
        yield lambda done, stats=None: None
        return
    if not interactive():
        with stage(description):
            yield lambda done, stats=None: None
        return
    with make_progress("stats" if kind == "stats" else "steps") as progress:
        task = progress.add_task(description, total=total, stats="")

        def update(done: int, stats=None) -> None:
            if done % every == 0 or done == total:
                text = stats() if callable(stats) else (stats or "")
                progress.update(task, completed=done, stats=text)

        yield update


@contextmanager
def counter(description: str, total: Optional[int], enabled: bool = True,
            kind: str = "steps") -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)`` for ``n`` more done: a bar on a terminal, a line at the end in a log.

    ``kind="bytes"`` shows sizes and speed (downloads, files read), ``kind="rate"``
    the count and items per second (images read); ``total=None`` draws a bar without
    an end (a file of unknown size, a reader that does not count).
    """
    if not enabled or _quiet:
        yield lambda n: None
        return
    if not interactive():
        with stage(description):
            yield lambda n: None
        return
    with make_progress(kind if kind in ("bytes", "rate") else "steps") as progress:
        task = progress.add_task(description, total=total, stats="")
        yield lambda n: progress.advance(task, n)
