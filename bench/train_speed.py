"""Training speed of the Kingma-Welling MLP VAE against the GEMM floor, measured in one process.

The model is 784-200-200-50 (softplus, Bernoulli decoder) on binarized MNIST, batch
100, trained by vaelab's own Trainer (the code path `vaelab train` uses). The GEMM
floor is the time of just the matrix products one epoch needs, run in isolation at
the same shapes: for every linear layer, the forward product X W^T and the two
backward products dY W (input gradient) and dY^T X (weight gradient).

Shared machines drift in speed (here by up to 1.5x, for minutes at a time), so each
measured epoch (``Trainer.train_epoch``, the loop `vaelab train` runs) is sandwiched
between two floor measurements of the same number of steps, the ratio is taken
against their mean, and the median over rounds is reported.

    python bench/train_speed.py                       # binarized MNIST from $VAELAB_DATA or ../shared/data
    python bench/train_speed.py --compile             # with torch.compile
    python bench/train_speed.py --synthetic           # random binary data of the same shape (no files needed)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from common import (  # noqa: E402  (bench/ is on sys.path)
    REPO, add_data_args, binary_mnist_bundle, data_error, mlp_vae_config, prepare_process, write_result,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5, help="measured epochs, each between two floor measurements")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--activation", default="softplus", choices=["softplus", "tanh"])
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--device", default="auto")
    add_data_args(p, "bench/results/train_speed-<device>[-compile].json")
    return p.parse_args(argv)


def make_trainer(args, run_dir: Path):
    from vaelab.device import resolve_device
    from vaelab.models import build_model
    from vaelab.training import Trainer

    cfg = mlp_vae_config(args, args.activation, {"batch_size": args.batch_size, "compile": args.compile,
                                                 "device": args.device, "epochs": args.rounds + 1})
    bundle = binary_mnist_bundle(cfg, args.synthetic)
    device = resolve_device(cfg.train.device)
    model = build_model(cfg.model, bundle.event_shape, bundle.kind, bundle.n_classes)
    return Trainer(model, bundle, cfg, run_dir, device), bundle


def linear_shapes(model) -> list[tuple[int, int]]:
    """(in_features, out_features) of every linear layer the training step runs."""
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]


class GemmFloor:
    """The epoch's matrix products alone: per layer X W^T, dY W and dY^T X at batch size B."""

    def __init__(self, shapes, batch: int, device):
        mk = lambda *s: torch.randn(*s, device=device)  # noqa: E731
        self.ops = [(mk(batch, i), mk(o, i), mk(batch, o)) for i, o in shapes]
        self.device = device

    def flops_per_step(self, strict: bool = False) -> int:
        """2*B*in*out per product; ``strict`` drops the first layer's input gradient, which autograd skips."""
        per = [2 * x.shape[0] * w.shape[0] * w.shape[1] for x, w, _ in self.ops]
        return 3 * sum(per) - (per[0] if strict else 0)

    def run(self, steps: int, strict: bool = False) -> float:
        _sync(self.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            for j, (x, w, dy) in enumerate(self.ops):
                torch.mm(x, w.t())
                if not (strict and j == 0):
                    torch.mm(dy, w)
                torch.mm(dy.t(), x)
        _sync(self.device)
        return time.perf_counter() - t0


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv=None) -> int:
    import tempfile

    from vaelab.training.progress import ProgressReporter

    args = parse_args(argv)
    prepare_process(args)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            trainer, bundle = make_trainer(args, Path(tmp))
        except Exception as err:  # the data is the usual culprit
            return data_error(err)
        device = trainer.device
        n, bs = trainer.x_train.shape[0], args.batch_size
        steps = -(-n // bs)
        floor = GemmFloor(linear_shapes(trainer.model), bs, device)
        quiet = ProgressReporter(False, 1)
        t0 = time.perf_counter()
        trainer.train_epoch(0, 1.0, quiet)  # warm-up: allocations, compile
        _sync(device)
        warmup_s = time.perf_counter() - t0
        floor.run(20)
        epochs, floors, stricts = [], [], []
        before, before_strict = floor.run(steps), floor.run(steps, strict=True)
        for r in range(args.rounds):
            _sync(device)
            t0 = time.perf_counter()
            stats = trainer.train_epoch(r + 1, 1.0, quiet)
            _sync(device)
            epochs.append(time.perf_counter() - t0)
            after, after_strict = floor.run(steps), floor.run(steps, strict=True)
            floors.append((before + after) / 2)
            stricts.append((before_strict + after_strict) / 2)
            before, before_strict = after, after_strict
            print(f"epoch {r + 1}: {epochs[-1]:.3f}s  floor {floors[-1]:.3f}s  ratio {epochs[-1] / floors[-1]:.2f}"
                  f"  (train -elbo {stats['rec'] + stats['kl']:.1f})", flush=True)
    result = summarise(args, device, bundle, steps, floor, epochs, floors, stricts, warmup_s)
    out = Path(args.out) if args.out else REPO / "bench" / "results" / (
        f"train_speed-{device.type}{'-compile' if args.compile else ''}.json")
    write_result(out, result, ("seconds_per_epoch", "gflops_achieved", "gemm_floor_seconds", "ratio_to_floor",
                               "ratio_to_strict_floor"))
    return 0


def summarise(args, device, bundle, steps, floor, epochs, floors, stricts, warmup_s) -> dict:
    from vaelab.device import describe_device

    med = statistics.median
    flops = floor.flops_per_step() * steps
    ratios = [e / f for e, f in zip(epochs, floors)]
    return {
        "model": f"VAE 784-200-200-50 {args.activation}, Bernoulli decoder",
        "data": bundle.name, "n_train": len(bundle.train), "batch_size": args.batch_size,
        "steps_per_epoch": steps, "compile": args.compile,
        "seconds_per_epoch": med(epochs), "seconds_per_epoch_all": epochs,
        "gflops_achieved": flops / med(epochs) / 1e9,
        "gemm_floor_seconds": med(floors), "gemm_floor_gflops": flops / med(floors) / 1e9,
        "ratio_to_floor": med(ratios), "ratio_to_floor_all": ratios,
        "ratio_to_strict_floor": med([e / f for e, f in zip(epochs, stricts)]),
        "ratio_method": "median over rounds of epoch time / mean of the floor measured just before and after",
        "strict_floor_note": "strict floor omits the first layer's input gradient, which training never computes",
        "warmup_epoch_seconds": warmup_s,
        "device": str(device), "device_name": describe_device(device),
        "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "python": platform.python_version(),
    }


if __name__ == "__main__":
    sys.exit(main())
