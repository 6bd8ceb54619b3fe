"""The posterior-collapse remedies against the plain VAE, in docs/collapse-comparison.md's setting.

Trains `vae`, `free-bits-vae`, `cyclical-vae`, `bn-vae` and `delta-vae` with the MLP of
docs/experiments/collapse_comparison.py (784-200-200-32, softplus, Bernoulli decoder) on
statically binarized MNIST, same seed and budget, measures them the same way (-ELBO, KL,
MI, active units on the 10,000 test digits) plus the smallest per-dimension KL, and writes
the table into docs/remedies.md between its markers.

    python docs/experiments/remedies_comparison.py --data-dir ../shared/data --epochs 30
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import torch

import vaelab
from collapse_comparison import measure  # the same figures as docs/collapse-comparison.md
from vaelab.device import describe_device

RUNS = [  # (label, --model)
    ("VAE (beta = 1 throughout)", "vae"),
    ("free bits, lambda = 0.5 nats per dimension", "free-bits-vae"),
    ("cyclical annealing, M = 4, R = 0.5 (per epoch)", "cyclical-vae"),
    ("BN-VAE, gamma = 0.6", "bn-vae"),
    ("delta-VAE, delta = 0.1 nats per dimension", "delta-vae"),
]
START, END = "<!-- remedies table: docs/experiments/remedies_comparison.py -->\n", "\n<!-- end remedies table -->"


def kl_floor(run) -> float:
    """The smallest per-dimension KL, averaged over the test digits (nats)."""
    x = run.eval_data("test")
    run.model.eval()  # BN-VAE: the running statistics
    with torch.no_grad():
        q = run.model.encode(x)
        kl = 0.5 * (q.loc.square() + q.logvar.exp() - 1.0 - q.logvar)  # (N, d)
    return float(kl.mean(0).min())


def train_or_load(model: str, args):
    out = Path(args.out) / model
    if (out / "summary.json").is_file():  # finished earlier: measure it again, don't retrain
        run = vaelab.load_run(out)
        return run, run.summary["train_time_s"]
    cfg = {"data": {"name": "binarized-mnist", "data_dir": args.data_dir},
           "model": {"name": model, "latent_dim": 32, "hidden": [200, 200]},
           "train": {"epochs": args.epochs, "seed": 0, "progress": False}}
    t0 = time.perf_counter()
    run = vaelab.train(cfg, out=out)
    return run, time.perf_counter() - t0


def table(rows, args) -> str:
    lines = [f"Measured {date.today().isoformat()} on {describe_device(torch.device('cpu'))}, CPU, with "
             f"`python docs/experiments/remedies_comparison.py --data-dir {args.data_dir} --epochs {args.epochs}` "
             f"({args.epochs} epochs, seed 0, the best checkpoint; figures on the 10,000 test digits, in nats).",
             "",
             "| remedy | `--model` | -ELBO | KL | min KL_j | MI | AU (of 32) | train time |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['label']} | `{r['model']}` | {r['neg_elbo']:.2f} | {r['kl']:.2f} | {r['kl_min']:.3f} "
                     f"| {r['mi']:.2f} | {r['au']} | {r['train_s'] / 60:.1f} min |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="../shared/data")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--out", default="runs/remedies-comparison")
    args = p.parse_args()
    rows = []
    for label, model in RUNS:
        run, train_s = train_or_load(model, args)
        rows.append({"label": label, "model": model, "train_s": train_s, **measure(run), "kl_min": kl_floor(run)})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "activity_per_dim"}), flush=True)
    doc = Path("docs/remedies.md")
    head, rest = doc.read_text().split(START, 1)
    doc.write_text(head + START + table(rows, args) + END + rest.split(END, 1)[1])
    print(f"wrote {doc}")


if __name__ == "__main__":
    main()
