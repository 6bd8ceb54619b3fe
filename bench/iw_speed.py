"""Speed of the importance-weighted NLL (``iw_nll``) against its GEMM floor, and of MI + active units.

The model is the IWAE paper's MLP VAE, 784-200-200-50 with tanh, Bernoulli decoder, on
binarized MNIST's 10,000 test images, K = 5000 samples per image (Burda et al. 2016).
Its weights come from a short training run (``--train-epochs``, default 1, by vaelab's
own Trainer) so that the posterior and the logits look like a real model's; 0 keeps
the Xavier initialisation. Speed hardly depends on the weights.

The GEMM floor is the time of only the matrix products that ``iw_nll`` needs, run
alone in the same process at the same shapes, float32, ``torch.mm`` into preallocated
outputs: the encoder once per example (batches of ``--batch-size``), and the decoder
(three layers) on N * K sample rows, in exactly the chunks ``iw_nll`` uses
(``chunk`` samples x ``batch`` examples rows at a time). Everything else that
``iw_nll`` does (drawing the noise, biases, activations, the Bernoulli log-likelihood,
the log-sum-exp, Python) is the overhead the ratio measures.

On x86 CPUs the fast path computes those products with oneDNN (bias and activation
fused into them), which on its own is faster than ``torch.mm``. So the script also
times the same products with that oneDNN primitive (no bias, no activation) and
reports ``iw_nll`` against it: the honest measure of everything that is not a product.

Shared machines drift in speed, so the measured ``iw_nll`` call is sandwiched between
two ``torch.mm`` floor measurements; the ratio is taken against their mean (as
``bench/train_speed.py`` does) and also reported against the faster of the two.

    python bench/iw_speed.py                      # N = 10000, K = 5000 (several minutes on 2 cores)
    python bench/iw_speed.py --n 1000 --k 500     # a quick look
    python bench/iw_speed.py --synthetic          # random binary images of MNIST's shape (no files needed)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import (  # noqa: E402  (bench/ is on sys.path)
    REPO, add_data_args, binary_mnist_bundle, data_error, mlp_vae_config, prepare_process, write_result,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10000, help="test images (default 10000, the whole test split)")
    p.add_argument("--k", type=int, default=5000, help="importance samples per image (default 5000)")
    p.add_argument("--batch-size", type=int, default=100, help="iw_nll's batch_size (examples per chunk)")
    p.add_argument("--rounds", type=int, default=1, help="timed iw_nll calls, each between two floor measurements")
    p.add_argument("--train-epochs", type=int, default=1, help="epochs of training before measuring (0: init)")
    p.add_argument("--compile", default="auto", choices=["auto", "on", "off"],
                   help="iw_nll's compile argument (auto: iw_nll decides; it compiles jobs this large)")
    p.add_argument("--also-generic", action="store_true", help="also time the generic (unfused) path")
    p.add_argument("--onednn-floor-fraction", type=float, default=0.25,
                   help="share of the products timed for the (informational) oneDNN floor")
    add_data_args(p, "bench/results/iw_speed-cpu[-nN-kK][-synthetic].json")
    return p.parse_args(argv)


def make_model_and_data(args, tmp: Path):
    """The trained (or initial) model and the test images as float32 (N, 1, 28, 28)."""
    from vaelab.models import build_model
    from vaelab.training import Trainer
    from vaelab.training.progress import ProgressReporter

    cfg = mlp_vae_config(args, "tanh", {"batch_size": 100, "device": "cpu", "epochs": max(1, args.train_epochs)})
    bundle = binary_mnist_bundle(cfg, args.synthetic, "synthetic-binary (random pixels, NOT MNIST)", args.n)
    torch.manual_seed(0)
    model = build_model(cfg.model, bundle.event_shape, bundle.kind, bundle.n_classes)
    train_s = 0.0
    if args.train_epochs > 0:
        trainer = Trainer(model, bundle, cfg, tmp, torch.device("cpu"))
        t0 = time.perf_counter()
        for e in range(args.train_epochs):
            trainer.train_epoch(e, 1.0, ProgressReporter(False, 1))
        train_s = time.perf_counter() - t0
    model.eval()
    x = bundle.test.x[: args.n].float()
    if x.shape[0] < args.n:
        raise SystemExit(f"error: the test split has {x.shape[0]} images, fewer than --n {args.n}")
    return model, x, bundle.name, train_s


class IwGemmFloor:
    """The matrix products of ``iw_nll(model, x, k, batch_size)`` alone, at its shapes.

    ``backend="mm"`` is the floor the target is stated against: ``torch.mm`` into
    preallocated outputs. ``backend="onednn"`` runs the same products with the oneDNN
    primitive the fast path uses (packed weights, no bias, no activation), to show how
    much of the result is the matrix-product library rather than the rest of the work.
    """

    def __init__(self, model, n: int, k: int, batch: int, chunk: int, backend: str = "mm"):
        lin = lambda mod: [m for m in mod.modules() if isinstance(m, torch.nn.Linear)]  # noqa: E731
        self.backend = backend
        enc = lin(model.encoder) + lin(model.posterior_head)
        dec = lin(model.decoder) + lin(model.likelihood_head)
        if backend == "onednn":
            pack = torch.ops.mkldnn._reorder_linear_weight
            self.enc_w = [pack(m.weight.detach(), batch) for m in enc]
            self.dec_w = [pack(m.weight.detach(), batch * chunk) for m in dec]
            self.shapes = {"enc": [(m.in_features, m.out_features) for m in enc],
                           "dec": [(m.in_features, m.out_features) for m in dec]}
        else:
            self.enc_w = [m.weight.detach().t() for m in enc]
            self.dec_w = [m.weight.detach().t() for m in dec]
            self.shapes = {"enc": [tuple(w.shape) for w in self.enc_w], "dec": [tuple(w.shape) for w in self.dec_w]}
        # (rows, how many times) per shape: every batch runs k // chunk full chunks and one remainder
        batches = [(batch, n // batch)] + ([(n % batch, 1)] if n % batch else [])
        self.enc_plan = [(b, times) for b, times in batches]
        self.dec_plan = []
        for b, times in batches:
            self.dec_plan.append((chunk * b, times * (k // chunk)))
            if k % chunk:
                self.dec_plan.append(((k % chunk) * b, times))
        g = torch.Generator().manual_seed(0)
        self.bufs = {}
        for part, plan in (("enc", self.enc_plan), ("dec", self.dec_plan)):
            for rows, _ in plan:
                shapes = self.shapes[part]
                self.bufs[part, rows] = (torch.randn(rows, shapes[0][0], generator=g),
                                         [torch.empty(rows, o) for _, o in shapes])
        self.flops = sum(times * 2 * rows * i * o
                         for part, plan in (("enc", self.enc_plan), ("dec", self.dec_plan))
                         for rows, times in plan for i, o in self.shapes[part])
        self.dec_rows = sum(rows * times for rows, times in self.dec_plan)

    def run(self, fraction: float = 1.0) -> float:
        """Seconds for the whole job's products (or the first ``fraction`` of each shape's repetitions)."""
        onednn = self.backend == "onednn"
        linear = torch.ops.mkldnn._linear_pointwise if onednn else None
        t0 = time.perf_counter()
        for part, plan, ws in (("enc", self.enc_plan, self.enc_w), ("dec", self.dec_plan, self.dec_w)):
            for rows, times in plan:
                inp, outs = self.bufs[part, rows]
                for _ in range(max(1, round(times * fraction))):
                    h = inp
                    for w, o in zip(ws, outs):
                        if onednn:
                            h = linear(h, w, None, "none", [], "")
                        else:
                            torch.mm(h, w, out=o)
                            h = o
        return time.perf_counter() - t0


def _cpu_seconds() -> tuple[float, float]:
    """(CPU seconds used by all processes, by this one) so far: from /proc/stat and os.times()."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
        total = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait
    except (OSError, ValueError):
        total = float("nan")
    t = os.times()
    return total, t.user + t.system


def _others_share(start, end, wall: float) -> float:
    """Share of all CPUs that other processes used during ``wall`` seconds."""
    return max(0.0, (end[0] - start[0]) - (end[1] - start[1])) / (wall * (os.cpu_count() or 1))


def time_mi_au(model, x, batch_size: int = 1000) -> dict:
    """posterior_stats + mutual_information + active_units on x, as ``vaelab evaluate`` calls them."""
    from vaelab.diagnostics import active_units, mutual_information, posterior_stats

    t0 = time.perf_counter()
    mean, logvar = posterior_stats(model.encode, x, batch_size=batch_size)
    t1 = time.perf_counter()
    mi = mutual_information(mean, logvar, generator=torch.Generator().manual_seed(0))
    t2 = time.perf_counter()
    au = active_units(mean)
    t3 = time.perf_counter()
    return {"seconds": t3 - t0, "posterior_stats_s": t1 - t0, "mutual_information_s": t2 - t1,
            "active_units_s": t3 - t2, "mi": mi["mi"], "mi_n": mi["mi_n"], "au": au["au"]}


def main(argv=None) -> int:
    from vaelab.device import describe_device
    from vaelab.diagnostics import iw_nll
    from vaelab.diagnostics.likelihood import _sample_chunk, decoder_flops
    from vaelab.diagnostics.iw_fast import FastPlan, IWKernel

    args = parse_args(argv)
    prepare_process(args)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            model, x, data_name, train_s = make_model_and_data(args, Path(tmp))
        except Exception as err:  # the data is the usual culprit
            return data_error(err)
    n, k, bs = x.shape[0], args.k, args.batch_size
    batch = min(bs, n)
    chunk = _sample_chunk(model, batch, k, 2**21)
    compile_arg = {"auto": None, "on": True, "off": False}[args.compile]
    compiled = compile_arg if compile_arg is not None else decoder_flops(model) * k * n >= IWKernel().compile_min_flops
    kernel = IWKernel(compile=compiled)  # one kernel: the warm-up compiles what the rounds then use
    q = model.encode(x[:batch])
    fast_reason = FastPlan.why_not(model, q)
    plan = kernel.plan(model, q, x[:batch], k, chunk)
    backend = "none" if plan is None else ("onednn" if plan.onednn is not None else "torch.mm")
    print(f"model: 784-200-200-50 tanh VAE ({'trained %d epoch(s), %.1fs' % (args.train_epochs, train_s) if args.train_epochs else 'Xavier init'})"
          f"; data: {data_name}, N = {n}, K = {k}; batch {batch} x chunk {chunk} = {batch * chunk} rows; "
          f"fast path: {'yes, ' + backend + ' products' if fast_reason is None else 'no (' + fast_reason + ')'}; "
          f"compiled: {compiled}", flush=True)

    floor = IwGemmFloor(model, n, k, batch, chunk)
    # warm-up: the compiled graph (for the main chunk shape), MKL, the allocator
    t0 = time.perf_counter()
    iw_nll(model, x[:batch], k=k, batch_size=bs, kernel=kernel)
    warmup_s = time.perf_counter() - t0
    floor.run(0.02)
    print(f"warm-up (includes compiling): {warmup_s:.1f}s", flush=True)

    # rounds: floor, iw_nll, floor, iw_nll, floor, ... each iw_nll against the mean of its two neighbours
    floors, runs, ratios, ratios_fast, others = [floor.run()], [], [], [], []
    print(f"GEMM floor: {floors[0]:.2f}s  ({floor.flops / floors[0] / 1e9:.0f} GFLOP/s, {floor.flops:.3g} flops)",
          flush=True)
    for r in range(args.rounds):
        torch.manual_seed(0)
        faults0, busy0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, _cpu_seconds()
        t0 = time.perf_counter()
        res = iw_nll(model, x, k=k, batch_size=bs, kernel=kernel)
        iw_s = time.perf_counter() - t0
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
        others.append(_others_share(busy0, _cpu_seconds(), iw_s))
        runs.append(iw_s)
        floors.append(floor.run())
        before, after = floors[-2], floors[-1]
        ratios.append(iw_s / ((before + after) / 2))
        ratios_fast.append(iw_s / min(before, after))
        print(f"iw_nll: {iw_s:.2f}s -> {res['iw_nll']:.3f} +- {res['iw_nll_se']:.3f} nats (K = {res['iw_samples']}); "
              f"GEMM floor after: {after:.2f}s; ratio {ratios[-1]:.3f} (mean of the floors around it), "
              f"{ratios_fast[-1]:.3f} (the faster); other processes used {others[-1]:.0%} of the CPUs", flush=True)
    med = statistics.median
    iw_s, ratio, ratio_fast = med(runs), med(ratios), med(ratios_fast)
    floor_mean = iw_s / ratio
    print(f"ratio to GEMM floor: {ratio:.3f} (median over {args.rounds} round(s)); target <= 1.3", flush=True)
    onednn_floor = None
    if backend == "onednn":
        frac = args.onednn_floor_fraction
        onednn_floor = IwGemmFloor(model, n, k, batch, chunk, backend="onednn").run(frac) / frac
        print(f"oneDNN GEMM floor (same products, the fast path's library; {frac:.0%} of them, scaled): "
              f"{onednn_floor:.2f}s; iw_nll / that: {iw_s / onednn_floor:.3f}", flush=True)

    generic = None
    if args.also_generic:
        from vaelab.objectives import iw_bound

        torch.manual_seed(0)
        t0 = time.perf_counter()
        vals = torch.cat([-iw_bound(model, x[s:s + bs], k, chunk=chunk) for s in range(0, n, bs)])
        generic = {"seconds": time.perf_counter() - t0, "iw_nll": float(vals.double().mean())}
        print(f"generic path: {generic['seconds']:.2f}s ({generic['seconds'] / floor_mean:.2f}x floor), "
              f"iw_nll {generic['iw_nll']:.3f}", flush=True)

    mi_au = time_mi_au(model, x)
    print(f"posterior_stats + mutual_information + active_units on {n} images: {mi_au['seconds']:.3f}s "
          f"(target < 5s); MI {mi_au['mi']:.3f} nats, AU {mi_au['au']}", flush=True)

    result = {
        "model": "VAE 784-200-200-50 tanh, Bernoulli decoder (IWAE architecture)",
        "weights": f"trained {args.train_epochs} epoch(s) on the training split" if args.train_epochs else "Xavier init",
        "data": data_name, "n": n, "iw_samples": res["iw_samples"], "batch_size": bs, "chunk": chunk,
        "rows_per_chunk": batch * chunk, "decoder_sample_rows": floor.dec_rows,
        "fast_path": fast_reason is None, "fast_path_products": backend, "compiled": bool(compiled),
        "iw_nll": res["iw_nll"], "iw_nll_se": res["iw_nll_se"],
        "iw_nll_seconds": iw_s, "warmup_seconds": warmup_s,
        "iw_nll_seconds_all": runs, "ratio_to_floor_all": ratios, "other_processes_cpu_share": others,
        "gemm_floor_seconds": floor_mean, "gemm_floor_seconds_all": floors,
        "gemm_flops": floor.flops, "gemm_floor_gflops": floor.flops / floor_mean / 1e9,
        "ratio_to_floor": ratio, "ratio_to_faster_floor": ratio_fast, "target_ratio": 1.3,
        "ratio_method": "iw_nll time / mean of the GEMM floors measured just before and just after it; "
                        "median over rounds",
        "floor_definition": "torch.mm into preallocated outputs, float32: encoder + posterior-head layers on every "
                            "batch, decoder + likelihood-head layers on every chunk of chunk x batch sample rows",
        "onednn_gemm_floor_seconds": onednn_floor,
        "ratio_to_onednn_floor": None if onednn_floor is None else iw_s / onednn_floor,
        "page_faults_during_iw_nll": faults,
        "mi_au_seconds": mi_au["seconds"], "mi_au": mi_au, "mi_au_target_seconds": 5.0,
        "generic_path": generic, "train_seconds": train_s,
        "loadavg_start_end": [list(load_start), list(os.getloadavg())],
        "device": "cpu", "device_name": describe_device(torch.device("cpu")),
        "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "python": platform.python_version(),
    }
    suffix = "" if (n, k) == (10000, 5000) else f"-n{n}-k{k}"
    suffix += "-synthetic" if args.synthetic else ""
    suffix += "" if args.compile == "auto" else f"-compile-{args.compile}"
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"iw_speed-cpu{suffix}.json"
    write_result(out, result, ("iw_nll_seconds", "gemm_floor_seconds", "ratio_to_floor", "ratio_to_faster_floor",
                               "mi_au_seconds"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
