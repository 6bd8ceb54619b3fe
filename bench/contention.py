"""Step time of the MLP VAE beside 0 and 1 busy-loop processes: vaelab's default threads vs the best fixed count.

A torch CPU op splits its work over all its threads and waits for the slowest: when another
process holds a core, the thread on it stalls every parallel region. For each contention
level (0 or 1 busy-loop process beside the run) this times ``--steps`` training steps of the
784-200-200-50 VAE (batch 100) with vaelab's default thread policy (:mod:`vaelab.threads`:
the cores other processes leave free, measured as ``vaelab train`` measures them at its
start), with torch's own default (one thread per core: what vaelab did before), and with
every fixed count 1..cores. It reports ``default_vs_best`` = default / best fixed (target:
<= 1.15 at each level) and ``torch_vs_best``. Measure on an otherwise idle machine;
``VAELAB_THREADS`` and ``OMP_NUM_THREADS`` are ignored here.

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

from vaelab.device import describe_device, keep_freed_memory
from common import REPO, add_data_args, write_result  # noqa: E402
from train_speed import make_trainer  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=500, help="training steps per measurement (500: a binarized-MNIST epoch)")
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


def policy_threads() -> int:
    """The count vaelab's default policy picks now, as at the start of ``vaelab train`` (a fresh 50 ms window)."""
    from vaelab.threads import ThreadPolicy

    return ThreadPolicy().apply()


def main(argv=None) -> int:
    args = parse_args(argv)
    for key in ("VAELAB_THREADS", "OMP_NUM_THREADS"):
        os.environ.pop(key, None)
    keep_freed_memory()  # as vaelab train does
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
                picked = policy_threads()
                settings = {"default": picked, "torch": default, **{f"fixed-{n}": n for n in range(1, cores + 1)}}
                runs = {name: [] for name in settings}
                for _ in range(args.repeats):  # interleaved, so a drift in the machine's speed hits every setting
                    for name, n in settings.items():
                        runs[name].append(time_steps(trainer, args.steps, n))
                times = {name: statistics.median(v) for name, v in runs.items()}
            finally:
                for p in procs:
                    p.terminate()
                    p.join()
            best = min(v for k, v in times.items() if k.startswith("fixed-"))
            levels[str(busy)] = {"seconds": times, "threads": settings, "default_vs_best": times["default"] / best,
                                 "torch_vs_best": times["torch"] / best}
            print(f"busy={busy}: " + "  ".join(f"{k} {v:.3f}s" for k, v in times.items()), flush=True)
    torch.set_num_threads(default)
    result = {"steps": args.steps, "batch_size": args.batch_size, "cores": cores, "default_threads": default,
              "levels": levels, "default_vs_best": max(v["default_vs_best"] for v in levels.values()),
              "torch_vs_best": max(v["torch_vs_best"] for v in levels.values()),
              "target": "default_vs_best <= 1.15 at each level",
              "rule": "threads = clamp(round(cores - others), 1, cores); others = other processes' CPU use (vaelab.threads)",
              "device_name": describe_device(torch.device("cpu")), "torch": torch.__version__,
              "python": platform.python_version()}
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"contention-{args.device}.json"
    write_result(out, result, ("default_vs_best", "torch_vs_best"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
