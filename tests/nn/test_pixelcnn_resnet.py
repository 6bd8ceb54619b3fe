"""The gated PixelCNN decoder, its autoregressive likelihood, and the ResNet encoder."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from vaelab.distributions.autoregressive import PixelCNNBernoulli, PixelCNNHead
from vaelab.nn.init import xavier_init_
from vaelab.nn.pixelcnn import PixelCNN
from vaelab.nn.resnet import ResNetEncoder

SIZE = 8
COND = 3


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors and many sequential passes: one thread avoids OpenMP overhead on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _net(layers, kernel, channels=8, size=SIZE, seed=0, xavier=False):
    torch.manual_seed(seed)
    net = PixelCNN((1, size, size), COND, layers=layers, channels=channels, kernel=kernel).double()
    return xavier_init_(net) if xavier else net


def _dependence(net, n=3, size=SIZE):
    """|d logit(i) / d x(j)| summed over n random inputs: (H*W outputs, H*W inputs), raster order."""
    x = torch.rand(n, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = torch.randn(n, COND, dtype=torch.float64)
    out = net(x, h).reshape(n, -1)  # (n, H*W)
    rows = [torch.autograd.grad(out[:, i].sum(), x, retain_graph=True)[0].abs().sum(0).reshape(-1)
            for i in range(size * size)]
    return torch.stack(rows)  # (H*W, H*W)


def _idx(r, c, size=SIZE):
    return r * size + c


# ---------------------------------------------------------------- causality and receptive field

@pytest.mark.parametrize("layers,kernel,xavier", [(1, 3, False), (2, 3, False), (3, 5, True), (4, 1, False)])
def test_logit_depends_only_on_earlier_pixels(layers, kernel, xavier):
    dep = _dependence(_net(layers, kernel, xavier=xavier))
    assert torch.all(dep.triu() == 0), "some logit depends on its own pixel or a later one"
    assert dep[0].sum() == 0
    for r, c in [(1, 1), (3, 4), (SIZE - 1, SIZE - 1), (5, 0), (0, 6)]:
        i = _idx(r, c)
        if r > 0:
            assert dep[i, _idx(r - 1, c)] > 0, f"({r},{c}) ignores the pixel above"
        if c > 0:
            assert dep[i, _idx(r, c - 1)] > 0, f"({r},{c}) ignores the pixel to the left"


@pytest.mark.parametrize("layers,kernel", [(2, 3), (3, 3), (2, 5)])
def test_no_blind_spot_full_rectangle_above_is_visible(layers, kernel):
    """(r, c) sees every pixel of rows r-1-L*(k//2) .. r-1 within L*(k//2) columns, and the row to its left.

    A plain masked PixelCNN (van den Oord et al. 2016, fig. 1) misses e.g. (r-1, c+2)
    after two 3x3 layers; the vertical stack removes that blind spot.
    """
    dep = _dependence(_net(layers, kernel))
    reach = layers * (kernel // 2)
    r, c = SIZE - 2, SIZE // 2
    for rr in range(max(0, r - 1 - reach), r):
        for cc in range(max(0, c - reach), min(SIZE, c + reach + 1)):
            assert dep[_idx(r, c), _idx(rr, cc)] > 0, f"blind spot at ({rr},{cc}) for ({r},{c})"
    for cc in range(max(0, c - reach), c):
        assert dep[_idx(r, c), _idx(r, cc)] > 0
    assert dep[_idx(r, c), _idx(r - 1, c + 1)] > 0  # above-right


def test_top_rows_alone_give_the_top_rows_of_the_output():
    """What sampling relies on: no layer looks downwards."""
    net = _net(3, 5)
    x = torch.bernoulli(torch.full((2, 1, SIZE, SIZE), 0.5, dtype=torch.float64))
    h = torch.randn(2, COND, dtype=torch.float64)
    full = net(x, h)
    for r in (0, 3, SIZE - 1):
        assert torch.allclose(net(x[:, :, : r + 1], h), full[:, :, : r + 1], atol=1e-12)


def test_conditioning_changes_the_logits():
    net = _net(2, 3)
    x = torch.bernoulli(torch.full((4, 1, SIZE, SIZE), 0.5, dtype=torch.float64))
    h = torch.randn(4, COND, dtype=torch.float64)
    a, b = net(x, h), net(x, h + 1.0)
    assert a.shape == (4, 1, SIZE, SIZE)
    assert (a - b).abs().min() > 0  # every pixel, including the first, responds to h


def test_pixelcnn_rejects_bad_settings():
    with pytest.raises(ValueError):
        PixelCNN((3, 8, 8), 2)
    with pytest.raises(ValueError):
        PixelCNN((1, 8, 8), 2, kernel=4)


# ---------------------------------------------------------------- the likelihood

def _head(size=SIZE, seed=1, layers=2, kernel=3):
    torch.manual_seed(seed)
    return PixelCNNHead(COND, (1, size, size), layers=layers, channels=8, kernel=kernel)


def test_head_attributes_and_log_prob_is_minus_bce():
    head = _head()
    assert head.n_out == SIZE * SIZE and head.n_params == 1
    h = torch.randn(5, COND)
    x = torch.bernoulli(torch.full((5, 1, SIZE, SIZE), 0.3))
    p = head(h)
    assert isinstance(p, PixelCNNBernoulli)
    assert p.batch_shape == (5,) and p.event_shape == (1, SIZE, SIZE)
    logits = head.net(x, h)
    expected = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
    assert torch.allclose(p.log_prob(x), expected)
    assert torch.allclose(p.logits(x), logits)
    assert torch.allclose(p.log_prob(x.to(torch.uint8)), expected)  # binary data may arrive as uint8


def test_log_prob_with_leading_sample_dims_matches_slices():
    head = _head()
    k, b = 3, 4
    h = torch.randn(k, b, COND)
    x = torch.bernoulli(torch.full((b, 1, SIZE, SIZE), 0.5))
    p = head(h.reshape(k * b, COND)).reshape_batch((k, b))  # as LatentVariableModel.decode does
    lp = p.log_prob(x)
    assert lp.shape == (k, b) and p.batch_shape == (k, b)
    for i in range(k):
        assert torch.allclose(lp[i], head(h[i]).log_prob(x), atol=1e-5)
    assert torch.allclose(head(h).log_prob(x), lp, atol=1e-5)  # h built (K, B, F) directly
    with pytest.raises(ValueError):
        p.log_prob(x.reshape(b, -1))


def test_reconstruction_is_teacher_forced_differentiable_and_shares_the_pass():
    head = _head()
    calls = []
    head.net.register_forward_hook(lambda *_: calls.append(1))
    h = torch.randn(2, 3, COND, requires_grad=True)
    x = torch.bernoulli(torch.full((3, 1, SIZE, SIZE), 0.5))
    p = head(h)
    lp = p.log_prob(x)
    rec = p.reconstruction(x)
    assert len(calls) == 1  # log_prob and reconstruction of the same x: one network pass
    assert rec.shape == (2, 3, 1, SIZE, SIZE)
    expected = torch.sigmoid(head.net(x.expand(2, 3, 1, SIZE, SIZE).reshape(6, 1, SIZE, SIZE), h.reshape(6, COND)))
    assert torch.allclose(rec, expected.reshape(rec.shape))
    (rec.sum() + lp.sum()).backward()
    assert h.grad.abs().sum() > 0
    x2 = x.clone()
    x2[:, :, 0, 0] = 1 - x2[:, :, 0, 0]
    assert not torch.allclose(p.log_prob(x2), lp)  # a different tensor is scored afresh


def test_probabilities_sum_to_one_over_all_images():
    """sum_x p(x|h) = 1 holds only for a properly causal model (3x3 images: 512 of them)."""
    head = _head(size=3, layers=2, kernel=3).double()
    images = torch.tensor(list(itertools.product([0.0, 1.0], repeat=9)), dtype=torch.float64)  # (512, 9)
    h = torch.randn(2, COND, dtype=torch.float64)
    p = head(h.repeat_interleave(512, 0)).reshape_batch((2, 512))
    total = p.log_prob(images.reshape(512, 1, 3, 3)).exp().sum(-1)  # (2,)
    assert torch.allclose(total, torch.ones(2, dtype=torch.float64), atol=1e-10)


def test_sample_frequencies_follow_the_model():
    head = _head(size=2, layers=2, kernel=3).double()
    with torch.no_grad():
        head.net.out[-1].weight.mul_(8.0)  # sharper conditionals than at initialisation
    h = torch.randn(1, COND, dtype=torch.float64)
    p = head(h)
    torch.manual_seed(0)
    s = p.sample((4000,))  # (4000, 1, 1, 2, 2)
    assert s.shape == (4000, 1, 1, 2, 2)
    codes = (s.reshape(4000, 4) * torch.tensor([8.0, 4.0, 2.0, 1.0], dtype=torch.float64)).sum(-1).long()
    freq = torch.bincount(codes, minlength=16).double() / 4000
    images = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)
    probs = head(h.expand(16, COND)).log_prob(images.reshape(16, 1, 2, 2)).exp()
    assert (freq - probs).abs().sum() / 2 < 0.05  # total variation


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_sample_and_mean_saturate_with_large_logits(sign):
    head = _head()
    with torch.no_grad():
        head.net.out[-1].weight.zero_()
        head.net.out[-1].bias.fill_(sign * 30.0)
    p = head(torch.randn(3, COND))
    s = p.sample()
    assert s.shape == (3, 1, SIZE, SIZE)
    assert torch.all(s == (1.0 if sign > 0 else 0.0))
    assert torch.allclose(p.mean, torch.full_like(p.mean, 1.0 if sign > 0 else 0.0), atol=1e-6)


def test_samples_are_binary_and_mean_is_deterministic():
    head = _head()
    p = head(torch.randn(2, 3, COND).reshape(6, COND)).reshape_batch((2, 3))
    s = p.sample((2,))
    assert s.shape == (2, 2, 3, 1, SIZE, SIZE)
    assert torch.all((s == 0) | (s == 1))
    m = p.mean
    assert m.shape == (2, 3, 1, SIZE, SIZE) and torch.all((m > 0) & (m < 1))
    assert torch.equal(head(p.h.reshape(6, COND)).mean.reshape(m.shape), m)
    with pytest.raises(NotImplementedError):
        p.rsample()


def test_head_handles_two_dimensional_event_shape():
    torch.manual_seed(0)
    head = PixelCNNHead(COND, (SIZE, SIZE), layers=1, channels=4, kernel=3)
    x = torch.bernoulli(torch.full((2, SIZE, SIZE), 0.5))
    p = head(torch.randn(2, COND))
    assert p.log_prob(x).shape == (2,) and p.sample().shape == (2, SIZE, SIZE)


def test_gradients_reach_network_and_conditioning():
    head = _head()
    h = torch.randn(4, COND, requires_grad=True)
    x = torch.bernoulli(torch.full((4, 1, SIZE, SIZE), 0.5))
    head(h).log_prob(x).sum().backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    assert all(q.grad is not None for q in head.parameters())


# ---------------------------------------------------------------- ResNet encoder

@pytest.mark.parametrize("batch_norm", [False, True])
def test_resnet_encoder_shapes(batch_norm):
    torch.manual_seed(0)
    enc = ResNetEncoder((1, 28, 28), batch_norm=batch_norm)
    assert enc.out_features == 64 * 7 * 7
    x = torch.rand(4, 1, 28, 28)
    out = enc(x)
    assert out.shape == (4, enc.out_features)
    assert torch.allclose(enc(x.reshape(4, 784)), out)  # flat input, same batch: same features
    enc.eval()
    assert enc(x[:1]).shape == (1, enc.out_features)
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in enc.modules())
    assert has_bn == batch_norm


def test_resnet_encoder_stages_blocks_and_odd_sizes():
    enc = ResNetEncoder((1, 15, 9), channels=(8, 16, 16, 8), blocks_per_stage=2, act="elu")
    assert enc.out_features == 8 * 2 * 2  # 15 -> 8 -> 4 -> 2 and 9 -> 5 -> 3 -> 2
    assert enc(torch.rand(3, 1, 15, 9)).shape == (3, enc.out_features)
    blocks = [m for m in enc.modules() if type(m).__name__ == "ResidualBlock"]
    assert len(blocks) == 8
    assert ResNetEncoder((28, 28), channels=(4,)).out_features == 4 * 28 * 28
    with pytest.raises(ValueError):
        ResNetEncoder((784,))


def test_resnet_and_pixelcnn_in_the_latent_variable_pipeline():
    """encode -> rsample (K, B, d) -> decode -> log_prob (K, B), through LatentVariableModel."""
    from vaelab.distributions import GaussianPosteriorHead, StandardNormalPrior
    from vaelab.models.base import LatentVariableModel
    from vaelab.nn import MLP

    torch.manual_seed(0)
    d = 4
    enc = ResNetEncoder((1, SIZE, SIZE), channels=(4, 8))
    model = LatentVariableModel(enc, GaussianPosteriorHead(enc.out_features, d), MLP(d, []),
                                PixelCNNHead(d, (1, SIZE, SIZE), layers=2, channels=8, kernel=3),
                                StandardNormalPrior(d))
    xavier_init_(model)
    x = torch.bernoulli(torch.full((5, 1, SIZE, SIZE), 0.5))
    z = model.encode(x).rsample((3,))  # (3, 5, d)
    assert model.decode(z).log_prob(x).shape == (3, 5)
    assert model.sample(2).shape == (2, 1, SIZE, SIZE)
    assert model.sample(2, mean=False).shape == (2, 1, SIZE, SIZE)
