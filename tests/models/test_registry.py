"""Every registered model and preset trains for one epoch on synthetic data: new models are covered automatically."""

import math

import pytest

import vaelab
from vaelab.models.registry import ENTRIES, _ensure_builtin, model_table

_ensure_builtin()


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_registered_model_trains_one_epoch_with_finite_terms(name, tmp_path):
    # 8x8 one-channel "images", so image-only parts (conv, ResNet, PixelCNN, donutness) are covered too
    cfg = {"data": {"name": "synthetic", "options": {"n": 300, "image_side": 8}},
           "model": {"name": name, "latent_dim": 3, "hidden": [16], "resnet_channels": [8, 8],
                     "pixelcnn_layers": 2, "pixelcnn_channels": 8, "pixelcnn_kernel": 3},
           "train": {"epochs": 1, "batch_size": 50, "progress": False}}
    run = vaelab.train(cfg, out=tmp_path / "r")
    record = run.metrics()[-1]
    terms = {k: v for k, v in record.items() if k.startswith(("train_", "valid_")) and isinstance(v, float)}
    assert {"train_loss", "train_rec", "train_kl", "valid_neg_elbo"} <= set(terms)
    assert all(math.isfinite(v) for v in terms.values()), terms
    assert 0 <= record["valid_au"] <= 3
    deterministic = run.config.model.posterior == "deterministic"
    assert ("valid_kl_per_dim" not in record) == deterministic
    if not deterministic:
        assert len(record["valid_kl_per_dim"]) == 3


def test_the_model_table_names_a_source_for_every_entry():
    rows = model_table()
    assert {r["name"] for r in rows} == set(ENTRIES)
    assert all(r["description"] and r["source"] for r in rows)
    expected = {"vae", "iwae", "ne-vae", "ne-vae-se", "ne-vae-lp", "cvae", "anchored-vae", "beta-vae",
                "annealed-vae", "batchnorm-vae", "gaussian-vae", "bernoulli-vae", "bounded-mean",
                "bounded-logvar", "bounded-both", "aggressive-vae", "pixelcnn-vae", "warmup-vae",
                "rae", "rae-l2", "rae-gp", "rae-sn", "ae", "cv-vae", "wae-mmd"}
    assert expected <= set(ENTRIES)


def test_preset_settings_yield_to_explicit_ones():
    cfg = vaelab.make_config({"model": {"name": "bounded-mean", "bound_m": 2.0}})
    assert cfg.model.posterior == "bounded-gaussian" and cfg.model.bound == "mean" and cfg.model.bound_m == 2.0
    cfg = vaelab.make_config({"model": {"name": "beta-vae"}}, ["kl_schedule.cap=0.9"])
    assert cfg.kl_schedule.cap == 0.9 and cfg.kl_schedule.start == 0.1


def test_the_readme_lists_every_model():
    from pathlib import Path

    from vaelab.models.registry import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in ENTRIES if f"`{name}`" not in readme]
    assert not missing, f"README's model table lacks {missing}"
    assert markdown_table() in readme, "README's model table is stale: run python docs/update_readme.py"
