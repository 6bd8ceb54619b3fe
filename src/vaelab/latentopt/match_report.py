"""The figures of the match task: iterations to converge, spread of the final codes, the stopping rule.

All spreads are over the S starts of one target, then averaged over the T targets:

* ``code_sq_dist``: mean squared Euclidean distance between the final codes of two
  different starts (the NE-VAE paper's measure, sec. 5.4); ``code_std``: root mean
  per-dimension variance of the final codes;
* ``loss_std``: standard deviation of the final losses ("the loss will consistently
  converge to much closer values").

Convergence (``converged``): the first step from which a row's loss stays within
``tol`` of its total change of its final value (:func:`vaelab.latentopt.convergence.converged_step`).
"""

from __future__ import annotations

import numpy as np
import torch

from vaelab.latentopt.convergence import code_std, converged_step, pairwise_sq_dist, still_moving


def _mean(t: torch.Tensor) -> float:
    return float(t.double().mean())


def _thresholds(run, t: int, s: int, thresholds) -> list[dict]:
    """The paper's stopping rule after the fact: where each threshold stops the rows, and the spread there."""
    out = []
    for h, thr in enumerate(thresholds):
        step = run.stop_step[h]  # (P,)
        loss_at = run.loss.gather(0, step.unsqueeze(0)).squeeze(0).reshape(t, s)  # (T, S)
        z_at = run.stop_z[h].reshape(t, s, -1)  # (T, S, d)
        out.append({"threshold": float(thr), "stopped_share": _mean(step < run.loss.shape[0] - 1),
                    "step_mean": _mean(step), "loss_mean": _mean(loss_at),
                    "loss_std": _mean(loss_at.std(1) if s > 1 else torch.zeros(t)),
                    "code_sq_dist": _mean(pairwise_sq_dist(z_at))})
    return out


def match_summary(run, t: int, s: int, settings: dict, enc_loss: torch.Tensor, enc_z: torch.Tensor,
                  target_index: torch.Tensor) -> dict:
    """Everything ``result.json`` holds for the match task (keys in docs/lso.md)."""
    tol = settings["tol"]
    conv = converged_step(run.loss, tol).reshape(t, s)  # (T, S)
    moving = still_moving(run.loss, tol)  # (P,)
    final = run.loss[-1].reshape(t, s)  # (T, S)
    z = run.z.reshape(t, s, -1)  # (T, S, d)
    return {
        "task": "match", "settings": settings, "targets": t, "starts": s,
        "target_index": target_index.tolist(),
        "converged": {"tolerance": tol, "mean": _mean(conv), "median": float(conv.double().median()),
                      "slowest_start_mean": _mean(conv.max(1).values), "max": int(conv.max()),
                      "still_moving_share": _mean(moving)},
        "loss": {"start_mean": _mean(run.loss[0]), "final_mean": _mean(final),
                 "final_best_start_mean": _mean(final.min(1).values),
                 "final_std": _mean(final.std(1) if s > 1 else torch.zeros(t)),
                 "encoder_mean": _mean(enc_loss), "per_step_mean": run.loss.double().mean(1).tolist()},
        "spread": {"code_sq_dist": _mean(pairwise_sq_dist(z)), "code_std": _mean(code_std(z)),
                   "start_code_sq_dist": _mean(pairwise_sq_dist(run.z0.reshape(t, s, -1))),
                   "to_encoder_sq_dist": _mean((z - enc_z.unsqueeze(1)).pow(2).sum(-1))},
        "stopping_rule": _thresholds(run, t, s, settings["thresholds"]),
    }


def match_rows(m: dict) -> list[tuple[str, str]]:
    """The match summary as (key, value) rows for the printed table and ``summary.md``."""
    st, c, lo, sp = m["settings"], m["converged"], m["loss"], m["spread"]
    rows = [("task", f"match {m['targets']} test targets from {m['starts']} starts each ({st['init']}); "
                     f"loss {st['loss']}, Adam lr {st['lr']}, {st['steps']} steps"),
            (f"steps to converge (tol {c['tolerance']}): mean / median / slowest start",
             f"{c['mean']:.0f} / {c['median']:.0f} / {c['slowest_start_mean']:.0f}"),
            ("loss start -> final (mean); best start; encoder's code",
             f"{lo['start_mean']:.2f} -> {lo['final_mean']:.2f}; {lo['final_best_start_mean']:.2f}; "
             f"{lo['encoder_mean']:.2f}"),
            ("final loss spread across starts (std)", f"{lo['final_std']:.3f}"),
            ("final code spread: mean sq. distance / std", f"{sp['code_sq_dist']:.3f} / {sp['code_std']:.3f} "
                                                           f"(starts: {sp['start_code_sq_dist']:.2f})"),
            ("final code to encoder's code (sq. distance)", f"{sp['to_encoder_sq_dist']:.3f}")]
    for r in m["stopping_rule"]:
        rows.append((f"stop at relative change < {r['threshold']:g}: step / code sq. dist / loss std",
                     f"{r['step_mean']:.0f} ({r['stopped_share']:.0%} stopped) / {r['code_sq_dist']:.3f} / "
                     f"{r['loss_std']:.3f}"))
    if c["still_moving_share"] > 0:
        rows.append(("note", f"{c['still_moving_share']:.0%} of the rows were still moving at the end: "
                             "more --steps (or a larger --lr) gives a sharper convergence step"))
    return rows


def match_markdown(m: dict) -> str:
    lines = ["# Latent space optimisation: matching targets (NE-VAE paper, sec. 5.4)", "", "| | |", "| --- | --- |"]
    return "\n".join(lines + [f"| {k} | {v} |" for k, v in match_rows(m)]) + "\n"


def figure_arrays(x: torch.Tensor, x_enc: torch.Tensor, x_final: torch.Tensor, run, t: int, s: int,
                  meta: dict) -> dict:
    """What ``match.npz`` holds: images as float16 (figures, not data), loss curves, codes."""
    half = lambda a: a.detach().float().cpu().numpy().astype(np.float16)  # noqa: E731
    return {"x": half(x), "x_encoder": half(x_enc), "x_final": half(x_final),  # (T, *ev), (T, *ev), (T, S, *ev)
            "loss": run.loss.numpy().reshape(-1, t, s), "z0": run.z0.numpy().reshape(t, s, -1),
            "z": run.z.numpy().reshape(t, s, -1), **meta}
