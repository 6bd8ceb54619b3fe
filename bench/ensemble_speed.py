"""Speed of K stacked VAEs (an ensemble, issue #17) against K single runs and the GEMM floor.

K members of the MLP VAE 784-200-200-50 on binarized MNIST, batch 100. In one process,
each round times one ensemble epoch (``EnsembleTrainer.train_epoch``: the loop
``vaelab train --ensemble`` runs), one epoch of a single model (``Trainer.train_epoch``,
the loop ``vaelab train`` runs; times K, since K single runs take K epochs) and the GEMM
floor of the K models' products: K x (per layer X W^T, dY W, dY^T X) at batch 100, measured
just before and after the epochs (the machine's speed drifts). Medians over rounds:

* ``ratio_to_floor``     = ensemble epoch / floor of the K models' products (target <= 1.2)
* ``speedup_vs_single``  = K x single epoch / ensemble epoch               (target >= 1.5)

Both sides run as ``vaelab train`` would for a run of ``--epochs`` (10) epochs: ``train.compile=auto``
compiles the ensemble's step (K = 8: from 2,000 steps) and the single model's (from its own threshold);
the first, untimed epoch of each holds the compiling (``warmup_seconds``).

Measure on an idle machine: with other processes running, the numbers say more about them.

    python bench/ensemble_speed.py                     # binarized MNIST ($VAELAB_DATA or ../shared/data)
    python bench/ensemble_speed.py --synthetic --members 2 --rounds 1 --limit 2000   # a quick check
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import (  # noqa: E402  (bench/ is on sys.path)
    REPO, add_data_args, binary_mnist_bundle, data_error, mlp_vae_config, prepare_process, write_result,
)
from train_speed import GemmFloor, _sync, linear_shapes  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=8, help="K, the members of the ensemble (seeds 0..K-1)")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds (ensemble epoch, single epoch, floors)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--limit", type=int, default=None, help="train on the first N examples only (quick checks)")
    p.add_argument("--epochs", type=int, default=10,
                   help="the run length both sides plan for: train.compile=auto decides by it (default 10 epochs)")
    p.add_argument("--compile", default="auto", choices=["auto", "true", "false"],
                   help="train.compile of the ensemble and the single run (auto: each side's own rule)")
    p.add_argument("--device", default="auto")
    add_data_args(p, "bench/results/ensemble_speed-<device>.json")
    return p.parse_args(argv)


def make_shells(args, root: Path):
    """K member Trainers (seeds 0..K-1) over one bundle, each model built after seeding as a single run does."""
    from vaelab.device import resolve_device
    from vaelab.models import build_model
    from vaelab.training import Trainer

    compile = {"auto": "auto", "true": True, "false": False}[args.compile]
    cfg = mlp_vae_config(args, "softplus", {"batch_size": args.batch_size, "device": args.device,
                                            "epochs": max(args.epochs, args.rounds + 1), "compile": compile})
    bundle = binary_mnist_bundle(cfg, args.synthetic)
    if args.limit:
        from vaelab.data import DataBundle, Split

        bundle = DataBundle(bundle.name, bundle.kind, bundle.event_shape, Split(bundle.train.x[: args.limit]),
                            bundle.valid, bundle.test)
    device = resolve_device(cfg.train.device)
    shells = []
    for k in range(args.members + 1):  # the last one is the single run timed beside the ensemble
        member = cfg.model_copy(deep=True)
        member.train.seed = k
        torch.manual_seed(k)
        model = build_model(member.model, bundle.event_shape, bundle.kind, bundle.n_classes)
        shells.append(Trainer(model, bundle, member, root / f"seed-{k}", device))
    return shells[:-1], shells[-1], bundle, device


def ensemble_epoch(ens, epoch: int, quiet) -> float:
    """Seconds of one ensemble epoch's steps (stacking and unstacking included)."""
    from vaelab.training.ensemble import Stack
    from vaelab.training.trainer import epoch_seed

    members = list(range(len(ens.shells)))
    _sync(ens.device)
    t0 = time.perf_counter()
    stack = Stack(ens.shells)
    gens = [torch.Generator(device=ens.device).manual_seed(epoch_seed(s.cfg.train.seed, epoch)) for s in ens.shells]
    ens.train_epoch(stack, members, epoch, [(1.0, s.cfg.optim.lr) for s in ens.shells], gens, quiet)
    stack.unstack()
    _sync(ens.device)
    return time.perf_counter() - t0


def single_epoch(trainer, epoch: int, quiet) -> float:
    _sync(trainer.device)
    t0 = time.perf_counter()
    torch.manual_seed(epoch)
    trainer.train_epoch(epoch, 1.0, quiet)
    _sync(trainer.device)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    from vaelab.training.ensemble import EnsembleTrainer
    from vaelab.training.progress import ProgressReporter

    args = parse_args(argv)
    prepare_process(args)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            shells, single, bundle, device = make_shells(args, Path(tmp))
        except Exception as err:  # the data is the usual culprit
            return data_error(err)
        k = args.members
        ens = EnsembleTrainer(shells, [f"seed-{i}" for i in range(k)])
        quiet = ProgressReporter(False, 1)
        n, bs = single.x_train.shape[0], args.batch_size
        steps = -(-n // bs)
        floor = GemmFloor(linear_shapes(single.model), bs, device)
        warm = ensemble_epoch(ens, 0, quiet), single_epoch(single, 0, quiet)
        floor.run(20)
        ens_s, single_s, floors = [], [], []
        before = floor.run(steps) * k
        for r in range(args.rounds):
            ens_s.append(ensemble_epoch(ens, r + 1, quiet))
            single_s.append(single_epoch(single, r + 1, quiet))
            after = floor.run(steps) * k
            floors.append((before + after) / 2)
            before = after
            print(f"round {r + 1}: ensemble {ens_s[-1]:.3f}s  {k} x single {k * single_s[-1]:.3f}s  "
                  f"floor {floors[-1]:.3f}s", flush=True)
    med = statistics.median
    from vaelab.device import describe_device

    result = {
        "model": "VAE 784-200-200-50 softplus, Bernoulli decoder", "members": k, "data": bundle.name,
        "n_train": n, "batch_size": bs, "steps_per_epoch": steps,
        "seconds_per_epoch_ensemble": med(ens_s), "seconds_per_epoch_single": med(single_s),
        "seconds_per_epoch_k_singles": k * med(single_s), "gemm_floor_seconds": med(floors),
        "ratio_to_floor": med([e / f for e, f in zip(ens_s, floors)]),
        "speedup_vs_single": med([k * s / e for s, e in zip(single_s, ens_s)]),
        "targets": {"ratio_to_floor": "<= 1.2", "speedup_vs_single": ">= 1.5"},
        "warmup_seconds": {"ensemble": warm[0], "single": warm[1]},
        "compiled": {"ensemble": ens.step.compiled, "single": bool(single.step.compiled)},
        "planned_epochs": max(args.epochs, args.rounds + 1),
        "ratio_method": "median over rounds; the floor of each round is the mean of K x the single model's products "
                        "measured just before and after",
        "device": str(device), "device_name": describe_device(device), "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
    }
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"ensemble_speed-{device.type}.json"
    write_result(out, result, ("seconds_per_epoch_ensemble", "seconds_per_epoch_k_singles", "gemm_floor_seconds",
                               "ratio_to_floor", "speedup_vs_single"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
