"""Sequence encoders for token data (SMILES/SELFIES ids): features for a posterior head.

Every encoder takes either token ids (B, L), in any dtype (the trainer hands them over
as floats), or soft token distributions (B, L, V): one-hot rows, or the decoder's
probabilities when NE-VAE re-encodes a reconstruction. Ids are treated exactly as their
one-hot rows, so both give the same features, and gradients flow into soft inputs.

Token rows are laid out ``bos, tokens, eos, pad ... pad`` with pad = id 0
(:class:`vaelab.chem.vocab.Vocabulary`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vaelab.nn.conv import conv_stack
from vaelab.nn.mlp import activation

PAD = 0  # the vocabulary's pad id (vaelab.chem.vocab.Vocabulary.pad_id)


def one_hot_tokens(x: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Ids (B, L) -> one-hot (B, L, V) float; soft input (B, L, V) passes through unchanged."""
    if x.dim() == 2:
        return F.one_hot(x.long(), vocab_size).float()  # (B, L, V)
    if x.dim() == 3 and x.shape[-1] == vocab_size:
        return x
    raise ValueError(f"sequence encoder: expected token ids (B, L) or token probabilities (B, L, {vocab_size}); "
                     f"got shape {tuple(x.shape)}")


def token_lengths(x: torch.Tensor) -> torch.Tensor:
    """Tokens before the padding, bos and eos included: (B,) int64, from ids (B, L) or soft rows (B, L, V).

    A soft row counts as padding where it puts at least half its mass on pad, which for a
    one-hot row is exactly where the id is pad.
    """
    mask = x[..., PAD] < 0.5 if x.dim() == 3 else x != PAD  # (B, L)
    return mask.sum(1)


class _ConvStack(nn.Module):
    """One-hot tokens (B, L, V) -> Conv1d blocks over the sequence -> flattened features (B, F)."""

    def __init__(self, vocab_size: int, length: int, channels, kernels, strides, act: str, batch_norm: bool):
        super().__init__()
        self.vocab_size, self.length = int(vocab_size), int(length)
        # "same"-style zero padding: any sequence length works (the papers pad strings to a fixed width)
        layers = conv_stack(nn.Conv1d, nn.BatchNorm1d, self.vocab_size, channels, kernels, strides, act, batch_norm)
        self.convs = nn.Sequential(*layers, nn.Flatten())
        with torch.no_grad():
            self.conv_features = int(self.convs(torch.zeros(1, self.vocab_size, self.length)).shape[-1])

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = one_hot_tokens(x, self.vocab_size)  # (B, L, V)
        if h.shape[1] != self.length:
            raise ValueError(f"convolutional sequence encoder: sequences of length {h.shape[1]}, "
                             f"built for {self.length}")
        return self.convs(h.transpose(1, 2))  # (B, V, L) -> (B, C * L')


class ChemVAEEncoder(_ConvStack):
    """The chemical VAE encoder (Gómez-Bombarelli et al. 2018, "Automatic chemical design using a
    data-driven continuous representation of molecules", ACS Cent. Sci. 4:268, sec. "Methods"):
    one-hot input, three Conv1D layers of 9, 9 and 10 filters with kernels 9, 9 and 11, flatten,
    then one dense layer (435 units in the paper's ZINC model, as in its keras release).

    The paper pads SMILES to 120 characters and uses unpadded ("valid") convolutions; here
    each convolution zero-pads to keep the length, so short QM9 rows (24 ids) work too.
    """

    def __init__(self, vocab_size: int, length: int, dense: int = 435, act: str = "relu",
                 batch_norm: bool = False):
        super().__init__(vocab_size, length, (9, 9, 10), (9, 9, 11), (1, 1, 1), act, batch_norm)
        self.dense = nn.Sequential(nn.Linear(self.conv_features, dense), activation(act))
        self.out_features = int(dense)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.features(x))  # (B, dense)


class ArticleConvEncoder(_ConvStack):
    """The molecule article's encoder (Cho, "Helping VAE by Regularizing Latent Vector"):
    four convolutional layers over the one-hot tokens, flattened; the posterior head follows.

    The article gives only the depth. Widths are ``model.conv_channels`` (default 32, 32, 64,
    64), kernels 3 and strides 1, 2, 1, 2: the same choices as the article's image encoder
    here (:class:`vaelab.nn.ConvEncoder`), in one dimension.
    """

    def __init__(self, vocab_size: int, length: int, channels=(32, 32, 64, 64), kernel: int = 3,
                 act: str = "relu", batch_norm: bool = False):
        strides = tuple(1 + i % 2 for i in range(len(channels)))
        super().__init__(vocab_size, length, tuple(channels), (kernel,) * len(channels), strides, act, batch_norm)
        self.out_features = self.conv_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # (B, C * L / 4)


class GRUEncoder(nn.Module):
    """Token embedding, a GRU, and its top layer's state at each sequence's eos: (B, hidden).

    The embedding is a linear map of the one-hot rows (``F.embedding`` for ids, a matrix
    product for soft rows: the same numbers). Each batch runs only up to its longest
    sequence, and the state is read at each row's own last token, so a code never depends
    on the padding or on the other rows of the batch.
    """

    def __init__(self, vocab_size: int, embedding: int = 32, hidden: int = 256, layers: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        self.vocab_size = int(vocab_size)
        self.embed = nn.Linear(vocab_size, embedding, bias=False)
        self.gru = nn.GRU(embedding, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.out_features = int(hidden)

    def embed_tokens(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return F.embedding(x.long(), self.embed.weight.t())  # (B, T, E)
        return self.embed(one_hot_tokens(x, self.vocab_size))  # (B, T, V) -> (B, T, E)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lengths = token_lengths(x).clamp_min(1)  # (B,)
        steps = x.shape[1] if torch.compiler.is_compiling() else int(lengths.max())
        out, _ = self.gru(self.embed_tokens(x[:, :steps]))  # (B, T, H)
        last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[-1])  # (B, 1, H)
        return out.gather(1, last).squeeze(1)  # (B, H)


SEQ_ENCODERS = {
    "chemvae": "Gómez-Bombarelli et al. 2018: 3 Conv1D layers (9, 9, 10 filters; kernels 9, 9, 11), dense 435",
    "article-conv": "the molecule article (Cho): four Conv1D layers (model.conv_channels), flattened",
    "gru": "token embedding + GRU; the state at each sequence's eos",
}


def build_seq_encoder(kind: str, vocab_size: int, length: int, cfg) -> nn.Module:
    """The sequence encoder ``model.seq_encoder`` names, sized by the model config."""
    if kind == "chemvae":
        return ChemVAEEncoder(vocab_size, length, cfg.seq_dense, cfg.activation, cfg.batch_norm)
    if kind == "article-conv":
        return ArticleConvEncoder(vocab_size, length, cfg.conv_channels, act=cfg.activation,
                                  batch_norm=cfg.batch_norm)
    if kind == "gru":
        return GRUEncoder(vocab_size, cfg.seq_embedding, cfg.seq_hidden, cfg.seq_layers, cfg.seq_dropout)
    raise ValueError(f"unknown sequence encoder {kind!r}; choose one of {sorted(SEQ_ENCODERS)}")
