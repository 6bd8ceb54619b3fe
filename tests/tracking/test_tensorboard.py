"""TensorBoard: the event files of RUN_DIR/tb read back with TensorBoard's own reader, against metrics.jsonl."""

import time

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from vaelab.config import make_config
from vaelab.fileio import read_jsonl
from vaelab.tracking.names import epoch_scalars
from vaelab.training import train_run
from tests.helpers import tiny_config

#: 600 synthetic examples, 480 for training, batch 50: 10 steps per epoch; log_every 4 -> steps 4, 8, 10, 14, ...
STEPS = 10


def read_events(run_dir) -> EventAccumulator:
    acc = EventAccumulator(str(run_dir / "tb"), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                                "tensors": 0})
    return acc.Reload()


def scalar_steps(acc, tag) -> list[int]:
    return [e.step for e in acc.Scalars(tag)]


def next_second() -> None:
    """Wait for the next wall-clock second: event files are named (and read in order) by their second of creation."""
    time.sleep(1.02 - time.time() % 1)


def check_epochs_equal_metrics(acc, records) -> None:
    for record in records:
        step = record["epoch"] * STEPS
        for tag, value in epoch_scalars(record).items():
            logged = {e.step: e.value for e in acc.Scalars(tag)}
            assert logged[step] == pytest.approx(value, rel=1e-6, abs=1e-7), (tag, record["epoch"])


def test_scalars_histograms_text_and_figures_equal_metrics_jsonl(tmp_path):
    out = train_run(make_config(tiny_config(loggers=["tensorboard"], log_every=4)), out=tmp_path / "r")
    records = read_jsonl(out / "metrics.jsonl")
    acc = read_events(out)
    tags = acc.Tags()
    assert {"train/loss", "valid/neg_elbo", "valid/kl", "valid/au", "beta", "lr", "epoch"} <= set(tags["scalars"])
    check_epochs_equal_metrics(acc, records)
    assert scalar_steps(acc, "valid/loss") == [10, 20]
    assert scalar_steps(acc, "step/loss") == [4, 8, 10, 14, 18, 20]
    assert {"step/rec", "step/kl"} <= set(tags["scalars"])
    hist = acc.Histograms("valid/kl_per_dim")
    assert [h.step for h in hist] == [10, 20]
    for h, record in zip(hist, records):  # one value per latent dimension, summing to the record's
        assert h.histogram_value.num == len(record["valid_kl_per_dim"]) == 4
        assert h.histogram_value.sum == pytest.approx(sum(record["valid_kl_per_dim"]), rel=1e-5)
    assert "config/text_summary" in tags["tensors"]
    text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "latent_dim: 4" in text
    curves = acc.Images("figures/curves")
    assert len(curves) == 1 and curves[0].step == 20 and curves[0].width > 100


def test_a_resumed_run_drops_what_the_killed_run_wrote_after_its_checkpoint(tmp_path):
    out = train_run(make_config(tiny_config(loggers=["tensorboard"], epochs=1, log_every=4)), out=tmp_path / "r")
    next_second()
    from torch.utils.tensorboard import SummaryWriter

    killed = SummaryWriter(str(out / "tb"))  # what a run killed in epoch 2 had written past epoch 1's checkpoint
    for step in (14, 18):
        killed.add_scalar("step/loss", 999.0, step)
    killed.add_scalar("valid/loss", 999.0, 20)
    killed.close()
    next_second()
    train_run(make_config(tiny_config(loggers=["tensorboard"], epochs=3, log_every=4)), out=out, resume=True)
    acc = read_events(out)
    assert scalar_steps(acc, "step/loss") == [4, 8, 10, 14, 18, 20, 24, 28, 30]
    assert 999.0 not in [e.value for e in acc.Scalars("step/loss") + acc.Scalars("valid/loss")]
    assert scalar_steps(acc, "valid/loss") == [10, 20, 30]
    check_epochs_equal_metrics(acc, read_jsonl(out / "metrics.jsonl"))
    assert [h.step for h in acc.Histograms("valid/kl_per_dim")] == [10, 20, 30]
