"""The studies' figures, drawn from their trials' run directories (curves, activity, group means)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaelab.fileio import read_jsonl
from vaelab.plots.inputs import save_png
from vaelab.reproduce.collect import Collected, TrialData
from vaelab.rundir.layout import RunLayout


def first_seed(collected: Collected) -> dict[str, TrialData]:
    """Each arm's trial with the lowest seed (the one drawn where a figure shows one run per arm)."""
    out: dict[str, TrialData] = {}
    for t in sorted(collected.trials, key=lambda t: t.seed):
        out.setdefault(t.arm, t)
    return out


def curves(collected: Collected, comparisons: dict[str, list[str]], path: Path,
           metric: str = "valid_neg_elbo", ylabel: str = "validation −ELBO (nats)") -> Path | None:
    """Training curves of ``metric``, one panel per comparison (title -> arms), first seed of each arm."""
    from vaelab.plots.study import draw_comparison_curves

    runs = first_seed(collected)
    panels = {}
    for title, arms in comparisons.items():
        lines = {}
        for arm in (a for a in arms if a in runs):
            records = [r for r in read_jsonl(RunLayout(runs[arm].run_dir).metrics) if metric in r]
            lines[arm] = ([r["epoch"] for r in records], [r[metric] for r in records])
        if lines:
            panels[title] = lines
    return save_png(draw_comparison_curves(panels, ylabel), path) if panels else None


def activity(collected: Collected, arms: list[str], path: Path, title: str = "") -> Path | None:
    """Activity per latent dimension of each arm (first seed), from its diagnostics."""
    from vaelab.plots.study import draw_activity_lines

    runs = first_seed(collected)
    lines = {a: runs[a].diagnostics["activity_per_dim"] for a in arms
             if a in runs and runs[a].diagnostics.get("activity_per_dim")}
    return save_png(draw_activity_lines(lines, title=title), path) if lines else None


def group_means(trial: TrialData, split: str = "test") -> dict[str, np.ndarray]:
    """The mean posterior mean per label of a trial's evaluated split: label -> (d,)."""
    arrays = np.load(RunLayout(trial.run_dir).arrays(f"posterior_{split}"))
    mu, labels = arrays["mu"], arrays["labels"]  # (N, d), (N,)
    return {str(int(g)): mu[labels == g].mean(0) for g in np.unique(labels)}


def written(*paths) -> list[Path]:
    """The figures that were drawn (a figure with nothing to draw is None)."""
    return [Path(p) for p in paths if p is not None]


def run_figure(trial: TrialData, kind: str, dest: Path) -> Path | None:
    """Draw figure ``kind`` of a trial's run (``vaelab plot``) and copy it to ``dest``; None when not applicable."""
    import shutil

    from vaelab.pipeline.plotting import plot_run

    result = plot_run(trial.run_dir, [kind], progress=False)
    if not result.written:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.written[0], dest)
    return dest


def run_figures(collected: Collected, arms, kind: str, out: Path, study: str) -> list[Path | None]:
    """Figure ``kind`` of each arm's first seed, as ``<out>/<study>-<arm>-<kind>.png`` (arms absent are skipped)."""
    runs = first_seed(collected)
    return [run_figure(runs[a], kind, out / f"{study}-{a.replace('/', '-')}-{kind}.png") for a in arms if a in runs]
