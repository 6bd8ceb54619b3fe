"""Backbones in src/vaelab/nn: the MLP, the conv encoder and Xavier initialisation."""

import pytest
import torch
from torch import nn

from vaelab.config import ModelConfig
from vaelab.models import build_model
from vaelab.nn import ACTIVATIONS, MLP, ConvEncoder, xavier_init_


def _pairs(module):
    """(previous, current) over the leaf modules of a Sequential-style module, in order."""
    leaves = [m for m in module.modules() if not list(m.children())]
    return list(zip(leaves, leaves[1:]))


# ---------------------------------------------------------------- MLP

def test_mlp_output_width_and_features():
    mlp = MLP((1, 28, 28), [64, 32])
    assert mlp.in_features == 784 and mlp.out_features == 32
    out = mlp(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 32)


def test_mlp_accepts_flat_and_image_inputs_identically():
    torch.manual_seed(0)
    mlp = MLP((1, 28, 28), [16])
    x = torch.rand(3, 1, 28, 28)
    assert torch.allclose(mlp(x), mlp(x.reshape(3, 784)))


def test_mlp_int_in_shape_and_layer_structure():
    mlp = MLP(10, [8, 6, 4], act="tanh")
    linears = [m for m in mlp.modules() if isinstance(m, nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(10, 8), (8, 6), (6, 4)]
    assert all(l.bias is not None for l in linears)
    assert sum(isinstance(m, nn.Tanh) for m in mlp.modules()) == 3
    assert not any(isinstance(m, nn.BatchNorm1d) for m in mlp.modules())
    assert mlp(torch.zeros(2, 10)).shape == (2, 4)


def test_mlp_without_hidden_layers_is_identity_on_flattened_input():
    mlp = MLP((2, 3), [])
    x = torch.rand(4, 2, 3)
    assert mlp.out_features == 6
    assert torch.equal(mlp(x), x.reshape(4, 6))


def test_mlp_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(4, [4], act="swish")


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_mlp_every_activation_builds(act):
    mlp = MLP(4, [3], act=act)
    assert isinstance(list(mlp.layers)[-1], ACTIVATIONS[act])


def test_mlp_batch_norm_linears_have_no_bias_and_bn_follows_each_linear():
    mlp = MLP((1, 28, 28), [64, 32], batch_norm=True)
    linears = [m for m in mlp.modules() if isinstance(m, nn.Linear)]
    bns = [m for m in mlp.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(linears) == len(bns) == 2
    assert all(l.bias is None for l in linears)
    for prev, cur in _pairs(mlp):
        if isinstance(cur, nn.BatchNorm1d):
            assert isinstance(prev, nn.Linear) and prev.out_features == cur.num_features
    mlp.train()
    out = mlp(torch.rand(8, 1, 28, 28))
    assert out.shape == (8, 32)


def test_model_with_batch_norm_has_bn_only_on_hidden_layers():
    cfg = ModelConfig(latent_dim=3, hidden=[32, 16], batch_norm=True, likelihood="gaussian")
    model = build_model(cfg, (1, 28, 28), "unit")
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(bns) == 4  # two encoder + two decoder hidden layers
    for prev, cur in _pairs(model):
        if isinstance(cur, nn.BatchNorm1d):
            assert isinstance(prev, nn.Linear) and prev.bias is None
    # The heads: plain Linear layers with a bias, and no batch norm anywhere inside or after them.
    for head in (model.posterior_head, model.likelihood_head):
        assert not any(isinstance(m, nn.BatchNorm1d) for m in head.modules())
        assert head.linear.bias is not None
    hidden_linears = [m for part in (model.encoder, model.decoder) for m in part.modules() if isinstance(m, nn.Linear)]
    assert len(hidden_linears) == 4 and all(l.bias is None for l in hidden_linears)
    assert [b.num_features for b in bns] == [32, 16, 16, 32]  # encoder 32, 16; decoder reversed


# ---------------------------------------------------------------- xavier_init_

def test_xavier_init_variance_and_zero_bias():
    torch.manual_seed(0)
    lin = nn.Linear(784, 200)
    nn.init.ones_(lin.bias)
    assert xavier_init_(lin) is lin
    expected = 2.0 / (784 + 200)
    var = float(lin.weight.detach().var())
    assert abs(var - expected) / expected < 0.05
    assert abs(float(lin.weight.detach().mean())) < 1e-3
    assert torch.equal(lin.bias, torch.zeros(200))


def test_xavier_init_reaches_nested_and_conv_layers_and_skips_missing_bias():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(100, 300, bias=False), nn.Sequential(nn.Conv2d(8, 16, 3)), nn.BatchNorm1d(4))
    with torch.no_grad():
        net[1][0].weight.fill_(5.0)
        net[1][0].bias.fill_(5.0)
    xavier_init_(net)
    conv = net[1][0]
    fan_in, fan_out = 8 * 9, 16 * 9
    assert abs(float(conv.weight.detach().var()) - 2.0 / (fan_in + fan_out)) / (2.0 / (fan_in + fan_out)) < 0.1
    assert torch.equal(conv.bias, torch.zeros(16))
    assert abs(float(net[0].weight.detach().var()) - 2.0 / 400) / (2.0 / 400) < 0.05
    assert torch.equal(net[2].weight, torch.ones(4))  # batch norm untouched


def test_build_model_is_xavier_initialised():
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=8, hidden=[200]), (1, 28, 28), "unit")
    first = model.encoder.layers[0]
    assert abs(float(first.weight.detach().var()) - 2.0 / 984) / (2.0 / 984) < 0.05
    for m in model.modules():
        if isinstance(m, nn.Linear):
            assert torch.count_nonzero(m.bias) == 0


# ---------------------------------------------------------------- ConvEncoder

def test_conv_encoder_has_four_conv_layers_with_default_strides():
    enc = ConvEncoder((1, 28, 28))
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 4
    assert [c.out_channels for c in convs] == [32, 32, 64, 64]
    assert [c.stride for c in convs] == [(1, 1), (2, 2), (1, 1), (2, 2)]
    assert all(c.kernel_size == (3, 3) and c.bias is not None for c in convs)


def test_conv_encoder_output_shape():
    enc = ConvEncoder((1, 28, 28))
    assert enc.out_features == 64 * 7 * 7
    out = enc(torch.rand(6, 1, 28, 28))
    assert out.shape == (6, 64 * 7 * 7)
    assert torch.all(out >= 0)  # ends in a ReLU


def test_conv_encoder_flat_input_equals_image_input():
    torch.manual_seed(0)
    enc = ConvEncoder((1, 28, 28))
    x = torch.rand(3, 1, 28, 28)
    assert torch.allclose(enc(x), enc(x.reshape(3, 784)))


def test_conv_encoder_2d_event_shape_gets_a_channel():
    enc = ConvEncoder((28, 28))
    assert enc.in_shape == (1, 28, 28)
    assert enc(torch.rand(2, 28, 28)).shape == (2, 3136)


def test_conv_encoder_custom_channels_and_odd_sizes():
    enc = ConvEncoder((3, 8, 10), channels=(4, 4, 8, 8))
    assert enc.out_features == 8 * 2 * 3  # 8x10 -> 4x5 -> 2x3 with padding 1
    assert enc(torch.rand(2, 3, 8, 10)).shape == (2, 48)


def test_conv_encoder_batch_norm_drops_conv_bias():
    enc = ConvEncoder((1, 28, 28), batch_norm=True)
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in enc.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 4 and all(c.bias is None for c in convs)
    for prev, cur in _pairs(enc):
        if isinstance(cur, nn.BatchNorm2d):
            assert isinstance(prev, nn.Conv2d) and prev.out_channels == cur.num_features


@pytest.mark.parametrize("shape", [(64,), (2, 3, 28, 28)])
def test_conv_encoder_rejects_non_image_event_shapes(shape):
    with pytest.raises(ValueError, match=r"conv encoder needs image data \(C, H, W\); got event shape"):
        ConvEncoder(shape)


def test_conv_encoder_depth_follows_channels_and_rejects_mismatched_strides():
    enc = ConvEncoder((1, 28, 28), channels=(8, 8, 8, 8, 8, 8))
    assert sum(isinstance(m, torch.nn.Conv2d) for m in enc.modules()) == 6
    with pytest.raises(ValueError, match="strides"):
        ConvEncoder((1, 28, 28), channels=(8, 8), strides=(1, 2, 2))
