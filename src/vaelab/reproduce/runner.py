"""``vaelab reproduce NAME``: run a study's sweep, evaluate it, decide its claims, write its record and report."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from vaelab.errors import ConfigError, did_you_mean
from vaelab.fileio import atomic_write_text, write_json
from vaelab.progress import say
from vaelab.report.build import build_report
from vaelab.reproduce.collect import collect_parts
from vaelab.reproduce.markdown import study_markdown
from vaelab.reproduce.registry import all_studies, get_study
from vaelab.reproduce.study import BUDGETS
from vaelab.reproduce.tables import arms_of, record
from vaelab.rundir.layout import REPRODUCTION
from vaelab.sweeps.run import run_sweep
from vaelab.sweeps.spec import expand
from vaelab.version import __version__


def check_budget(budget: str) -> None:
    if budget not in BUDGETS:
        raise ConfigError(f"unknown budget '{budget}'.{did_you_mean(budget, BUDGETS)} Budgets: {', '.join(BUDGETS)}")


def machine() -> str:
    """This machine as the docs name it: the CPU model and its core count."""
    import os

    from vaelab.device import cpu_name

    return f"{cpu_name()}, {os.cpu_count()} cores"


def reproduce(name: str, budget: str = "short", out=None, *, executor: str | None = None, workers: int | None = None,
              progress: bool = True, results_dir=None, record_only: bool = False) -> dict:
    """Run study ``name`` at ``budget`` into ``out`` (default ``runs/reproduce/<name>-<budget>``); return its record.

    ``out`` is a sweep directory (``vaelab sweep``): running again skips finished trials and
    resumes interrupted ones. Writes ``reproduction.json``, ``reproduction.md``, the study's
    figures in ``figures/`` and ``report.html`` there; with ``results_dir`` also
    ``<results_dir>/<name>-<budget>.json`` (docs/results, from which docs/RESULTS.md is made).
    ``record_only`` trains and evaluates nothing: the record of the trials run so far (e.g.
    while a long run goes on in another process); unfinished trials are listed as missing.
    """
    study = get_study(name)
    check_budget(budget)
    if budget not in study.budgets:
        raise ConfigError(f"study '{name}' has no '{budget}' budget; it has {', '.join(study.budgets)}")
    parts = study.budgets[budget].sweeps
    out = Path(out or Path("runs") / "reproduce" / f"{name}-{budget}").expanduser()
    if record_only and not out.is_dir():
        raise ConfigError(f"{out} does not exist: run `vaelab reproduce {name} --budget {budget}` first")
    t0 = time.perf_counter()
    say(f"reproduce {name} ({budget}): {study.title}", progress)
    for part, sweep in parts.items():
        if not record_only:
            run_sweep(sweep, out / part, workers=workers, executor=executor, progress=progress)
    collected = collect_parts(out, parts)
    if study.extra is not None:
        for arm, values in study.extra(collected, budget).items():
            collected.table.setdefault(arm, {}).update(values)
    figures = [str(Path(p).relative_to(out)) for p in (study.figures(collected, out / "figures") if study.figures
                                                       else [])]
    about = {"command": f"vaelab reproduce {name} --budget {budget}", "machine": machine(),
             "date": date.today().isoformat(), "vaelab": __version__,
             "wall_time_min": _train_minutes(collected) or (time.perf_counter() - t0) / 60}
    rec = record(study, budget, collected, arms_of(parts) + list(study.extra_rows), about=about, figures=figures)
    write_json(out / REPRODUCTION, rec)
    atomic_write_text(out / "reproduction.md", study_markdown(rec, level=1) + "\n")
    build_report([out], out / "report.html", title=f"vaelab reproduce {name} ({budget})")
    if results_dir is not None:
        write_result_file(rec, Path(results_dir), out)
    say(f"reproduce {name}: {sum(c['held'] is True for c in rec['claims'])} of {len(rec['claims'])} claims held; "
        f"report {out / 'report.html'}", progress)
    return rec


def _train_minutes(collected) -> float | None:
    """The trials' summed training wall time in minutes (what the study costs), or None before any finished."""
    times = [t.values.get("wall_time_s") for t in collected.trials]
    return sum(t for t in times if t) / 60 if any(times) else None


def write_result_file(rec: dict, results_dir: Path, out: Path) -> Path:
    """``<results_dir>/<study>-<budget>.json`` and its figures copied to ``<results_dir>/figures/<study>-<budget>/``."""
    import shutil

    stem = f"{rec['study']}-{rec['budget']}"
    figs = []
    for rel in rec.get("figures", []):
        dest = results_dir / "figures" / stem / Path(rel).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / rel, dest)
        figs.append(str(dest.relative_to(results_dir)))
    path = results_dir / f"{stem}.json"
    results_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({**rec, "figures": figs}, indent=1, sort_keys=False) + "\n")
    return path


def list_studies() -> list[dict]:
    """One row per study: name, title, and per budget its trials and estimated minutes."""
    rows = []
    for study in all_studies():
        budgets = {b: {"trials": sum(len(expand(sw)) for sw in s.sweeps.values()), "minutes": s.minutes}
                   for b, s in study.budgets.items()}
        rows.append({"name": study.name, "title": study.title, "source": study.source, "budgets": budgets})
    return rows
