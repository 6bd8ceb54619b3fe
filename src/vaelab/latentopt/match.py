"""The NE-VAE paper's toy latent space optimisation (sec. 5.4) on any image run: ``vaelab lso RUN_DIR --task match``.

Freeze the decoder; for T test images and S random starts each, optimise z with Adam so
that the decoded mean matches the image (squared error); report how many iterations the
optimisation needs and how far apart the codes of different starts end up. A model whose
encoder and decoder agree (NE-VAE) should converge faster, with less spread. Runs with
the same dataset and ``seed`` get the same targets and, for VAEs, the same starts, so
their figures compare. Files: ``RUN_DIR/lso/match/{result.json, summary.md, match.npz, match.png}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from vaelab.errors import ConfigError
from vaelab.fileio import atomic_write_text, save_npz, write_json
from vaelab.latentopt.figures import draw_match
from vaelab.latentopt.match_optim import INITS, LOSSES, match_loss, optimise_codes, pick_targets, starting_codes
from vaelab.latentopt.match_report import figure_arrays, match_markdown, match_summary
from vaelab.latentopt.settings import MATCH
from vaelab.nn.batching import take
from vaelab.plots.inputs import save_png

THRESHOLDS = (1e-3, 1e-4, 1e-5)  # relative change of the loss per step, for the paper's stopping rule


@dataclass
class MatchResult:
    summary: dict
    folder: Path
    files: list[Path] = field(default_factory=list)


def _check_run(run, loss: str, init: str) -> None:
    if run.data.kind == "tokens":
        raise ConfigError("match mode optimises codes to reproduce images; this run has token data (molecules): "
                          "use --property NAME instead (see `vaelab lso --help`)")
    if loss not in LOSSES:
        raise ConfigError(f"unknown match loss '{loss}'; choose {', '.join(LOSSES)}")
    if init not in INITS:
        raise ConfigError(f"unknown init '{init}'; choose {', '.join(INITS)}")


@torch.no_grad()
def _encoder_reference(run, x: torch.Tensor, side: dict, loss: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The encoder's own answer: its mean code (T, d), that code's loss (T,) and decoded image (T, *event)."""
    z = run.model.encode(x, **side).mean  # (T, d)
    p = run.model.decode(z, **side)
    recon = p.reconstruction(x) if hasattr(p, "reconstruction") else p.mean  # (T, *event)
    return z, match_loss(p, x, loss), recon


@torch.no_grad()
def _decoded(run, z: torch.Tensor, x: torch.Tensor, side: dict) -> torch.Tensor:
    p = run.model.decode(z, **side)
    return p.reconstruction(x) if hasattr(p, "reconstruction") else p.mean  # (P, *event)


def match_targets(run, *, targets: int = MATCH.targets, starts: int = MATCH.starts, steps: int = MATCH.steps,
                  lr: float = MATCH.lr, loss: str = MATCH.loss, init: str = MATCH.init, tol: float = MATCH.tol,
                  thresholds=THRESHOLDS, seed: int = 0,
                  progress: bool = True) -> MatchResult:
    """Run the match task on ``targets`` test images x ``starts`` starts; write and return the summary.

    ``loss``: :data:`~vaelab.latentopt.match_optim.LOSSES`; ``init``:
    :data:`~vaelab.latentopt.match_optim.INITS`; ``tol``: the convergence tolerance;
    ``thresholds``: relative loss changes per step at which the paper's stopping rule is
    evaluated. The NE-VAE paper used 50 Omniglot images.
    """
    _check_run(run, loss, init)
    if targets < 1 or starts < 1 or steps < 1 or lr <= 0 or not 0 < tol < 1:
        raise ConfigError(f"match needs --targets, --starts, --steps >= 1, --lr > 0 and 0 < tol < 1; got "
                          f"{targets}, {starts}, {steps}, {lr}, {tol}")
    idx = pick_targets(run, targets, seed).to(run.device)  # (T,)
    x = run.eval_data("test")[idx].float()  # (T, *event)
    side = take(run.eval_side("test"), idx)
    t = x.shape[0]
    z0 = starting_codes(run, x, side, starts, init, seed)  # (T, S, d)
    rows = {k: v.repeat_interleave(starts, 0) for k, v in side.items()}
    x_rows = x.repeat_interleave(starts, 0)  # (T*S, *event)
    out = optimise_codes(run.model, x_rows, z0.reshape(t * starts, -1), rows, steps=steps, lr=lr, loss=loss,
                         thresholds=tuple(thresholds), progress=progress)
    enc_z, enc_loss, x_enc = _encoder_reference(run, x, side, loss)
    settings = {"targets": targets, "starts": starts, "steps": steps, "lr": lr, "loss": loss, "init": init,
                "tol": tol, "thresholds": list(thresholds), "seed": seed, "checkpoint": run.checkpoint}
    summary = match_summary(out, t, starts, settings, enc_loss.cpu(), enc_z.cpu(), idx.cpu())
    x_final = _decoded(run, out.z.to(run.device), x_rows, rows).reshape(t, starts, *x.shape[1:])
    meta = {"event_shape": torch.tensor(run.meta["event_shape"]).numpy(), "kind": run.data.kind}
    arrays = figure_arrays(x, x_enc, x_final, out, t, starts, meta)
    folder = run.layout.lso("match")
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "result.json", summary)
    atomic_write_text(folder / "summary.md", match_markdown(summary))
    save_npz(folder / "match.npz", arrays)
    png = save_png(draw_match(summary, arrays), folder / "match.png")
    return MatchResult(summary, folder, [folder / "result.json", folder / "summary.md", folder / "match.npz", png])
