"""Data-parallel training over ``torch.distributed``: the process group, the shard of a batch, the gradient all-reduce.

A run is data-parallel when it is started by torchrun (or ``vaelab train --nproc N``,
which uses torchrun's machinery): the environment then names ``WORLD_SIZE``, ``RANK``
and ``LOCAL_RANK``. Without them :func:`context` returns :data:`SINGLE` and nothing in
the training loop changes: no process group, no collective, the same arithmetic.

The scheme is synchronous data parallelism as in PyTorch's DDP (Li et al. 2020, "PyTorch
Distributed: Experiences on Accelerating Data Parallel Training", VLDB): every rank holds
the same model and the whole training tensor, builds the same per-epoch permutation,
and at step ``s`` takes its slice of the global batch ``perm[s*B:(s+1)*B]``; after the
backward pass one flat all-reduce sums the size-weighted gradients (and the step's
logged figures), so every rank applies the same Adam update as one process with batch
``B`` would, up to the order of floating-point sums.

Why a flat all-reduce and not ``torch.nn.parallel.DistributedDataParallel``: the
training step takes its gradients either from autograd or, compiled, from
``torch.func.grad_and_value``, which returns gradients instead of accumulating them
into ``.grad`` through the autograd hooks DDP's reducer listens to. One all-reduce of
one flat tensor after the gradients exist serves both paths; DDP's bucketing overlaps
communication with the backward pass, which pays for large models on GPUs, not for the
small networks here (one bucket would hold them all anyway). The same call carries the
loss figures and each rank's example count, so a shard of uneven size (the last partial
batch) is weighted exactly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from dataclasses import dataclass
from datetime import timedelta

import torch

from vaelab.device import device_list, resolve_device
from vaelab.errors import ConfigError
from vaelab.models.registry import get_model_class

#: the environment torchrun gives every worker
ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK")


@dataclass(frozen=True)
class Context:
    """Where this process stands in a data-parallel run; world size 1 is the ordinary single process."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes the run directory, logs and shows progress."""
        return self.rank == 0


#: the ordinary single-process run
SINGLE = Context()


def env_context() -> Context:
    """The context torchrun's environment describes (:data:`SINGLE` outside torchrun)."""
    if not all(k in os.environ for k in ENV):
        return SINGLE
    world = int(os.environ["WORLD_SIZE"])
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    return Context(world, int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"]), local_world)


def is_main() -> bool:
    """True except on the ranks > 0 of a data-parallel run (which must stay silent)."""
    return env_context().is_main


def rank_device(ctx: Context, device) -> torch.device:
    """This rank's device: ``device[LOCAL_RANK]`` for a list, ``cuda:LOCAL_RANK`` for auto/cuda on a GPU node.

    A list names one device per process on a node, so its length must be the number of
    processes per node (``--nproc`` or torchrun's ``--nproc-per-node``).
    """
    names = device_list(device)
    if len(names) > 1 or isinstance(device, list):
        if len(names) != ctx.local_world_size:
            raise ConfigError(f"config key 'train.device' lists {len(names)} devices but {ctx.local_world_size} "
                              f"processes run on this node; list one device per process, or run "
                              f"--nproc {len(names)}")
        return resolve_device(names[ctx.local_rank])
    dev = resolve_device(names[0])
    if dev.type == "cuda" and dev.index is None:
        return torch.device("cuda", ctx.local_rank)
    return dev


def check_supported(cfg, world: int | None = None) -> None:
    """Settings a data-parallel run of ``world`` processes (default: this one's) cannot train correctly: one line."""
    world = env_context().world_size if world is None else world
    if world == 1:
        return
    if cfg.train.batch_size % world:
        raise ConfigError(f"train.batch_size={cfg.train.batch_size} is not divisible by the {world} processes: the "
                          f"global batch is split evenly; choose a multiple of {world}")
    if cfg.train.step == "aggressive":
        raise ConfigError("train.step=aggressive draws its own inner-loop batches and cannot run data-parallel; "
                          "train it in one process (drop --nproc)")
    if cfg.model.batch_norm:
        raise ConfigError("model.batch_norm=true with data-parallel training: each process would normalise with "
                          "its own shard's statistics and keep its own running statistics; set "
                          "model.batch_norm=false or train in one process")
    if cfg.model.posterior == "bn-gaussian":
        raise ConfigError("model.posterior=bn-gaussian (BN-VAE) with data-parallel training: each process would "
                          "normalise the posterior means with its own shard's statistics; train it in one process")
    batch_loss = get_model_class(cfg.model.name).batch_loss
    if batch_loss:
        raise ConfigError(f"model {cfg.model.name}: {batch_loss}, not a mean over examples, so a sharded batch "
                          "changes the objective; train it in one process")


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the launcher that started it dies (even by SIGKILL).

    torchrun starts each worker in a session of its own; without this a killed launcher
    leaves its workers training on, still holding the run directory.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGKILL)


def init(ctx: Context, device: torch.device) -> None:
    """Join the process group: gloo on CPU, nccl on CUDA (once per process)."""
    if not ctx.enabled or torch.distributed.is_initialized():
        return
    _die_with_parent()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend, timeout=timedelta(minutes=30),
                                         device_id=device if device.type == "cuda" else None)


def teardown() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def barrier() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.barrier()


def broadcast(obj, src: int = 0):
    """Rank ``src``'s ``obj`` on every rank (pickled; for small things: a path, a validation record)."""
    if not torch.distributed.is_initialized():
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def sync_parameters(model: torch.nn.Module) -> None:
    """Every rank starts from rank 0's weights (they are equal already when seeded alike; this makes sure)."""
    if not torch.distributed.is_initialized():
        return
    for t in [*model.parameters(), *model.buffers()]:
        torch.distributed.broadcast(t.data, src=0)


def shard(idx: torch.Tensor, ctx: Context) -> tuple[torch.Tensor, float]:
    """(this rank's indices, its share of the batch) for a global batch ``idx`` (B,).

    An even batch gives every rank B/W examples; an uneven one (the last partial batch)
    gives the first ``B mod W`` ranks one more, and the share ``n_rank / B`` weights the
    all-reduce so the mean stays exact.
    """
    b = idx.shape[0]
    lo, hi = ctx.rank * b // ctx.world_size, (ctx.rank + 1) * b // ctx.world_size
    return idx[lo:hi], (hi - lo) / b  # (n_rank,)


class GradReducer:
    """Averages gradients and logged figures over the ranks with one flat all-reduce per step.

    Each rank's loss is the mean over its shard, so the global-batch gradient is
    ``sum_r share_r * grad_r`` (``share_r = n_r / B``): the reducer scales by the share
    and sums. NaN in any rank's figures becomes NaN in everyone's, so all ranks stop together.
    """

    def __init__(self, params: list[torch.Tensor]):
        self.params = params
        self.sizes = [p.numel() for p in params]

    def __call__(self, terms: torch.Tensor, share: float) -> torch.Tensor:
        grads = [torch.zeros_like(p).reshape(-1) if p.grad is None else p.grad.reshape(-1) for p in self.params]
        flat = torch.cat([*grads, terms.reshape(-1)])  # (n_params + n_terms,)
        flat.mul_(share)
        torch.distributed.all_reduce(flat)
        parts = flat.split([*self.sizes, terms.numel()])
        for p, g in zip(self.params, parts):
            p.grad = g.view_as(p)
        return parts[-1].view_as(terms)
