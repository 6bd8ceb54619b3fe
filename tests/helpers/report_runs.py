"""Synthetic run directories for the report tests: config, summary, diagnostics and small PNGs, no training.

``python -m tests.report.fixtures OUT_DIR`` writes the sample runs under OUT_DIR/runs and a
report to OUT_DIR/report.html (used to eyeball the page).
"""

from __future__ import annotations

import copy
import json
import math
import sys
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

BASE_CONFIG = {
    "data": {"name": "binarized-mnist", "data_dir": "/data", "binarize": "auto", "valid_fraction": 0.1,
             "test_fraction": 0.1, "split_seed": 0, "limit": None, "options": {}},
    "model": {"name": "vae", "latent_dim": 32, "architecture": "mlp", "hidden": [200, 200], "posterior": "gaussian",
              "likelihood": "auto", "activation": "softplus", "options": {}},
    "train": {"epochs": 30, "batch_size": 100, "seed": 0, "device": "auto", "progress": False, "step": "standard"},
    "optim": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1.0e-8, "weight_decay": 0.0},
    "kl_schedule": {"kind": "constant", "start": 0.0, "end": 1.0, "epochs": 0, "cap": None},
}


#: the sha256 of the feature net every sample run's FD was scored with
NET_SHA = "fd2b59fe10df" + "0" * 52


def summary(status="completed", epochs=30, neg_elbo=100.09, train_time=45.77, device="cpu"):
    return {"status": status, "error": None, "epochs_completed": epochs, "epochs_planned": 30,
            "final": {"valid_neg_elbo": neg_elbo, "valid_rec": neg_elbo - 22.0, "valid_kl": 22.0},
            "best": {"checkpoint": f"epoch_{epochs:04d}", "valid_loss": neg_elbo},
            "wall_time_s": train_time + 0.5, "train_time_s": train_time, "seed": 0, "device": device,
            "device_name": "AMD EPYC (2 cores, 2 threads)", "versions": {"vaelab": "0.1.0"}}


def diagnostics(neg_elbo=95.2, rec=72.1, kl=23.1, iw_nll=91.8, mi=8.9, au=13, d=32, fd_rec=3.2, fd_n=21.5,
                evenness=0.12, fd_extra=None, skipped=None):
    activity = [1.0 if i < au else 0.001 for i in range(d)]
    diag = {
        "split": "test", "n": 10000, "checkpoint": "epoch_0030", "seed": 0, "time_s": 12.5,
        "neg_elbo": neg_elbo, "rec": rec, "kl": kl, "loss": neg_elbo, "kl_per_dim": [kl / d] * d,
        "iw_nll": iw_nll, "iw_nll_se": 0.21, "iw_samples": 1000,
        "mi": mi, "mi_n": 10000, "au": au, "activity_per_dim": activity, "collapsed_dims": list(range(au, d)),
        "au_threshold": 0.01, "reencode_se": 0.35, "reencode_lp": 41.2, "kl_minus_mi": kl - mi,
        "bubbles": {"group_by": "digit label", "evenness_cv": evenness,
                    "groups": [{"group": str(g), "id": g, "n": 1000, "volume": -60.0 - g, "distance": 4.0 + 0.1 * g}
                               for g in range(10)]},
        "fd": {"feature_net": {"net": "mnist5k-binary", "origin": "shipped with vaelab", "hash": NET_SHA[:12],
                               "sha256": NET_SHA, "recipe_version": 2,
                               "description": "3-layer MLP classifier, penultimate layer (128 features)",
                               "test_accuracy": 0.9812, "trained_on": "binarized-mnist train split"},
               "fd_rec": fd_rec, "fd_n": fd_n, "fd_interp": fd_n * 0.8, "fd_data": 0.41,
               **(fd_extra or {})},
    }
    if skipped:
        diag["skipped"] = skipped
        for key in skipped:
            diag.pop(key, None)
    return diag


def png_curves(path: Path, w=640, h=400, seed=0) -> None:
    """A line chart on white with axes and two coloured curves."""
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.line([(50, 20), (50, h - 40), (w - 20, h - 40)], fill="black", width=2)
    for colour, scale in (("#1f77b4", 1.0), ("#ff7f0e", 1.15)):
        pts = [(50 + x, h - 40 - (h - 80) * math.exp(-x / (120 + 40 * seed)) * scale * 0.9)
               for x in range(0, w - 70, 4)]
        d.line(pts, fill=colour, width=3)
    d.text((w // 2 - 30, h - 30), "epoch", fill="black")
    img.save(path)


def png_grid(path: Path, rows=4, cols=8, cell=28, seed=0) -> None:
    """A grid of white blobs on black, like decoded digits."""
    img = Image.new("L", (cols * cell + cols + 1, rows * cell + rows + 1), 40)
    d = ImageDraw.Draw(img)
    for r in range(rows):
        for c in range(cols):
            x0, y0 = 1 + c * (cell + 1), 1 + r * (cell + 1)
            d.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], fill=0)
            k = (r * cols + c + seed) % 7
            d.ellipse([x0 + 6 + k % 3, y0 + 4, x0 + cell - 6 - k % 2, y0 + cell - 4], outline=255, width=3)
    img.resize((img.width * 3, img.height * 3), Image.NEAREST).save(path)


def png_scatter(path: Path, w=500, h=500, seed=0) -> None:
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    for i in range(400):
        g = i % 5
        a = 2 * math.pi * g / 5 + 0.3 * math.sin(i * 1.7 + seed)
        r = 60 + 120 * ((i * 37) % 100) / 100
        x, y = w / 2 + r * math.cos(a), h / 2 + r * math.sin(a)
        d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colours[g])
    img.save(path)


def make_run_dir(root: Path, name: str, config=None, summary_=None, diagnostics_=None, plots=None) -> Path:
    """A run directory ``root/name`` with the given files; ``plots`` maps a PNG stem to a drawing function."""
    run = Path(root) / name
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(config if config is not None else BASE_CONFIG, sort_keys=False))
    if summary_ is not None:
        (run / "summary.json").write_text(json.dumps(summary_, indent=2))
    if diagnostics_ is not None:
        (run / "diagnostics.json").write_text(json.dumps(diagnostics_, indent=2))
    if plots:
        (run / "plots").mkdir()
        for i, (stem, draw) in enumerate(plots.items()):
            draw(run / "plots" / f"{stem}.png", seed=i)
    return run


def sample_runs(root: Path) -> list[Path]:
    """Three runs: a full VAE, a beta-VAE (different config, skipped metrics), one with no diagnostics or plots."""
    beta_cfg = copy.deepcopy(BASE_CONFIG)
    beta_cfg["model"]["latent_dim"] = 16
    beta_cfg["model"]["options"] = {"beta": 4.0}
    beta_cfg["kl_schedule"] = {"kind": "linear", "start": 0.1, "end": 1.0, "epochs": 10, "cap": None}
    ae_cfg = copy.deepcopy(BASE_CONFIG)
    ae_cfg["model"]["posterior"] = "deterministic"
    ae_cfg["train"]["epochs"] = 5
    ae_cfg["model"]["notes"] = "hostile <b>value</b> & more"
    return [
        make_run_dir(root, "vae", summary_=summary(), diagnostics_=diagnostics(),
                     plots={"curves": png_curves, "activity": png_curves, "latent_scatter": png_scatter,
                            "reconstructions": png_grid, "samples": png_grid}),
        make_run_dir(root, "beta-vae", config=beta_cfg,
                     summary_=summary(neg_elbo=104.2, train_time=812.0, device="cuda"),
                     diagnostics_=diagnostics(neg_elbo=103.9, rec=90.0, kl=13.9, iw_nll=99.1, mi=9.4, au=7, d=16,
                                              fd_rec=5.1, fd_n=14.2, evenness=0.31, fd_extra={"fd_lattice": 9.9},
                                              skipped={"reencode_lp": "the posterior has no variance",
                                                       "traversals": "needs <2 active units> & labels"}),
                     plots={"curves": png_curves, "reconstructions": png_grid, "traversals": png_grid,
                            "zzz-custom": png_scatter}),
        make_run_dir(root, "ae <img src=x onerror=alert(1)>", config=ae_cfg,
                     summary_=summary(status="diverged", epochs=3)),
    ]


if __name__ == "__main__":  # pragma: no cover - a manual check
    from vaelab.report import build_report

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/report_check")
    runs_root = out / "runs"
    if runs_root.exists():
        import shutil

        shutil.rmtree(runs_root)
    print(build_report(sample_runs(runs_root), out / "report.html"))
