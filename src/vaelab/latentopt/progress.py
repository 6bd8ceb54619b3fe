"""A transient rich progress bar for the optimisation loops, cheap enough to call every step."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

#: the bar is redrawn (and its figures read back from the device) at most this many times
UPDATES = 50


@contextmanager
def step_bar(enabled: bool, description: str, total: int) -> Iterator[Callable[[int, Callable[[], str]], None]]:
    """Yields ``update(done, stats)``; ``stats()`` is called only when the bar is redrawn.

    Reading a figure off the device forces a synchronisation, so the loop hands a
    function rather than a string, and the bar asks for it about :data:`UPDATES` times.
    """
    if not enabled:
        yield lambda done, stats: None
        return
    every = max(1, total // UPDATES)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total, stats="")

        def update(done: int, stats: Callable[[], str]) -> None:
            if done % every == 0 or done == total:
                bar.update(task, completed=done, stats=stats())

        yield update
