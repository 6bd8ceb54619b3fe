"""Posterior collapse on binarized MNIST with a 32-dimensional latent: five training schemes side by side.

Trains vanilla VAE, VAE with KL annealing, beta-VAE (beta = 0.8), NE-VAE (se) and
aggressive training with the same MLP (784-200-200-32, softplus, Bernoulli decoder),
seed and budget, then measures on the 10,000 test digits: -ELBO, KL, mutual
information I(x; z) and active units. Writes docs/collapse-comparison.md.

    python docs/experiments/collapse_comparison.py --data-dir ../shared/data --epochs 30
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import date
from pathlib import Path

import torch

import vaelab
from vaelab.device import describe_device
from vaelab.diagnostics import active_units, elbo_terms_mean, mutual_information, posterior_stats

RUNS = [  # (label, --model, extra settings)
    ("VAE (no annealing)", "vae", {}),
    ("VAE, KL annealing 0.1 -> 1 over 10 epochs", "annealed-vae", {}),
    ("beta-VAE, beta = 0.8 (annealed, then held)", "beta-vae", {"kl_schedule": {"cap": 0.8}}),
    ("NE-VAE se (gamma = 1, annealed)", "ne-vae-se", {}),
    ("aggressive training (annealed)", "aggressive-vae", {}),
]


def measure(run) -> dict:
    torch.manual_seed(0)  # the -ELBO's posterior samples: the same figures on every re-measure
    x = run.eval_data("test")
    run.model.eval()
    with torch.no_grad():
        mean, logvar = posterior_stats(run.model.encode, x)
        bounds = elbo_terms_mean(run.model, x)
    mi = mutual_information(mean, logvar, generator=torch.Generator().manual_seed(0))
    au = active_units(mean)
    return {**bounds, "mi": mi["mi"], "au": au["au"], "activity_per_dim": au["activity_per_dim"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="../shared/data")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--out", default="runs/collapse-comparison")
    args = p.parse_args()
    rows = []
    for label, model, extra in RUNS:
        cfg = {"data": {"name": "binarized-mnist", "data_dir": args.data_dir},
               "model": {"name": model, "latent_dim": 32, "hidden": [200, 200]},
               "train": {"epochs": args.epochs, "seed": 0, "progress": False}}
        for section, values in extra.items():
            cfg.setdefault(section, {}).update(values)
        out = Path(args.out) / model
        if (out / "summary.json").is_file():  # finished earlier: measure it again, don't retrain
            run = vaelab.load_run(out)
            train_s = run.summary["train_time_s"]
        else:
            t0 = time.perf_counter()
            run = vaelab.train(cfg, out=out)
            train_s = time.perf_counter() - t0
        rows.append({"label": label, "model": model, "train_s": train_s, **measure(run)})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "activity_per_dim"}), flush=True)
    write_report(rows, args)


def reading(rows) -> list[str]:
    """Statements computed from the rows, then how this setting differs from the NE-VAE paper's."""
    log_n = math.log(10000)
    order = sorted(rows, key=lambda r: r["au"])
    text = ["* Active units, fewest to most: " + ", ".join(f"`{r['model']}` {r['au']}" for r in order) + "."]
    if all(r["mi"] > log_n - 0.15 for r in rows):
        text.append(f"* MI is within 0.15 nats of log N = {log_n:.2f} for every run: with this many informative "
                    "dimensions each test digit's posterior is far from all others, the estimator saturates, "
                    "and MI cannot rank these runs; active units and KL can.")
    text.append("* The NE-VAE paper (Table 1) trains on Omniglot with a ResNet encoder and a 13-layer gated "
                "PixelCNN decoder for 100 epochs, where a vanilla VAE keeps 2-6 active units. A decoder that "
                "strong is what makes collapse severe; the MLP decoder here needs the latent code, so every "
                "scheme keeps more units active and the differences are smaller. The strong-decoder setting "
                "is `--model pixelcnn-vae` (ResNet + gated PixelCNN), too slow to train to convergence on "
                "this 2-core CPU.")
    return text


def write_report(rows, args) -> None:
    lines = [
        "# Posterior collapse on binarized MNIST: five training schemes",
        "",
        f"Measured {date.today().isoformat()} on {describe_device(torch.device('cpu'))}, CPU, with",
        "",
        "```",
        f"python docs/experiments/collapse_comparison.py --data-dir {args.data_dir} --epochs {args.epochs}",
        "```",
        "",
        f"MLP 784-200-200-32 (softplus), Bernoulli decoder, Adam lr 1e-3, batch 100, {args.epochs} epochs, seed 0,",
        "statically binarized MNIST (50k train, 10k valid). Figures on the 10,000 test digits, in nats;",
        "MI is the Hoffman & Johnson estimator over all 10,000 test digits (so at most log 10000 = 9.2),",
        "AU counts dimensions with Var_x E_q[z_u] > 0.01. The best checkpoint (lowest validation",
        "loss) is measured. Runs already in --out are measured again, not retrained.",
        "",
        "| scheme | `--model` | -ELBO | KL | MI | AU (of 32) | train time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | `{r['model']}` | {r['neg_elbo']:.2f} | {r['kl']:.2f} | {r['mi']:.2f} | "
                     f"{r['au']} | {r['train_s'] / 60:.1f} min |")
    lines += ["", "## Reading the table", ""] + reading(rows)
    lines += ["", "Per-dimension activity (sorted, largest first):", ""]
    for r in rows:
        acts = sorted(r["activity_per_dim"], reverse=True)
        lines.append(f"* `{r['model']}`: " + ", ".join(f"{a:.2g}" for a in acts))
    Path("docs/collapse-comparison.md").write_text("\n".join(lines) + "\n")
    print("wrote docs/collapse-comparison.md")


if __name__ == "__main__":
    main()
