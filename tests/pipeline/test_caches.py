"""Caches under $VAELAB_CACHE filled by two processes at once: both succeed, one copy is kept and it reads back.

Each process writes its own folder of a unique name and renames it into place
(:func:`vaelab.fileio.publish_folder`); none writes through another's files. The tests
make the two processes' writes overlap: both start on one signal and every rename
waits half a second.
"""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from tests.helpers import QM9_FIXTURE
from vaelab.pipeline import feature_cache, feature_net as fn

#: what both processes do first: wait for the file argv[1], with every rename slowed down, so that the two
#: processes' writes overlap (a process that wrote through the other's files would fail or leave half a cache)
PREAMBLE = """
    import os, sys, time
    from pathlib import Path
    _replace = os.replace
    def slow_replace(*args, **kwargs):
        time.sleep(0.5)
        return _replace(*args, **kwargs)
    os.replace = slow_replace
    while not Path(sys.argv[1]).exists():
        time.sleep(0.005)
"""

#: fills the FD feature-net cache for a small labelled source; the training itself is a seeded stub, so that both
#: processes reach the cache within milliseconds of each other
FEATURE_NET = PREAMBLE + """
    import torch
    from vaelab.pipeline import feature_cache
    from tests.pipeline.test_caches import toy_net, toy_source
    feature_cache.train_feature_net = toy_net
    net, info = feature_cache.load_or_train(toy_source(), torch.device("cpu"))
    print(info["cache_key"], info["test_accuracy"])
"""

#: builds the molecule dataset cache of the QM9 fixture
MOLECULES = PREAMBLE + f"""
    from vaelab.config.schema import DataConfig
    from vaelab.data import load_data
    bundle = load_data(DataConfig(name="smiles", options={{"path": {str(QM9_FIXTURE)!r}}}))
    print(len(bundle.train.x))
"""


def toy_source() -> fn.FeatureSource:
    """A small labelled source (16 features, 3 classes): the net trains in about a second."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(600, 16, generator=gen), torch.randint(0, 3, (600,), generator=gen)
    return fn.FeatureSource("toy", x[:500], y[:500], x[500:], y[500:], binary=False, labels="own")


def toy_net(src: fn.FeatureSource, seed: int = 0) -> tuple[fn.FeatureNet, float]:
    """A feature net for ``src`` with seeded initial weights, in place of training (the same in every process)."""
    torch.manual_seed(seed)
    return fn.FeatureNet(src.n_in, fn.n_classes_of(src)).eval(), 0.5


def _together(script: str, tmp_path: Path, n: int = 2) -> list[subprocess.CompletedProcess]:
    """Run ``script`` in ``n`` processes released at the same moment; their results."""
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                         os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(n)]
    time.sleep(4)  # both have imported what they need and wait for the signal
    go.touch()
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), p.stdout.read(), p.stderr.read())
            for p in procs]


def _leftovers(folder: Path) -> list[str]:
    """Temporary or stale folders and files that publishing left behind."""
    return [p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".stale"))]


def test_two_processes_filling_the_feature_net_cache_both_succeed(tmp_path, monkeypatch):
    results = _together(FEATURE_NET, tmp_path)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    cache = Path(os.environ["VAELAB_CACHE"]) / "feature-nets"
    (folder,) = list(cache.iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["info.json", feature_cache.WEIGHTS] and not _leftovers(cache)
    monkeypatch.setattr(feature_cache, "train_feature_net", lambda *a: pytest.fail("the cached net was trained again"))
    expected = toy_net(toy_source())[0].state_dict()
    net, info = feature_cache.load_or_train(toy_source(), torch.device("cpu"))
    assert info["cache_key"] == folder.name and results[0].stdout == results[1].stdout
    assert all(torch.equal(v, expected[k]) for k, v in net.state_dict().items())


def test_two_processes_building_the_molecule_cache_both_succeed(tmp_path):
    pytest.importorskip("rdkit")
    from vaelab.chem import cache

    results = _together(MOLECULES, tmp_path)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert results[0].stdout == results[1].stdout
    root = Path(os.environ["VAELAB_CACHE"]) / "molecules"
    (folder,) = list(root.iterdir())
    assert cache.load(folder) is not None and not _leftovers(root)
