"""Epoch time of the MLP VAE beside 0 and 1 busy-loop processes: torch's default threads vs the best fixed count.

A torch CPU op splits its work over all its threads and waits for the slowest: when another
process holds a core, the thread on it stalls every parallel region. For each contention
level (0 or 1 busy-loop process beside the run) this times ``--steps`` training steps with
torch's default thread count, with ``VAELAB_THREADS=auto``'s rule (:func:`vaelab.device.adaptive_threads`)
and with every fixed count 1..cores, and reports ``default_vs_best`` = default / best fixed
(target: <= 1.15) and ``auto_vs_best``. Measure on an otherwise idle machine.

    python bench/contention.py --synthetic            # random binary data of MNIST's shape
    python bench/contention.py --synthetic --steps 20 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import REPO, add_data_args, write_result  # noqa: E402
from train_speed import make_trainer  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=200, help="training steps per measurement")
    p.add_argument("--repeats", type=int, default=3, help="measurements per setting (median)")
    p.add_argument("--device", default="cpu")
    add_data_args(p, "bench/results/contention-<device>.json")
    args = p.parse_args(argv)
    args.batch_size, args.activation, args.compile, args.rounds = 100, "softplus", False, 1
    return args


def _busy() -> None:
    while True:
        pass


def time_steps(trainer, steps: int, threads: int) -> float:
    """Seconds of ``steps`` steps with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    x = trainer.x_train
    bs = trainer.cfg.train.batch_size
    beta = torch.tensor(1.0)
    xb, side = trainer._batch(torch.arange(bs))
    trainer.step(xb, beta, side)  # warm-up at this thread count
    t0 = time.perf_counter()
    for s in range(steps):
        idx = torch.arange(s * bs, (s + 1) * bs) % x.shape[0]
        xb, side = trainer._batch(idx)
        trainer.step(xb, beta, side)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    from vaelab.device import adaptive_threads

    args = parse_args(argv)
    default = torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    levels = {}
    with tempfile.TemporaryDirectory() as tmp:
        trainer, _ = make_trainer(args, Path(tmp))
        for busy in (0, 1):
            procs = [mp.get_context("spawn").Process(target=_busy, daemon=True) for _ in range(busy)]
            for p in procs:
                p.start()
            try:
                time.sleep(1.0 if busy else 0.0)
                auto = adaptive_threads()
                settings = {"default": default, "auto": auto, **{f"fixed-{n}": n for n in range(1, cores + 1)}}
                times = {name: statistics.median(time_steps(trainer, args.steps, n) for _ in range(args.repeats))
                         for name, n in settings.items()}
            finally:
                for p in procs:
                    p.terminate()
                    p.join()
            best = min(v for k, v in times.items() if k.startswith("fixed-"))
            levels[str(busy)] = {"seconds": times, "threads": settings, "default_vs_best": times["default"] / best,
                                 "auto_vs_best": times["auto"] / best}
            print(f"busy={busy}: " + "  ".join(f"{k} {v:.3f}s" for k, v in times.items()), flush=True)
    torch.set_num_threads(default)
    result = {"steps": args.steps, "batch_size": args.batch_size, "cores": cores, "default_threads": default,
              "levels": levels, "default_vs_best": max(v["default_vs_best"] for v in levels.values()),
              "auto_vs_best": max(v["auto_vs_best"] for v in levels.values()),
              "target": "default_vs_best <= 1.15 at each level", "torch": torch.__version__,
              "python": platform.python_version()}
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"contention-{args.device}.json"
    write_result(out, result, ("default_vs_best", "auto_vs_best"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
