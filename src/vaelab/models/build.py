"""Build a model from its config and the data it will see."""

from __future__ import annotations

import math

import torch

from vaelab.models.options import parse_options
from vaelab.distributions import StandardNormalPrior, build_likelihood_head, build_posterior_head
from vaelab.distributions.autoregressive import PixelCNNHead
from vaelab.distributions.sequence import CategoricalSequenceHead, GRUSequenceHead
from vaelab.errors import ConfigError
from vaelab.models.registry import get_model_class
from vaelab.nn import MLP, ConvEncoder, xavier_init_
from vaelab.nn.resnet import ResNetEncoder
from vaelab.nn.seq import build_seq_encoder


def resolve_likelihood(model_cfg, kind: str) -> str:
    """auto -> bernoulli for binary and [0,1] data, gaussian for unbounded real data, categorical for tokens."""
    lik = model_cfg.likelihood
    if lik == "auto":
        return "categorical" if kind == "tokens" else "gaussian" if kind == "real" else "bernoulli"
    if (lik == "categorical") != (kind == "tokens"):
        raise ConfigError(f"config key 'model.likelihood': {lik} does not fit {kind} data; the categorical "
                          "likelihood is for token data (qm9, zinc, smiles) and only it is. Use likelihood=auto")
    return lik


def vocab_size_of(bundle) -> int | None:
    """The number of token ids of a token dataset (its vocabulary's size); None for other data."""
    if bundle.kind != "tokens":
        return None
    vocab = bundle.info.get("vocabulary")
    if not isinstance(vocab, dict) or not isinstance(vocab.get("tokens"), list):
        raise ConfigError(f"dataset '{bundle.name}' holds token ids but no vocabulary; "
                          "token data comes from the molecule datasets (qm9, zinc, smiles)")
    return len(vocab["tokens"])


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


def _sequence_parts(cfg, event_shape, vocab_size: int | None, extra_inputs: int):
    """Encoder backbone, decoder backbone and likelihood head for token ids (B, L).

    The GRU decoder's backbone has no hidden layers by default (z conditions the GRU
    directly); the fully connected decoder's backbone is its three hidden layers, and the
    head's linear layer to the L - 1 positions' logits is its fourth (Cho, "Helping VAE by Regularizing Latent Vector").
    """
    if extra_inputs:
        raise ConfigError("conditional models (cvae) need labelled image or vector data; token data has no labels")
    if not vocab_size:
        raise ConfigError("token data needs the vocabulary size to build a sequence model; "
                          "pass vocab_size to build_model (the trainer takes it from the dataset)")
    if cfg.architecture != "mlp":
        raise ConfigError(f"config key 'model.architecture': {cfg.architecture} is an image encoder; token data "
                          "takes model.seq_encoder (chemvae, article-conv or gru) instead. Drop the architecture")
    if len(event_shape) != 1 or event_shape[0] < 2:
        raise ConfigError(f"token data must be rows of ids (bos ... eos); got event shape {tuple(event_shape)}")
    length = int(event_shape[0])
    encoder = build_seq_encoder(cfg.seq_encoder, vocab_size, length, cfg)
    if cfg.seq_decoder == "fc":
        decoder = MLP(cfg.latent_dim, cfg.decoder_hidden or [256, 512, 1024], cfg.activation, cfg.batch_norm)
        return encoder, decoder, CategoricalSequenceHead(decoder.out_features, vocab_size, length)
    decoder = MLP(cfg.latent_dim, cfg.decoder_hidden or [], cfg.activation, cfg.batch_norm)
    head = GRUSequenceHead(decoder.out_features, vocab_size, length, cfg.seq_embedding, cfg.seq_hidden,
                           cfg.seq_layers, cfg.seq_dropout)
    return encoder, decoder, head


def build_model(cfg, event_shape: tuple[int, ...], kind: str, n_classes: int | None = None,
                vocab_size: int | None = None):
    """Assemble parts named by a :class:`~vaelab.config.ModelConfig` into the registered variant.

    ``n_classes`` (from the training labels) sizes conditional models' inputs;
    ``vocab_size`` (from the dataset's vocabulary, :func:`vocab_size_of`) sizes the
    sequence parts that token data gets (``model.seq_encoder``, ``model.seq_decoder``).
    A model too big for memory is a :class:`ConfigError` naming the sizes to lower.
    """
    _check_fits_in_memory(cfg, event_shape, kind, n_classes, vocab_size)
    try:
        return _assemble(cfg, event_shape, kind, n_classes, vocab_size)
    except (RuntimeError, MemoryError) as err:  # torch.OutOfMemoryError is a RuntimeError
        text = str(err)
        if not isinstance(err, MemoryError) and "alloc" not in text and "out of memory" not in text:
            raise
        raise ConfigError(f"the model does not fit in memory ({text.splitlines()[0][-120:] if text else 'MemoryError'})"
                          f"; {_LOWER.format(cfg=cfg, hidden=list(cfg.hidden))}") from None


_LOWER = "lower model.latent_dim ({cfg.latent_dim}) or the layer widths (model.hidden {hidden}, model.decoder_hidden, ...)"
#: bytes one parameter costs in training: float32 weight, gradient and Adam's two moments
_TRAIN_BYTES_PER_PARAM = 16


def _available_memory() -> int | None:
    """Bytes of physical memory free now (Linux, BSD), or None where the OS does not say."""
    import os

    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_fits_in_memory(cfg, event_shape, kind, n_classes, vocab_size) -> None:
    """Count the parameters on the meta device (no memory used) and refuse a model that cannot be trained here.

    Without this, a huge ``model.latent_dim`` or width is allocated lazily by the OS and
    the process is killed while the weights are initialised, with no message at all.
    """
    free = _available_memory()
    if free is None:
        return
    try:
        with torch.device("meta"):
            n = sum(p.numel() for p in _assemble(cfg, event_shape, kind, n_classes, vocab_size).parameters())
    except Exception:  # noqa: BLE001 - a part that cannot be built on meta: the real build decides
        return
    need = n * _TRAIN_BYTES_PER_PARAM
    if need > free:
        raise ConfigError(f"the model has {n:,} parameters: training it needs about {need / 2**30:.1f} GiB, more "
                          f"than the {free / 2**30:.1f} GiB of memory free; {_LOWER.format(cfg=cfg, hidden=list(cfg.hidden))}")


def _assemble(cfg, event_shape, kind, n_classes, vocab_size):
    """:func:`build_model` without the memory guard."""
    cls = get_model_class(cfg.name)
    options = parse_options(cls.options_model, cfg.options, cfg.name)
    if cls.supported_posteriors is not None and cfg.posterior not in cls.supported_posteriors:
        raise ConfigError(f"config key 'model.posterior': model '{cls.name}' needs one of "
                          f"{', '.join(cls.supported_posteriors)}, not '{cfg.posterior}'")
    conditional = getattr(cls, "conditional", False)
    if conditional and not n_classes:
        raise ConfigError(f"model '{cfg.name}' is conditional and needs labelled data; this dataset has no labels. "
                          "Use a labelled dataset, or condition on k-means clusters: --set data.pseudo_labels=10")
    lik = resolve_likelihood(cfg, kind)
    if lik == "categorical":
        encoder, decoder, likelihood = _sequence_parts(cfg, event_shape, vocab_size, n_classes if conditional else 0)
    else:
        encoder, decoder = _backbones(cfg, event_shape, n_classes if conditional else 0, lik)
    posterior = build_posterior_head(cfg.posterior, encoder.out_features, cfg.latent_dim,
                                     m=cfg.bound_m, s=cfg.bound_s, v=cfg.bound_v, bound=cfg.bound,
                                     std=cfg.posterior_std, gamma=cfg.bn_gamma, delta=cfg.committed_rate)
    mean_act = "identity" if kind == "real" else "sigmoid"
    if lik == "pixelcnn":
        likelihood = _pixelcnn_head(cfg, decoder.out_features, event_shape, kind)
    elif lik != "categorical":
        likelihood = build_likelihood_head(lik, decoder.out_features, event_shape, mean_activation=mean_act,
                                           logvar_bound=cfg.logvar_bound, std=cfg.likelihood_std)
    model = cls(encoder, posterior, decoder, likelihood, StandardNormalPrior(cfg.latent_dim), options)
    model.n_classes = n_classes
    model.vocab_size = vocab_size if lik == "categorical" else None
    xavier_init_(model)
    model.finish_build()
    return model
