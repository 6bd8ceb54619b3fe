"""A study's measured figures, read from its sweep directory: one flat record per trial, averaged per arm.

Each trial's record holds the numbers of its ``diagnostics-<split>.json`` under dotted
keys (``iw_nll``, ``fd.fd_rec``, ``molecules.samples.validity``; per-group bubbles as
``bubbles.volume.<group>``), and from its ``summary.json`` the ``wall_time_s``, the
epochs and the final validation figures (``final.valid_neg_elbo``). Arms average their
seeds; ``<key>.sd`` is the standard deviation over seeds where there are several.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from vaelab.rundir.layout import RunLayout, SweepLayout
from vaelab.sweeps.results import FINISHED, summary_of
from vaelab.sweeps.spec import ARM

#: diagnostics keys that are lists of per-group records: flattened as ``<key>.<field>.<group>``
GROUPED = ("groups",)


@dataclass
class TrialData:
    """One finished trial: its arm, seed, run directory, flat figures and raw diagnostics."""

    name: str
    arm: str
    seed: int
    run_dir: Path
    values: dict[str, float]
    diagnostics: dict = field(repr=False, default_factory=dict)


@dataclass
class Collected:
    """A study's trials and the per-arm table (means over seeds)."""

    trials: list[TrialData]
    table: dict[str, dict[str, float]]
    missing: list[str]  # trials not finished or not evaluated, with why


def flatten(record: dict, prefix: str = "") -> dict[str, float]:
    """The numbers of a nested mapping under dotted keys; lists of ``{"group": ...}`` records by group."""
    out: dict[str, float] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif key in GROUPED and isinstance(value, list):
            for row in (r for r in value if isinstance(r, dict) and "group" in r):
                out.update({f"{prefix}{k}.{row['group']}": v for k, v in row.items() if _number(v) and k != "id"})
        elif _number(value):
            out[name] = float(value)
    return out


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def collect(sweep_dir, trials, split: str = "test") -> Collected:
    """Read every trial of ``trials`` (the sweep's :class:`~vaelab.sweeps.spec.Trial` list) from ``sweep_dir``."""
    layout = SweepLayout(Path(sweep_dir))
    found, missing = [], []
    for trial in trials:
        run_dir = layout.run(trial.name)
        summary = summary_of(run_dir)
        diagnostics = _read(RunLayout(run_dir).diagnostics_of(split))
        if summary.get("status") not in FINISHED:
            missing.append(f"{trial.name}: {_unfinished(summary, trial.config.train.epochs)}")
            continue
        best = (summary.get("best") or {}).get("checkpoint")
        if diagnostics is not None and diagnostics.get("checkpoint") != best:  # evaluated before training went on
            missing.append(f"{trial.name}: evaluated at {diagnostics.get('checkpoint')}, not the best checkpoint {best}")
            diagnostics = None
        elif diagnostics is None:
            missing.append(f"{trial.name}: not evaluated on {split}")
        values = flatten(diagnostics or {})
        values.update({f"final.{k}": float(v) for k, v in (summary.get("final") or {}).items() if _number(v)})
        values["latent_dim"] = float(trial.config.model.latent_dim)
        for key in ("wall_time_s", "epochs_completed"):
            if _number(summary.get(key)):
                values[key] = float(summary[key])
        found.append(TrialData(trial.name, str(trial.varied.get(ARM, trial.name)), trial.config.train.seed, run_dir,
                               values, diagnostics or {}))
    return Collected(found, arm_table(found), missing)


def _unfinished(summary: dict, epochs: int) -> str:
    """Why a trial is not in the table: its status, and how far it trained (``interrupted after 742 of 3280 epochs``)."""
    status = summary.get("status", "not run")
    done = summary.get("epochs_completed")
    return f"{status} after {int(done)} of {epochs} epochs" if _number(done) and done else status


def collect_parts(out, parts: dict[str, dict]) -> Collected:
    """Every part's trials (``OUT/<part>/``); arms are ``<part>/<arm>`` when there are several parts."""
    from vaelab.sweeps.spec import expand

    trials, missing = [], []
    for part, sweep in parts.items():
        got = collect(Path(out) / part, expand(sweep), split=(sweep.get("evaluate") or {}).get("split", "test"))
        for t in got.trials:
            t.arm = f"{part}/{t.arm}" if len(parts) > 1 else t.arm
        trials += got.trials
        missing += [f"{part}/{m}" if len(parts) > 1 else m for m in got.missing]
    return Collected(trials, arm_table(trials), missing)


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def arm_table(trials: list[TrialData]) -> dict[str, dict[str, float]]:
    """Per arm, the mean of each key over its trials (seeds), plus ``<key>.sd`` and ``n_seeds``."""
    arms: dict[str, list[TrialData]] = {}
    for t in trials:
        arms.setdefault(t.arm, []).append(t)
    table = {}
    for arm, members in arms.items():
        keys = dict.fromkeys(k for t in members for k in t.values)
        row: dict[str, float] = {"n_seeds": float(len(members))}
        for key in keys:
            vals = [t.values[key] for t in members if key in t.values]
            row[key] = sum(vals) / len(vals)
            if len(vals) > 1:
                row[f"{key}.sd"] = math.sqrt(sum((v - row[key]) ** 2 for v in vals) / (len(vals) - 1))
        table[arm] = row
    return table
