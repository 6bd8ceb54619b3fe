"""Files written after training, added to the run's trackers: ``vaelab plot``'s figures, ``vaelab report``'s page.

A run trained with ``train.loggers`` has ``tracking.json``; :func:`attach_files` reads
it and logs the files to the recorded MLflow run (artifacts under ``figures/`` or
``report/``) and, for figures, appends them as images to ``RUN_DIR/tb/``. Any failure
(the package gone, the server down) is a warning: the files are written either way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from vaelab.tracking.state import read_tracking

#: what a kind of file is filed under (the MLflow artifact folder)
FOLDERS = {"figures": "figures", "report": "report"}


def attach_files(run_dir, paths, kind: str = "figures") -> list[str]:
    """Add ``paths`` (``kind``: ``figures`` PNGs or a ``report``) to the trackers recorded in ``run_dir``'s
    ``tracking.json``; returns the trackers reached (none for a run trained without loggers)."""
    info = read_tracking(run_dir)
    paths = [Path(p) for p in paths if Path(p).is_file()]
    reached: list[str] = []
    if not info or not paths:
        return reached
    if info.get("mlflow", {}).get("run_id"):
        _try("mlflow", reached, lambda: _to_mlflow(run_dir, paths, FOLDERS[kind]))
    if kind == "figures" and "tensorboard" in info:
        pngs = [p for p in paths if p.suffix == ".png"]
        _try("tensorboard", reached, lambda: _to_tensorboard(run_dir, pngs))
    return reached


def _try(name: str, reached: list[str], send) -> None:
    try:
        send()
        reached.append(name)
    except Exception as err:  # noqa: BLE001 - the files are written; only the tracker's copy is missing
        first = str(err).splitlines()[0][:300] if str(err) else ""
        warnings.warn(f"could not add the files to the run's {name} tracker ({type(err).__name__}: {first})",
                      RuntimeWarning, stacklevel=3)


def _to_mlflow(run_dir, paths, folder: str) -> None:
    from vaelab.tracking.mlflow import attach, recorded_client

    client, run_id = recorded_client(run_dir)
    attach(client, run_id, paths, folder)


def _to_tensorboard(run_dir, pngs) -> None:
    from vaelab.tracking.tensorboard import add_figures

    if pngs:
        add_figures(run_dir, pngs)
