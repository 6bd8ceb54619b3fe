"""The GRU behind the autoregressive token decoder: logits of the next token given the previous ones and z.

Conditioning follows the chemical VAE's recurrent decoder (Gómez-Bombarelli et al. 2018) and
Bowman et al. 2016 ("Generating sentences from a continuous space"): the decoder
features h (from z) set the initial state through a linear map, and are concatenated
to every step's input embedding, so the decoder cannot forget z after a few tokens.
Probability code lives in :mod:`vaelab.distributions.sequence`.
"""

from __future__ import annotations

import torch
from torch import nn


class GRUDecoderNet(nn.Module):
    """(previous tokens (N, T), features h (N, F)) -> next-token logits (N, T, V)."""

    def __init__(self, in_features: int, vocab_size: int, embedding: int = 32, hidden: int = 256,
                 layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size, self.hidden, self.layers = int(vocab_size), int(hidden), int(layers)
        self.embed = nn.Embedding(vocab_size, embedding)
        self.drop = nn.Dropout(dropout)
        self.init = nn.Linear(in_features, layers * hidden)
        self.gru = nn.GRU(embedding + in_features, hidden, layers, batch_first=True,
                          dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, vocab_size)

    def initial_state(self, h: torch.Tensor) -> torch.Tensor:
        """h (N, F) -> the GRU's initial state (layers, N, hidden), tanh(W h + b)."""
        s = torch.tanh(self.init(h))  # (N, layers * hidden)
        return s.view(h.shape[0], self.layers, self.hidden).transpose(0, 1).contiguous()

    def _inputs(self, tokens: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        e = self.drop(self.embed(tokens.long()))  # (N, T, E)
        return torch.cat([e, h[:, None, :].expand(-1, e.shape[1], -1)], dim=-1)  # (N, T, E + F)

    def forward(self, tokens: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the logits at every step, given the true previous tokens: (N, T, V)."""
        out, _ = self.gru(self._inputs(tokens, h), self.initial_state(h))  # (N, T, hidden)
        return self.out(out)  # (N, T, V)

    def step(self, token: torch.Tensor, h: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One generation step: previous token (N,), h (N, F), state (layers, N, hidden) -> logits (N, V), state."""
        out, state = self.gru(self._inputs(token[:, None], h), state)  # (N, 1, hidden)
        return self.out(out[:, 0]), state  # (N, V)
