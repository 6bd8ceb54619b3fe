"""Data-parallel training speed on CPU: epochs/s with 1 process and with N gloo processes (``--nproc N``).

The run is ``vaelab train`` itself, through the command line, on mnist5k with the
default MLP VAE (784-200-200-16, batch 100), once as one ordinary process and once as
``vaelab train --nproc N`` (torchrun's machinery, gloo). epochs/s comes from the
``epoch_time_s`` the runs record (median over epochs, the first one excluded as
warm-up), so process start-up and rendezvous are not in it; the wall time of each
command, start-up included, is reported beside it.

On a machine with few cores this measures the cost of DDP, not a speed-up: N processes
share the same cores (each gets cores // N threads) and add an all-reduce per step.
The point of DDP here is correctness; the speed-up comes with more cores or GPUs.

    python bench/ddp_speed.py                  # 1 vs 2 processes, 5 epochs each
    python bench/ddp_speed.py --nproc 4 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, write_result  # noqa: E402  (bench/ is on sys.path)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nproc", type=int, default=2, help="processes of the data-parallel run")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--data", default="mnist5k")
    p.add_argument("--out", default=None, help="JSON output (default bench/results/ddp_speed-cpu.json)")
    return p.parse_args(argv)


def train(args, out: Path, nproc: int) -> dict:
    """One ``vaelab train`` run: its epochs/s (median epoch time, warm-up epoch excluded) and wall time."""
    cmd = [sys.executable, "-m", "vaelab", "train", "--data", args.data, "--epochs", str(args.epochs),
           "--set", "train.device=cpu", "--no-progress", "--out", str(out)]
    if nproc > 1:
        cmd += ["--nproc", str(nproc)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    times = [r["epoch_time_s"] for r in records[1:]] or [records[0]["epoch_time_s"]]
    return {"nproc": nproc, "epochs_per_s": 1.0 / statistics.median(times), "epoch_times_s": times,
            "wall_s": wall, "final_train_neg_elbo": records[-1]["train_neg_elbo"],
            "final_valid_neg_elbo": records[-1]["valid_neg_elbo"]}


def main(argv=None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        one = train(args, Path(tmp) / "one", 1)
        many = train(args, Path(tmp) / "many", args.nproc)
    result = {"data": args.data, "epochs": args.epochs, "cores": os.cpu_count(), "one": one, "many": many,
              "epochs_per_s_1": round(one["epochs_per_s"], 3), f"epochs_per_s_{args.nproc}": round(many["epochs_per_s"], 3),
              "ratio": round(many["epochs_per_s"] / one["epochs_per_s"], 3)}
    out = Path(args.out) if args.out else REPO / "bench" / "results" / "ddp_speed-cpu.json"
    write_result(out, result, ("epochs_per_s_1", f"epochs_per_s_{args.nproc}", "ratio"))


if __name__ == "__main__":
    main()
