"""The main job behind ``make demo``: train a VAE on the embedded mnist5k digits, evaluate it, summarise.

Runs offline on a laptop CPU in about a minute. ``python -m vaelab.demo --epochs 5``
shortens it.
"""

from __future__ import annotations

import argparse
import sys
import time

DEMO_CONFIG = {
    "data": {"name": "mnist5k"},  # 4,000 / 500 / 500 digits, dynamically binarised
    "model": {"name": "vae", "latent_dim": 16, "hidden": [200, 200], "activation": "softplus"},
    "train": {"epochs": 150, "batch_size": 100, "seed": 0},
    "optim": {"lr": 1e-3},
}


def main(argv: list[str] | None = None) -> int:
    import vaelab
    from vaelab.cli.output import console, print_error, print_table

    parser = argparse.ArgumentParser(prog="python -m vaelab.demo", description=__doc__)
    parser.add_argument("--epochs", type=int, default=DEMO_CONFIG["train"]["epochs"])
    parser.add_argument("--out", default=None, help="run directory (default runs/vae-mnist5k-<time>)")
    parser.add_argument("--iw-samples", type=int, default=1000)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        console.print(f"[bold]vaelab demo[/]: a VAE on mnist5k, {args.epochs} epochs, CPU-friendly")
        run = vaelab.train(DEMO_CONFIG, out=args.out, epochs=args.epochs)
        console.print(f"evaluating on the test split (importance-weighted NLL with K={args.iw_samples}) ...")
        d = run.evaluate(split="test", iw_samples=args.iw_samples)
    except vaelab.VaelabError as err:
        print_error(str(err))
        return err.exit_code
    s = run.summary
    print_table("vaelab demo: VAE on mnist5k", [
        ("epochs / train time", f"{s['epochs_completed']} / {s['train_time_s']:.1f} s on {s['device']}"),
        ("valid -ELBO (best)", s["best"]["valid_neg_elbo"]),
        ("test -ELBO", d["neg_elbo"]),
        ("test reconstruction / KL", f"{d['rec']:.2f} / {d['kl']:.2f}"),
        (f"test IW NLL (K={d['iw_samples']})", f"{d['iw_nll']:.2f} ± {d['iw_nll_se']:.2f}"),
        ("total time", f"{time.perf_counter() - t0:.1f} s"),
    ])
    console.print(f"run directory: {run.path.resolve()}", highlight=False, soft_wrap=True)
    console.print("  holds: " + ", ".join(sorted(p.name for p in run.path.iterdir())), highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
