"""Steps that write into a run directory after training: the run's lock held, nothing of another run touched.

``evaluate``, ``plot``, ``sample`` and ``lso`` write into the run they work on
(diagnostics, figure data, figures, sampler fits, LSO results). Each holds the run's
lock (:func:`vaelab.rundir.lock.run_lock`, the one training holds) while it works, so a
second writer, training included, gets one line naming the first instead of mixing
files with it. Reading a run (``vaelab report``) takes no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from vaelab.rundir.layout import check_writable_in, require_run
from vaelab.rundir.lock import run_lock


@contextmanager
def writing(run, *targets) -> Iterator[None]:
    """Hold the lock of ``run`` (a Run or a run directory) while the block writes ``targets`` (files or folders).

    A folder that is not a run directory, and a target inside another run directory or
    among the files that training writes, are refused before the lock is taken
    (:func:`vaelab.rundir.layout.check_writable_in`).
    """
    root = require_run(getattr(run, "path", run)).root
    for target in targets:
        check_writable_in(root, target)
    with run_lock(root):
        yield
