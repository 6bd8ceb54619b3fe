"""Build a model from its config and the data it will see."""

from __future__ import annotations

import math

from vaelab.distributions import StandardNormalPrior, build_likelihood_head, build_posterior_head
from vaelab.errors import ConfigError
from vaelab.models.registry import get_model_class
from vaelab.distributions.autoregressive import PixelCNNHead
from vaelab.nn import MLP, ConvEncoder, xavier_init_
from vaelab.nn.resnet import ResNetEncoder


def resolve_likelihood(model_cfg, kind: str) -> str:
    """auto -> bernoulli for binary and [0,1] data, gaussian for unbounded real data."""
    if model_cfg.likelihood != "auto":
        return model_cfg.likelihood
    if kind == "tokens":
        raise ConfigError("token data needs a sequence model (not available yet)")
    return "gaussian" if kind == "real" else "bernoulli"


def _check_options(cls, options: dict) -> dict:
    """Variant options (``model.options``) against the defaults the variant declares."""
    defaults = getattr(cls, "option_defaults", {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        valid = ", ".join(sorted(defaults)) or "none"
        raise ConfigError(f"unknown model option(s) {', '.join(unknown)} for model '{cls.name}'. "
                          f"Valid options: {valid}")
    merged = {**defaults, **options}
    try:
        cls.check_options(merged)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"model '{cls.name}': {err}") from None
    return merged


def _image_encoder(cfg, event_shape, extra_inputs: int):
    if extra_inputs:
        raise ConfigError("config key 'model.architecture': conditional models need architecture=mlp")
    if len(event_shape) not in (2, 3):
        raise ConfigError(f"config key 'model.architecture': {cfg.architecture} needs image data (C, H, W); "
                          f"this dataset's examples have shape {tuple(event_shape)}. Use architecture=mlp")
    if cfg.architecture == "resnet":
        return ResNetEncoder(event_shape, cfg.resnet_channels, cfg.resnet_blocks, act=cfg.activation,
                             batch_norm=cfg.batch_norm)
    return ConvEncoder(event_shape, cfg.conv_channels, act=cfg.activation, batch_norm=cfg.batch_norm)


def _backbones(cfg, event_shape, extra_inputs: int = 0, likelihood: str = "bernoulli"):
    """Encoder and decoder backbones; ``extra_inputs`` widens both inputs (a conditional model's one-hot labels).

    With the PixelCNN likelihood the decoder backbone defaults to no hidden layers, so z
    conditions every PixelCNN layer directly (He et al. 2019).
    """
    if cfg.architecture in ("conv", "resnet"):
        encoder = _image_encoder(cfg, event_shape, extra_inputs)
        dec_hidden = cfg.decoder_hidden or [256, 512, 512]
    else:
        encoder = MLP(math.prod(event_shape) + extra_inputs, cfg.hidden, cfg.activation, cfg.batch_norm)
        dec_hidden = cfg.decoder_hidden or list(reversed(cfg.hidden))
    if likelihood == "pixelcnn":
        dec_hidden = cfg.decoder_hidden or []
    decoder = MLP(cfg.latent_dim + extra_inputs, dec_hidden, cfg.activation, cfg.batch_norm)
    return encoder, decoder


def _pixelcnn_head(cfg, in_features: int, event_shape, kind: str):
    if kind not in ("binary", "unit") or len(event_shape) not in (2, 3) or (len(event_shape) == 3 and event_shape[0] != 1):
        raise ConfigError("config key 'model.likelihood': the PixelCNN decoder models one-channel binary images; "
                          f"this dataset is {kind} with examples of shape {tuple(event_shape)}")
    return PixelCNNHead(in_features, event_shape, cfg.pixelcnn_layers, cfg.pixelcnn_channels, cfg.pixelcnn_kernel)


def build_model(cfg, event_shape: tuple[int, ...], kind: str, n_classes: int | None = None):
    """Assemble parts named by a :class:`~vaelab.config.ModelConfig` into the registered variant.

    ``n_classes`` (from the training labels) sizes conditional models' inputs.
    """
    cls = get_model_class(cfg.name)
    options = _check_options(cls, cfg.options)
    if cls.supported_posteriors is not None and cfg.posterior not in cls.supported_posteriors:
        raise ConfigError(f"config key 'model.posterior': model '{cls.name}' needs one of "
                          f"{', '.join(cls.supported_posteriors)}, not '{cfg.posterior}'")
    conditional = getattr(cls, "conditional", False)
    if conditional and not n_classes:
        raise ConfigError(f"model '{cfg.name}' is conditional and needs labelled data; this dataset has no labels. "
                          "Use a labelled dataset, or condition on k-means clusters: --set data.pseudo_labels=10")
    lik = resolve_likelihood(cfg, kind)
    encoder, decoder = _backbones(cfg, event_shape, n_classes if conditional else 0, lik)
    posterior = build_posterior_head(cfg.posterior, encoder.out_features, cfg.latent_dim,
                                     m=cfg.bound_m, s=cfg.bound_s, v=cfg.bound_v, bound=cfg.bound,
                                     std=cfg.posterior_std)
    mean_act = "identity" if kind == "real" else "sigmoid"
    if lik == "pixelcnn":
        likelihood = _pixelcnn_head(cfg, decoder.out_features, event_shape, kind)
    else:
        likelihood = build_likelihood_head(lik, decoder.out_features, event_shape, mean_activation=mean_act,
                                           logvar_bound=cfg.logvar_bound, std=cfg.likelihood_std)
    model = cls(encoder, posterior, decoder, likelihood, StandardNormalPrior(cfg.latent_dim), options)
    model.n_classes = n_classes
    xavier_init_(model)
    model.finish_build()
    return model
