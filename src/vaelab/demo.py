"""The main job behind ``make demo``: a VAE and a bounded-latent VAE on mnist5k, diagnosed, drawn and compared.

Trains both models on the embedded mnist5k digits (offline, CPU), evaluates them
(bounds, MI, active units, bubbles, FD (feature net)), draws every figure, and
writes one HTML report with the two runs side by side. ``python -m vaelab.demo
--epochs 5`` shortens it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from vaelab.diagnostics.catalogue import format_value, metric

BASE = {
    "data": {"name": "mnist5k"},  # 4,000 / 500 / 500 digits, dynamically binarised
    "model": {"name": "vae", "latent_dim": 16, "hidden": [200, 200], "activation": "softplus"},
    "train": {"epochs": 150, "batch_size": 100, "seed": 0},
    "optim": {"lr": 1e-3},
}
# The bounded-latent VAE of Cho, "Helping VAE by Regularizing Latent Vector": mean = m tanh(.), log-variance = s tanh(.) - v.
DEMO_RUNS = {"vae": BASE, "bounded-vae": {**BASE, "model": {**BASE["model"], "name": "bounded-both"}}}


#: the demo table's rows, keys of the metric catalogue (vaelab.diagnostics.catalogue)
DEMO_METRICS = ("neg_elbo", "iw_nll", "mi", "au", "fd.fd_rec", "fd.fd_n", "bubbles.evenness_cv")


def _rows(results: dict) -> list[dict]:
    """One row per metric of DEMO_METRICS, labelled and formatted as the catalogue says; one column per run."""
    rows = []
    for key in DEMO_METRICS:
        m = metric(key)
        rows.append({"metric": m.heading, **{name: format_value(m, d) for name, d in results.items()}})
    return rows


def main(argv: list[str] | None = None) -> int:
    import vaelab
    from vaelab.cli.output import console, print_error, print_listing

    parser = argparse.ArgumentParser(prog="python -m vaelab.demo", description=__doc__)
    parser.add_argument("--epochs", type=int, default=BASE["train"]["epochs"])
    parser.add_argument("--out", default=None, help="folder for both runs and the report (default runs/demo-<time>)")
    parser.add_argument("--iw-samples", type=int, default=5000)
    args = parser.parse_args(argv)
    out = Path(args.out or Path("runs") / f"demo-{datetime.now():%Y%m%d-%H%M%S}")
    t0 = time.perf_counter()
    results, runs = {}, []
    try:
        for name, config in DEMO_RUNS.items():
            console.print(f"[bold]vaelab demo[/]: training {name} on mnist5k, {args.epochs} epochs")
            run = vaelab.train(config, out=out / name, epochs=args.epochs)
            console.print(f"evaluating {name} on the test split (IW NLL with K={args.iw_samples}, MI, AU, FD) ...")
            results[name] = vaelab.evaluate(run, split="test", iw_samples=args.iw_samples)
            console.print(f"drawing the figures of {name} ...")
            vaelab.plot(run.path)
            runs.append(run.path)
        report = vaelab.write_report(runs, out / "report.html")
    except vaelab.VaelabError as err:
        print_error(str(err))
        return err.exit_code
    print_listing(f"vaelab demo: VAE vs bounded-latent VAE on mnist5k (test split, IW NLL with K={args.iw_samples})",
                  _rows(results), ["metric", *results])
    console.print(f"total time {time.perf_counter() - t0:.1f} s", highlight=False)
    console.print(f"run directories: {', '.join(str(p.resolve()) for p in runs)}", highlight=False, soft_wrap=True)
    console.print(f"report: {Path(report).resolve()}", highlight=False, soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
