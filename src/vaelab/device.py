"""Choosing the device, and running a computation the same way on any machine's thread count."""

from __future__ import annotations

from contextlib import contextmanager

import torch

from vaelab.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA if available, else CPU. Otherwise the named device, checked for availability."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"config key 'train.device': unknown device '{name}'; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key 'train.device': CUDA was requested but is not available; use device=auto or cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("config key 'train.device': MPS was requested but is not available; use device=auto or cpu")
    return device


def device_list(value) -> list[str]:
    """``train.device`` as a list of names: a YAML list, or a comma-separated string (``cuda:0,cuda:1``).

    More than one name means data-parallel training, one process per device.
    """
    names = value if isinstance(value, (list, tuple)) else str(value).split(",")
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise ConfigError("config key 'train.device' is empty; use auto, cpu, cuda, cuda:N or a list such as "
                          "cuda:0,cuda:1")
    return names


def first_device(value) -> str:
    """The first device of ``train.device`` (where a trained run is loaded back in this process)."""
    return device_list(value)[0]


def describe_device(device: torch.device) -> str:
    """A human-readable name: the GPU's model, or the CPU's model name and core count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import os

    return f"{cpu_name()} ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what the platform module says."""
    import platform

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            name = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), name)
    except OSError:
        pass
    return name


@contextmanager
def one_cpu_thread():
    """Run the block with one torch CPU thread and deterministic algorithms, then restore both settings.

    A product split over more threads may sum in another order (floats round differently);
    one thread and ``torch.use_deterministic_algorithms`` make a CPU computation the same
    bits whatever the caller's thread count (``OMP_NUM_THREADS``, ``taskset``).
    """
    threads, strict, warn_only = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                                  torch.is_deterministic_algorithms_warn_only_enabled())
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(strict, warn_only=warn_only)


#: glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Have glibc's malloc keep freed blocks for reuse instead of handing them back to the kernel.

    A training step frees and allocates the same few MB of tensors every time. By default
    glibc serves blocks above its (dynamic) mmap threshold with fresh ``mmap`` pages and
    returns the heap's free top to the kernel past the trim threshold, so the next step
    takes a page fault for every 4 KB it touches again: an ensemble of 8 MLP VAEs took
    2.2 million minor faults an epoch and ran 8.9 s instead of 6.5 s (``bench/ensemble_speed.py``,
    2-core Xeon). Blocks up to ``mmap_threshold`` now come from the heap, and up to
    ``trim_threshold`` bytes of freed heap stay mapped. Peak memory is unchanged (freed memory is
    reused, not added); what is kept after the peak is not handed back until the process ends.
    Linux with glibc only; elsewhere nothing happens. Returns whether both settings took.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) & bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))
