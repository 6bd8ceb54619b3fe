"""The default thread policy (vaelab.threads): threads = the cores other processes leave free."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from vaelab.errors import ConfigError
from vaelab.threads import ThreadPolicy, apply_thread_policy, free_core_threads


def test_rule_counts_the_cores_left_free():
    assert free_core_threads(2, others=0.0) == 2
    assert free_core_threads(2, others=0.67) == 1  # a busy loop beside two spinning threads gets 2/3 of a core
    assert free_core_threads(2, others=0.3) == 2  # a little background work does not cost a core
    assert free_core_threads(8, others=3.0) == 5
    assert free_core_threads(2, others=9.0) == 1  # never below one


@pytest.fixture
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("env,expected", [({"VAELAB_THREADS": "1"}, 1), ({"VAELAB_THREADS": "torch"}, None),
                                          ({"OMP_NUM_THREADS": "1"}, None)])
def test_settings(monkeypatch, keep_threads, env, expected):
    for key in ("VAELAB_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert apply_thread_policy() == expected
    if expected:
        assert torch.get_num_threads() == expected


def test_a_bad_setting_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("VAELAB_THREADS", "many")
    with pytest.raises(ConfigError, match="VAELAB_THREADS='many'"):
        apply_thread_policy()


BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end:\n    pass"


def _idle_cores(policy) -> int:
    for _ in range(20):  # up to 10 s for what earlier tests started (a Ray cluster shutting down) to finish
        cores, idle = policy.others(wait=0.5)
        if cores >= 2 and idle <= 0.3:
            return cores
    pytest.skip(f"needs two idle cores to measure a neighbour (cores {cores}, others still using {idle:.2f})")


def _window(policy) -> float:
    time.sleep(0.8)  # past the busy process's start-up
    policy.others(wait=0.0)  # a new window from here
    return policy.others(wait=0.5)[1]


def test_a_busy_neighbour_is_measured_as_one_core():
    policy = ThreadPolicy()
    cores = _idle_cores(policy)
    # started through a shell that exits at once: the loop is another process's, not this one's child
    pid = int(subprocess.run(["sh", "-c", f"{sys.executable} -c '{BUSY.format(s=4)}' >/dev/null 2>&1 & echo $!"],
                             capture_output=True, text=True, check=True).stdout)
    try:
        busy = _window(policy)
    finally:
        os.kill(pid, signal.SIGTERM)
    assert 0.7 < busy < 1.3, busy
    assert free_core_threads(cores, busy) == cores - 1


def test_this_process_children_are_not_others():
    # torch.compile's workers are children of the training process: their CPU time is the run's own
    policy = ThreadPolicy()
    _idle_cores(policy)
    child = subprocess.Popen([sys.executable, "-c", BUSY.format(s=4)])
    try:
        busy = _window(policy)
    finally:
        child.terminate()
        child.wait()
    assert busy < 0.3, busy


def test_training_losses_do_not_depend_on_the_thread_count(tmp_path, monkeypatch, keep_threads):
    from tests.helpers import tiny_config
    from vaelab.config import make_config
    from vaelab.training import train_run

    raw = tiny_config(epochs=2, seed=0, batch_size=100)
    raw["data"]["options"] = {"n": 1000, "dim": 784}  # MNIST's width: products big enough for torch to split
    raw["model"]["hidden"] = [200, 200]
    losses = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("VAELAB_THREADS", threads)
        run = train_run(make_config(raw), tmp_path / threads)
        losses[threads] = [json.loads(line)["train_loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert losses["1"] == losses["2"]
