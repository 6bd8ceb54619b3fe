"""How many CPU threads a torch computation uses on a machine that others share.

A torch CPU op splits its work over all its threads and waits for the slowest. When
another process holds a core, the thread that should run there waits for the scheduler,
and every parallel region waits for it: on a 2-core machine beside one busy loop, torch's
default of two threads ran the MLP VAE's steps many times slower than one thread did
(``bench/contention.py``). So by default vaelab counts the cores that other processes
leave free and uses that many threads:

    threads = clamp(round(cores - others), 1, cores)

where ``cores`` is the CPU affinity of the process and ``others`` the cores' worth of CPU
time that other processes used in a recent window: the busy time of those CPUs in
``/proc/stat`` minus this process's own (``getrusage``) and its children's (torch.compile's
workers, from ``/proc/<pid>/stat``), divided by the window's length.
The rule is applied when a run or an evaluation starts (a 50 ms window, or the time since the last
measurement) and again at every epoch start (the last epoch as the window), so a run
takes the second core back when its neighbour ends. Without ``/proc/stat`` (macOS,
Windows) ``others`` is the 1-minute load average minus this process.

``VAELAB_THREADS`` chooses: ``auto`` (the default), a number N (fixed), or ``torch``
(torch's own default, one thread per core). Where ``OMP_NUM_THREADS`` is set and
``VAELAB_THREADS`` is not (as torchrun sets it for its workers), that choice stands.

Training figures do not depend on the thread count here: the training products split
their rows, not their sums, over threads (a test checks two runs at 1 and 2 threads give
the same losses); evaluation sums may round differently in the last bits.
"""

from __future__ import annotations

import os
import time

import torch

#: the shortest window the per-epoch update measures over (shorter epochs keep the count)
MIN_WINDOW_S = 0.5
#: the window of the first measurement in a process
FIRST_WINDOW_S = 0.05


def free_core_threads(cores: int, others: float) -> int:
    """threads = clamp(round(cores - others), 1, cores): the cores other processes leave free, at least one."""
    return max(1, min(cores, round(cores - others)))


def _cores() -> list[int] | None:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def _busy_seconds(cpus: list[int] | None) -> float | None:
    """CPU-seconds the ``cpus`` (all where None) have been busy since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as fh:
            lines = [ln.split() for ln in fh if ln.startswith("cpu")]
    except OSError:
        return None
    wanted = {f"cpu{c}" for c in cpus} if cpus is not None else {"cpu"}
    busy = 0
    for fields in lines:
        if fields[0] in wanted:
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            busy += sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _descendant_seconds() -> dict[int, float]:
    """CPU seconds of each living descendant of this process (torch.compile's workers, ...), from /proc."""
    parent, cpu = {}, {}
    try:
        names = [n for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return {}
    hz = os.sysconf("SC_CLK_TCK")
    for name in names:
        try:
            with open(f"/proc/{name}/stat") as fh:
                stat = fh.read()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
        parent[int(name)], cpu[int(name)] = int(fields[1]), (int(fields[11]) + int(fields[12])) / hz
    family, grew = {os.getpid()}, True
    while grew:
        kids = {pid for pid, pp in parent.items() if pp in family} - family
        family |= kids
        grew = bool(kids)
    return {pid: cpu[pid] for pid in family if pid != os.getpid()}


class ThreadPolicy:
    """Measures the other processes' CPU use between calls and sets torch's threads to what is free."""

    def __init__(self):
        self._mark: tuple | None = None  # (wall, busy of our CPUs, own CPU time, {descendant pid: CPU time})

    @staticmethod
    def setting() -> str:
        """``auto``, ``torch``, or a fixed count (as text), from the environment."""
        value = os.environ.get("VAELAB_THREADS", "").strip().lower()
        if value:
            return value
        return "fixed-env" if os.environ.get("OMP_NUM_THREADS") else "auto"

    def _snapshot(self, cpus) -> tuple | None:
        busy = _busy_seconds(cpus)
        return None if busy is None else (time.monotonic(), busy, _own_seconds(), _descendant_seconds())

    def others(self, wait: float = FIRST_WINDOW_S) -> tuple[int, float]:
        """(cores, cores' worth of CPU the other processes used since the last call); waits ``wait`` s if none."""
        cpus = _cores()
        cores = len(cpus) if cpus else (os.cpu_count() or 1)
        now = self._snapshot(cpus)
        if now is None:  # no /proc/stat: the load average, less this process
            try:
                return cores, max(0.0, os.getloadavg()[0] - 1)
            except (AttributeError, OSError):
                return cores, 0.0
        if self._mark is None:
            self._mark = now
        if now[0] - self._mark[0] < wait:  # jiffies are 10 ms: measure over at least ``wait``
            time.sleep(wait - (now[0] - self._mark[0]))
            now = self._snapshot(cpus)
        (wall0, busy0, own0, kids0), (wall1, busy1, own1, kids1) = self._mark, now
        own = own1 - own0 + sum(t - kids0.get(pid, 0.0) for pid, t in kids1.items())  # this process and its children
        self._mark = now
        return cores, max(0.0, busy1 - busy0 - own) / max(wall1 - wall0, 1e-9)

    def apply(self, at_start: bool = True) -> int | None:
        """Set torch's threads by the policy; returns the count set, or None where the policy leaves it alone."""
        value = self.setting()
        if value in ("torch", "fixed-env"):
            return None
        if value != "auto":
            try:
                threads = max(1, int(value))
            except ValueError:
                from vaelab.errors import ConfigError

                raise ConfigError(f"VAELAB_THREADS={value!r} is not auto, torch or a number of threads; "
                                  "unset it for the default (auto)") from None
        else:
            if not at_start and self._mark is not None and time.monotonic() - self._mark[0] < MIN_WINDOW_S:
                return None  # too short a window to say anything: keep the count
            threads = free_core_threads(*self.others())
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        return threads


#: one policy per process: its measurement window runs from one call to the next
POLICY = ThreadPolicy()


def fix_threads(threads: int) -> None:
    """Use ``threads`` threads in this process from now on, the policy included (a sweep worker's share of the cores)."""
    os.environ["VAELAB_THREADS"] = str(threads)
    torch.set_num_threads(threads)


def apply_thread_policy() -> int | None:
    """At a run's start: set torch's threads by ``VAELAB_THREADS`` (auto by default); the count set, or None."""
    return POLICY.apply(at_start=True)


def update_threads() -> int | None:
    """At an epoch start: the auto policy again, over the time since the last call (kept if under 0.5 s)."""
    return POLICY.apply(at_start=False)
