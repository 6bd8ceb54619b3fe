"""The trainer's callbacks: events, their order and their values against metrics.jsonl."""

import json

from vaelab.config import make_config
from vaelab.fileio import read_jsonl
from vaelab.training import train_run
from tests.helpers import tiny_config


class Recorder:
    def __init__(self):
        self.events = []

    def on_start(self, cfg, run_dir, start_epoch):
        self.events.append(("start", start_epoch, run_dir.name))

    def on_step(self, step, terms):
        self.events.append(("step", step, terms))

    def on_epoch(self, record):
        self.events.append(("epoch", record["epoch"], record))

    def on_end(self, summary):
        self.events.append(("end", summary["status"], summary))


class OnlyEpochs:  # a callback may handle only some events
    def __init__(self):
        self.epochs = []

    def on_epoch(self, record):
        self.epochs.append(record["epoch"])


def test_events_in_order_and_equal_to_the_files(tmp_path):
    rec, partial = Recorder(), OnlyEpochs()
    # 600 synthetic examples, 80% train = 480, batch 50: 10 steps per epoch; log every 4 -> steps 4, 8, 10
    out = train_run(make_config(tiny_config(log_every=4)), out=tmp_path / "r", callbacks=[rec, partial])
    kinds = [e[0] for e in rec.events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert rec.events[0][1] == 0 and rec.events[0][2] == "r"
    steps = [e[1] for e in rec.events if e[0] == "step"]
    assert steps == [4, 8, 10, 14, 18, 20]
    first_step = next(e[2] for e in rec.events if e[0] == "step")
    assert {"loss", "rec", "kl"} <= set(first_step) and all(isinstance(v, float) for v in first_step.values())
    records = read_jsonl(out / "metrics.jsonl")
    assert [e[2] for e in rec.events if e[0] == "epoch"] == records
    assert partial.epochs == [1, 2]
    assert rec.events[-1][2] == json.loads((out / "summary.json").read_text())
    # steps come before the epoch record they belong to
    assert kinds == ["start"] + ["step"] * 3 + ["epoch"] + ["step"] * 3 + ["epoch", "end"]


def test_a_resumed_run_starts_at_its_epoch_and_counts_steps_on(tmp_path):
    out = train_run(make_config(tiny_config(epochs=1)), out=tmp_path / "r")
    rec = Recorder()
    cfg = make_config(tiny_config(epochs=2, log_every=100))
    train_run(cfg, out=out, resume=True, callbacks=[rec])
    assert rec.events[0][1] == 1
    assert [e[1] for e in rec.events if e[0] == "step"] == [20]
    assert [e[1] for e in rec.events if e[0] == "epoch"] == [2]
