"""``vaelab train --nproc N``: N local training processes started through torchrun's machinery.

The launcher is torchrun's elastic agent (``torch.distributed.launcher.elastic_launch``,
what ``torchrun --standalone`` runs): a c10d rendezvous on 127.0.0.1 with a port the
operating system picks, no restarts, and each worker running ``python -m vaelab train``
with this command's arguments less ``--nproc``. Everything is checked here first, so a
setting the workers would refuse costs one line and no process start.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
import warnings

from vaelab.device import device_list
from vaelab.errors import ConfigError
from vaelab.training.distributed import check_supported


def worker_args(argv: list[str]) -> list[str]:
    """``argv`` without ``--nproc N`` / ``--nproc=N``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def processes(cfg, nproc: int | None) -> int:
    """The number of processes: ``--nproc``, else the length of a ``train.device`` list; they must agree."""
    names = device_list(cfg.train.device)
    listed = len(names) if (isinstance(cfg.train.device, list) or len(names) > 1) else None
    if nproc is None:
        return listed or 1
    if listed is not None and listed != nproc:
        raise ConfigError(f"--nproc {nproc} but train.device lists {listed} devices ({','.join(names)}); "
                          f"give one device per process, or drop --nproc")
    return nproc


def check(cfg, nproc: int) -> None:
    """The settings a data-parallel run refuses, checked before any process starts."""
    check_supported(cfg, nproc)
    names = device_list(cfg.train.device)
    if any(n.startswith("cuda") for n in names):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("config key 'train.device': CUDA devices were listed but CUDA is not available; "
                              "use device=cpu (gloo) or run on a GPU machine")
        if len(names) == 1 and names[0] in ("cuda", "auto") and nproc > torch.cuda.device_count():
            raise ConfigError(f"--nproc {nproc} with {torch.cuda.device_count()} GPUs: one process per GPU; "
                              "lower --nproc")
    cores = os.cpu_count() or 1
    if nproc > cores and not any(n.startswith("cuda") for n in names):
        warnings.warn(f"--nproc {nproc} on {cores} CPU cores: the processes will contend for cores", stacklevel=2)


def launch(argv: list[str], nproc: int) -> int:
    """Run ``python -m vaelab ARGV`` in ``nproc`` local workers; the exit code of the first failed rank, else 0.

    Each worker gets ``max(1, cores // nproc)`` intra-op threads (``OMP_NUM_THREADS``)
    unless the environment sets them. Workers die with the launcher (see
    :func:`vaelab.training.distributed.init`).
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    # the agent's log lines (a failed worker included): rank 0 has already said what went wrong, in one line
    logging.getLogger("torch.distributed").setLevel(logging.CRITICAL)
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
                          rdzv_backend="c10d", rdzv_endpoint="127.0.0.1:0", max_restarts=0, monitor_interval=0.1)
    try:
        elastic_launch(config, sys.executable)("-m", "vaelab", *argv)
    except ChildFailedError as err:
        codes = {rank: f.exitcode for rank, f in err.failures.items()}
        failed = [codes[r] for r in sorted(codes) if codes[r] > 0]
        return failed[0] if failed else 1
    return 0
