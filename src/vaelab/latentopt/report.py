"""The property optimisation's record: ``result.json``, ``summary.md``, ``paths.npz`` and ``paths.png``.

Improvements are signed so that positive is better in the asked direction (a drop of
the SA score when minimising it counts as a positive improvement).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vaelab.fileio import atomic_write_text, save_npz, write_json
from vaelab.latentopt.convergence import converged_step, still_moving
from vaelab.latentopt.figures import draw_property_images, draw_property_paths
from vaelab.latentopt.molecules import best_molecules, path_molecules
from vaelab.plots.inputs import save_png

TOL = 0.01  # convergence: within 1% of the path's total change of its final objective (convergence.py)
N_BEST = 10
WEAK_R2 = 0.5  # a predictor below this test R² is flagged: its gradient is a poor guide


def _stats(v: np.ndarray) -> dict:
    v = np.asarray(v, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"mean": None, "max": None, "n": 0}
    return {"mean": float(v.mean()), "max": float(v.max()), "n": int(v.size)}


def _steps_block(path) -> dict:
    conv = converged_step(path.objective, TOL).numpy()  # (K,)
    moving = still_moving(path.objective, TOL).numpy()  # (K,)
    return {"taken": path.steps, "tolerance": TOL, "converged_mean": float(conv.mean()),
            "converged_median": float(np.median(conv)), "converged_max": int(conv.max()),
            "still_moving_share": float(moving.mean()), "clipped_share": float(path.clipped[1:].float().mean())}


def _predicted_block(predicted: torch.Tensor, sign: float, record: dict) -> dict:
    p = predicted.numpy()  # (steps + 1, K)
    gain = sign * (p[-1] - p[0])  # (K,)
    best = p.max() if sign > 0 else p.min()
    edge = record["target_max"] if sign > 0 else record["target_min"]  # the best training value
    beyond = sign * (p[-1] - edge) > 0  # (K,) paths that end past every training example: extrapolation
    return {"start_mean": float(p[0].mean()), "end_mean": float(p[-1].mean()), "best": float(best),
            "improvement": _stats(gain), "best_in_training": edge, "beyond_training_share": float(beyond.mean()),
            "per_step_mean": p.mean(1).tolist()}


def _molecule_block(check, predicted: torch.Tensor, sign: float, checkable: bool) -> dict:
    pred = predicted[torch.as_tensor(check.steps)].numpy()  # (C, K)
    paths = path_molecules(check, pred)
    by = "real" if checkable else "predicted"
    starts = [{"path": j, "smiles": check.smiles[0, j], "real": _num(check.real[0, j]),
               "predicted": float(pred[0, j])} for j in range(check.smiles.shape[1])]
    start_set = {s["smiles"] for s in starts if s["smiles"] is not None}
    out = {"checked_steps": check.steps.tolist(), "validity_per_step": check.validity.tolist(),
           "validity_start": float(check.validity[0]), "validity_end": float(check.validity[-1]),
           "validity_mean": float(check.validity.mean()),
           "distinct_valid": len({m["smiles"] for mols in paths for m in mols}),
           "distinct_per_path_mean": float(np.mean([len(m) for m in paths])),
           "ranked_by": by, "starts": starts,
           "best": best_molecules(paths, N_BEST, sign, by, exclude=start_set)}
    if checkable:
        real = check.real  # (C, K)
        best_real = _nanmax(sign * real)  # (K,) NaN where a path has no valid molecule
        out["real"] = {"start_mean": _stats(real[0])["mean"], "end_mean": _stats(real[-1])["mean"],
                       "per_step_mean": [_stats(r)["mean"] for r in real],
                       "best_along_path_improvement": _stats(best_real - sign * real[0]),
                       "end_improvement": _stats(sign * (real[-1] - real[0]))}
    return out


def _nanmax(a: np.ndarray) -> np.ndarray:
    """Column maxima ignoring NaN, NaN for an all-NaN column (without numpy's warning): (C, K) -> (K,)."""
    seen = np.isfinite(a).any(0)  # (K,)
    return np.where(seen, np.where(np.isfinite(a), a, -np.inf).max(0), np.nan)


def _num(v) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None


def property_summary(target, record: dict, fitted_now: bool, settings: dict, starts, path, predicted,
                     check) -> dict:
    """Everything ``result.json`` holds; see docs/lso.md for the keys."""
    sign = 1.0 if settings["direction"] == "maximize" else -1.0
    out = {"task": "property", "property": target.name, "source": target.source,
           "description": target.description, "predicted_only": not target.checkable,
           "predictor": {k: record.get(k) for k in ("r2_valid", "r2_test", "n_codes", "n_test", "best_epoch",
                                                     "target_mean", "target_std", "checkpoint")}
           | {"fitted_now": fitted_now},
           "settings": settings, "start_kind": starts.kind,
           "start_test_index": None if starts.test_index is None else starts.test_index.tolist(),
           "steps": _steps_block(path), "predicted": _predicted_block(predicted, sign, record),
           "norm": {"start_mean": float(path.norm[0].mean()), "end_mean": float(path.norm[-1].mean()),
                    "max": float(path.norm.max())}}
    if check is not None:
        out["molecules"] = _molecule_block(check, predicted, sign, target.checkable)
    return out


def _fmt(v, spec=".3f") -> str:
    return "—" if v is None else format(v, spec)


def summary_rows(s: dict) -> list[tuple[str, str]]:
    """The summary as (key, value) rows: the printed table and the Markdown file show the same."""
    p, st, pr = s["predicted"], s["steps"], s["predictor"]
    rows = [("property", f"{s['property']} ({s['settings']['direction']}): {s['description']}"),
            ("predictor R² valid / test", f"{_fmt(pr['r2_valid'])} / {_fmt(pr['r2_test'])}"
                                          + (" (fitted now)" if pr["fitted_now"] else " (reused)")),
            ("starts", f"{s['settings']['starts']} ({s['start_kind']}), lr {s['settings']['lr']}"),
            ("penalty", f"{s['settings']['penalty']} x {s['settings']['penalty_on']} (max distance "
                        f"{_fmt(s['settings']['max_norm'], '.2f')}"
                        + (", within the training codes' range)" if s["settings"].get("box") else ")")),
            ("steps taken / converged (mean, max)", f"{st['taken']} / {st['converged_mean']:.0f}, "
                                                    f"{st['converged_max']}" + (f"; {st['still_moving_share']:.0%} "
                                                    "still moving: more --steps" if st["still_moving_share"] else "")),
            ("predicted: start -> end (mean)", f"{_fmt(p['start_mean'])} -> {_fmt(p['end_mean'])}"),
            ("predicted improvement mean / max", f"{_fmt(p['improvement']['mean'])} / {_fmt(p['improvement']['max'])}"),
            (f"{_distance_name(s)} start -> end (mean)",
             f"{s['norm']['start_mean']:.2f} -> {s['norm']['end_mean']:.2f}")]
    m = s.get("molecules")
    if m:
        rows.append(("validity start / end / mean over steps",
                     f"{m['validity_start']:.0%} / {m['validity_end']:.0%} / {m['validity_mean']:.0%}"))
        rows.append(("distinct valid molecules", f"{m['distinct_valid']} ({m['distinct_per_path_mean']:.1f} per path)"))
        if "real" in m:
            r = m["real"]
            rows.append(("real (RDKit): start -> end (mean)", f"{_fmt(r['start_mean'])} -> {_fmt(r['end_mean'])}"))
            rows.append(("real improvement, best along path: mean / max",
                         f"{_fmt(r['best_along_path_improvement']['mean'])} / "
                         f"{_fmt(r['best_along_path_improvement']['max'])}"))
    rows += [("note", n) for n in notes(s)]
    return rows


def notes(s: dict) -> list[str]:
    """Warnings a reader of the numbers needs: a weak predictor, extrapolation, predicted-only values."""
    out = []
    r2 = s["predictor"]["r2_test"]
    if r2 is None or not r2 >= WEAK_R2:
        out.append(f"the predictor's test R² is {_fmt(r2, '.2f')} (< {WEAK_R2}): the codes hardly encode "
                   f"{s['property']}, so its gradient is a poor guide; train the model longer or pick another property")
    p = s["predicted"]
    if p["beyond_training_share"] > 0:
        out.append(f"{p['beyond_training_share']:.0%} of the paths end with a prediction beyond the best training "
                   f"value ({_fmt(p['best_in_training'])}): the predictor extrapolates there; a larger --penalty"
                   + (" (or --penalty-on codes)" if s["settings"].get("penalty_on") == "prior" else "")
                   + " keeps z nearer the data")
    if s["predicted_only"]:
        out.append("predicted only: the real value of a decoded item cannot be computed here")
    return out


def _distance_name(s: dict) -> str:
    """What ``norm`` measures: the Mahalanobis distance from the codes' mean, or ||z||."""
    return "Mahalanobis distance" if s["settings"].get("penalty_on") == "codes" else "||z||"


def best_rows(s: dict) -> list[dict]:
    """The best molecules as table records: SMILES, real and predicted property, step, path."""
    return [{"smiles": m["smiles"], "real": m["real"], "predicted": m["predicted"], "step": m["step"],
             "path": m["path"]} for m in s.get("molecules", {}).get("best", [])]


def markdown(s: dict) -> str:
    """``summary.md``: the rows and the best molecules as Markdown tables."""
    lines = [f"# Latent space optimisation: {s['property']}", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in summary_rows(s)]
    best = best_rows(s)
    if best:
        lines += ["", f"## Best molecules (by {s['molecules']['ranked_by']} property)", "",
                  "| SMILES | real | predicted | step | path |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{b['smiles']}` | {_fmt(b['real'])} | {_fmt(b['predicted'])} | {b['step']} | {b['path']} |"
                  for b in best]
    return "\n".join(lines) + "\n"


def write_property_files(run, result) -> list[Path]:
    """Write result.json, summary.md, paths.npz and paths.png into ``result.folder``; returns the paths."""
    folder = result.folder
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"z": result.path.z.numpy(), "predicted": result.predicted.numpy(), "norm": result.path.norm.numpy(),
              "objective": result.path.objective.numpy()}
    check = result.check
    if check is not None:
        text = np.array([s or "" for s in check.smiles.ravel()]).reshape(check.smiles.shape)  # (C, K); "" = invalid
        arrays.update(checked_steps=check.steps, valid=check.valid, real=check.real, smiles=text)
    arrays.update(result.images or {})
    save_npz(folder / "paths.npz", arrays)
    write_json(folder / "result.json", result.summary)
    atomic_write_text(folder / "summary.md", markdown(result.summary))
    files = [folder / "result.json", folder / "summary.md", folder / "paths.npz",
             save_png(draw_property_paths(result.summary, arrays), folder / "paths.png")]
    if result.images:
        files.append(save_png(draw_property_images(result.summary, arrays), folder / "paths_images.png"))
    return files
