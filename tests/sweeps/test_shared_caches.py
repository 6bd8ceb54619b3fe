"""Four trials at once share the feature-net and molecule caches: one entry each, every trial finishes."""

import os
from pathlib import Path

from vaelab.sweeps.run import run_sweep
from tests.helpers import QM9_FIXTURE, SMALL_SEQ

#: synthetic images (120 in the test split, over the limit of 100): no shipped feature net covers them, so the
#: trials train one and share it through the cache
IMAGES = {"data": {"name": "synthetic", "options": {"n": 1200, "image_side": 8}}, "model": {"hidden": [32], "latent_dim": 2},
          "train": {"epochs": 1, "batch_size": 100, "progress": False}}
MOLECULES = {"data": {"name": "smiles", "options": {"path": str(QM9_FIXTURE)}}, "model": {"name": "vae", **SMALL_SEQ},
             "train": {"epochs": 1, "batch_size": 80, "progress": False}}


def test_four_trials_at_once_fill_the_feature_net_cache_once(tmp_path):
    cache = Path(os.environ["VAELAB_CACHE"]) / "feature-nets"  # the tests' own empty cache (tests/conftest.py)
    rows = run_sweep({"base": IMAGES, "seeds": 4, "evaluate": {"iw_samples": 2, "limit": 100}}, tmp_path / "s",
                     workers=4)
    assert [r["status"] for r in rows] == ["completed"] * 4 and not any(r["error"] for r in rows)
    assert all(r["test_fd_rec"] > 0 for r in rows)  # every trial got an FD, from the one net in the cache
    nets = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(nets) == 1 and (nets[0] / "info.json").is_file()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no half-written folder left behind


def test_four_trials_at_once_build_the_molecule_cache_once(tmp_path):
    cache = Path(os.environ["VAELAB_CACHE"]) / "molecules"
    rows = run_sweep({"base": MOLECULES, "seeds": 4}, tmp_path / "s", workers=4)
    assert [r["status"] for r in rows] == ["completed"] * 4
    built = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(built) == 1 and (built[0] / "meta.json").is_file()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]
