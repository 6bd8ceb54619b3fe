"""Wall time of one 8-trial sweep three ways: a shell loop of `vaelab train`, the local executor, and Ray Tune.

The sweep is the one docs/scaling.md describes: the MLP VAE on mnist5k, 2 KL weights x
2 latent sizes x 2 seeds, 20 epochs each. The serial baseline runs the same 8 configs
one after another as separate ``vaelab train`` processes (what the docs' experiment
scripts used to do); ``local`` and ``ray`` run ``vaelab sweep`` with ``--executor``.
Every wall time is measured in this run on this machine, so the ratios compare like
with like; Ray's start-up (``ray.init`` + ``ray.shutdown`` of a local instance) is timed
on its own and reported beside the sweep.

    .venv/bin/python bench/sweep_speed.py                  # serial, local and ray
    .venv/bin/python bench/sweep_speed.py --skip ray       # without Ray

Run it alone: two heavy jobs on a 2-core machine slow each other 2-4x.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

SWEEP = {"base": {"data": {"name": "mnist5k"}, "model": {"name": "vae", "hidden": [200, 200]},
                  "train": {"epochs": 20, "batch_size": 100}},
         "grid": {"kl_schedule.end": [0.5, 1.0], "model.latent_dim": [2, 16]},
         "seeds": 2}


def vaelab(*args: str) -> float:
    """Seconds ``python -m vaelab ARGS`` takes (it must succeed)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaelab", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def serial(folder: Path) -> float:
    """The 8 trials as a shell loop would run them: one ``vaelab train`` process each, one after another."""
    from vaelab.sweeps.spec import expand

    total = 0.0
    for trial in expand(SWEEP):
        cfg = folder / f"{trial.name}.yaml"
        cfg.write_text(yaml.safe_dump(trial.config.model_dump(mode="json")))
        total += vaelab("train", str(cfg), "--out", str(folder / "runs" / trial.name), "--no-progress")
    return total


def sweep(folder: Path, executor: str) -> float:
    spec = folder / "sweep.yaml"
    spec.write_text(yaml.safe_dump(SWEEP))
    return vaelab("sweep", str(spec), "--out", str(folder / "out"), "--executor", executor)


def ray_startup() -> float:
    """Seconds to start and stop a local Ray instance on every core (in a fresh process, as the sweep does)."""
    code = ("import os, time; t=time.perf_counter(); import ray; "
            "ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False); ray.shutdown(); "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip", nargs="*", default=[], choices=["serial", "local", "ray"], help="ways not to run")
    p.add_argument("--out", default=None, help="JSON output (default bench/results/sweep_speed-cpu.json)")
    args = p.parse_args()
    from vaelab.device import describe_device, resolve_device

    result = {"sweep": SWEEP, "trials": 8, "cores": os.cpu_count(), "machine": describe_device(resolve_device("cpu"))}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for way in ("serial", "local", "ray"):
            if way in args.skip:
                continue
            folder = tmp / way
            folder.mkdir()
            seconds = serial(folder) if way == "serial" else sweep(folder, way)
            result[f"{way}_s"] = round(seconds, 2)
            print(f"{way:>7}: {seconds:7.1f} s", flush=True)
    if "ray" not in args.skip:
        result["ray_startup_s"] = round(ray_startup(), 2)
    for way in ("local", "ray"):
        if f"{way}_s" in result and "serial_s" in result:
            result[f"{way}_to_serial"] = round(result[f"{way}_s"] / result["serial_s"], 3)
    headline = tuple(k for k in ("serial_s", "local_s", "ray_s", "ray_startup_s", "local_to_serial", "ray_to_serial")
                     if k in result)
    write_result(Path(args.out) if args.out else REPO / "bench" / "results" / "sweep_speed-cpu.json", result, headline)


if __name__ == "__main__":
    main()
