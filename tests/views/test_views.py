"""Figure data: latent paths and the arrays saved for each figure."""

import math

import numpy as np
import pytest
import torch

import vaelab
from tests.helpers import tiny_config
from vaelab.views import BUILDERS, ensure_arrays, lerp, random_rays, slerp


def test_lerp_and_slerp_endpoints():
    a, b = torch.randn(3, 5), torch.randn(3, 5)
    t = torch.linspace(0, 1, 7)
    for path in (lerp(a, b, t), slerp(a, b, t)):
        assert path.shape == (3, 7, 5)
        assert torch.allclose(path[:, 0], a, atol=1e-5) and torch.allclose(path[:, -1], b, atol=1e-5)


def test_slerp_keeps_the_norm_between_equal_norm_points():
    a = torch.tensor([[3.0, 0.0]])
    b = torch.tensor([[0.0, 3.0]])
    path = slerp(a, b, torch.linspace(0, 1, 9))
    assert torch.allclose(path.norm(dim=-1), torch.full((1, 9), 3.0), atol=1e-5)
    mid = path[0, 4]
    assert torch.allclose(mid, torch.tensor([3 / math.sqrt(2), 3 / math.sqrt(2)]), atol=1e-5)
    # nearly parallel points fall back to the straight line
    c = torch.tensor([[1.0, 1e-9]])
    assert torch.allclose(slerp(a, c, torch.tensor([0.5])), lerp(a, c, torch.tensor([0.5])), atol=1e-5)


def test_random_rays_radius_and_mask():
    ends = random_rays(50, 6, 10.0, masked=[1, 4], generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ends.norm(dim=1), torch.full((50,), 10.0), atol=1e-4)
    assert (ends[:, [1, 4]] == 0).all()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cfg = tiny_config()
    cfg["data"]["options"] = {"n": 400, "image_side": 6}
    return vaelab.train(cfg, out=tmp_path_factory.mktemp("runs") / "vae")


def test_every_builder_writes_the_contract(run):
    paths = ensure_arrays(run, list(BUILDERS))
    d = run.model.latent_dim
    ev = tuple(run.meta["event_shape"])
    a = {name: dict(np.load(p)) for name, p in paths.items()}
    assert a["reconstructions"]["x"].shape == a["reconstructions"]["x_rec"].shape == (16, *ev)
    assert a["samples"]["x"].shape == (64, *ev)
    tr = a["traversals"]
    assert tr["x"].shape == (d, 100, *ev) and tr["values"][0] == -10 and tr["values"][-1] == 10
    assert np.all(np.diff(tr["activity"]) <= 0) and sorted(tr["dims"]) == list(range(d))
    it = a["interpolations"]
    for key in ("linear", "spherical", "origin", "origin_masked"):
        assert it[key].shape == (6, 10, *ev)
    assert len(it["masked_dims"]) == 2 and it["masked_dims"][0] == tr["dims"][0]
    la = a["lattice"]
    assert la["x"].shape == (15, 15, *ev) and np.all(np.diff(la["grid"]) > 0)
    assert la["grid"][7] == pytest.approx(0.0, abs=1e-6)  # the middle prior quantile
    assert tuple(a["samples"]["event_shape"]) == ev and str(a["samples"]["kind"]) == run.data.kind


def test_traversal_rows_vary_the_named_dimension(run):
    tr = run.path / "arrays" / "traversals.npz"
    ensure_arrays(run, ["traversals"], options={"traversals": {"steps": 3, "limit": 2.0}})
    arr = np.load(tr)
    top = int(arr["dims"][0])
    z = torch.zeros(3, run.model.latent_dim)
    z[:, top] = torch.tensor([-2.0, 0.0, 2.0])
    expected = run.model.decode(z).mean.detach().numpy()
    assert np.allclose(arr["x"][0].astype(np.float32), expected, atol=2e-3)


def test_unknown_array_name(run):
    with pytest.raises(ValueError, match="unknown figure data"):
        ensure_arrays(run, ["nope"])
