"""One writer per run directory; a run killed before its first epoch restarts cleanly on --resume."""

import json
import os
import socket
import subprocess
import sys

import pytest

import vaelab
from tests.helpers import tiny_config
from vaelab.errors import CheckpointError
from vaelab.rundir.lock import LOCK, run_lock


def test_a_second_writer_gets_one_line_naming_the_first(tmp_path):
    with run_lock(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
        with pytest.raises(CheckpointError, match=f"in use by process {os.getpid()} on"):
            with run_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK).exists()


def test_a_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    with pytest.warns(UserWarning, match="has ended; taking it over"):
        with run_lock(tmp_path):
            pass


def test_training_into_a_run_in_use_is_refused_and_leaves_it_alone(tmp_path):
    run = vaelab.train(tiny_config(epochs=1), out=tmp_path / "run")
    before = {p.name: p.read_bytes() for p in run.path.rglob("*") if p.is_file()}
    with run_lock(run.path):  # another process is training it
        with pytest.raises(CheckpointError, match="is in use by"):
            vaelab.train(out=run.path, resume=True, epochs=2)
    after = {p.name: p.read_bytes() for p in run.path.rglob("*") if p.is_file()}
    assert before == after


def test_resuming_a_run_killed_before_its_first_epoch_starts_it_afresh(tmp_path):
    out = tmp_path / "run"
    first = vaelab.train(tiny_config(epochs=1), out=out)
    import shutil

    shutil.rmtree(out / "checkpoints")  # as if killed after config.yaml, before the first checkpoint
    (out / "metrics.jsonl").write_text('{"epoch": 1, "torn')
    with pytest.warns(UserWarning, match="no finished epoch yet"):
        again = vaelab.train(out=out, resume=True)
    assert [r["epoch"] for r in again.metrics()] == [1]
    assert again.summary["status"] == "completed" and first.config.train.seed == again.config.train.seed


def test_a_holder_that_has_not_written_its_name_yet_is_still_named(tmp_path):
    """The CI failure: the second writer read the lock file between its creation and its content."""
    import fcntl
    import threading

    fd = os.open(tmp_path / LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # taken, name not written yet
    late = threading.Timer(0.2, lambda: os.pwrite(fd, json.dumps({"pid": 4242, "host": "h"}).encode(), 0))
    late.start()
    try:
        with pytest.raises(CheckpointError, match="in use by process 4242 on h"):
            with run_lock(tmp_path):
                pass
    finally:
        late.join()
        os.close(fd)


_RACER = """
import fcntl, os, sys, time
from vaelab.errors import CheckpointError
from vaelab.rundir import lock
from vaelab.rundir.lock import run_lock

class ByteRangeLocks:  # msvcrt.locking's contract, from POSIX byte-range locks, to run the Windows path here
    LK_NBLCK = 2

    @staticmethod
    def locking(fd, mode, nbytes):
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, nbytes, os.lseek(fd, 0, os.SEEK_CUR))

if sys.argv[3] == "windows":
    lock.fcntl, lock.msvcrt = None, ByteRangeLocks
print("ready", flush=True)  # imports done: the test releases every racer at once
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
try:
    with run_lock(sys.argv[1]):
        print("took", flush=True)
        time.sleep(3.0)
except CheckpointError as err:
    print(err, flush=True)
"""


@pytest.mark.parametrize("backend", ["flock", "windows"])
def test_processes_racing_for_a_stale_lock_leave_exactly_one_writer(tmp_path, backend):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    go = tmp_path.parent / f"{tmp_path.name}-go"
    procs = [subprocess.Popen([sys.executable, "-W", "ignore", "-c", _RACER, str(tmp_path), str(go), backend],
                              stdout=subprocess.PIPE, text=True) for _ in range(6)]
    assert all(p.stdout.readline().strip() == "ready" for p in procs)
    go.touch()
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sum(out == "took" for out in outs) == 1, outs
    assert all(out == "took" or "in use by process" in out for out in outs), outs
    assert not (tmp_path / LOCK).exists()
