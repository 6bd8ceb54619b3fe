"""Token likelihoods p(x|z) for sequences of ids (SMILES/SELFIES): one categorical per position.

A row of ids is ``bos, t_1 ... t_n, eos, pad ... pad`` (:class:`vaelab.chem.vocab.Vocabulary`:
pad 0, bos 1, eos 2). bos is the given start and is never predicted; the tokens and eos
are, and the padding after eos is not part of the sequence:

    log p(x|z) = sum_{t=1}^{n+1} log p(x_t | x_<t, z)       (positions 1 .. eos)

Two families share this interface:

* :class:`TokenCategorical` (the fully connected decoder of Cho, "Helping VAE by Regularizing Latent Vector"):
  independent categoricals, p(x_t | z), all positions from one output layer;
* :class:`AutoregressiveTokens` (the chemical VAE's recurrent decoder, Gómez-Bombarelli et
  al. 2018): p(x_t | x_<t, z) from a GRU, teacher-forced for ``log_prob`` (input x[:, :-1],
  targets x[:, 1:]), step by step for ``mean`` and ``sample``.

For both, ``mean`` is the greedy decode (ids (*batch, L), int64: the argmax per position,
fed back step by step for the GRU, pad after the first eos), ``sample()`` draws ids the
same way, ``probs`` gives the probabilities along the greedy path (*batch, L, V), and
``reconstruction(x)`` the teacher-forced probabilities of the data x (*batch, L, V), with
x's own bos and pad rows as one-hot rows: a differentiable "soft" reconstruction that the
sequence encoders accept (NE-VAE re-encodes it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vaelab.distributions.base import Distribution
from vaelab.nn.seq_decoder import GRUDecoderNet

PAD, BOS, EOS = 0, 1, 2  # as vaelab.chem.vocab.Vocabulary numbers them


def token_log_prob(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """sum_t log softmax(logits_t)[target_t] over the non-pad targets: logits (N, T, V), targets (N, T) -> (N,)."""
    picked = logits.gather(-1, targets[..., None]).squeeze(-1)  # (N, T)
    lp = picked - torch.logsumexp(logits, dim=-1)  # (N, T)
    return lp.masked_fill(targets == PAD, 0.0).sum(-1)


def finish(ids: torch.Tensor) -> torch.Tensor:
    """Pad everything after each row's first eos: (..., L) -> (..., L)."""
    is_eos = (ids == EOS).long()  # (..., L)
    after = (is_eos.cumsum(-1) - is_eos) > 0  # strictly after the first eos
    return ids.masked_fill(after, PAD)


def data_layout(pred: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Probabilities of the predicted positions laid out like x: (N, T, V), x (N, L) -> (N, L, V).

    Column 0 is one-hot bos; column t in 1..T takes ``pred[:, t - 1]`` where x_t is a token
    or eos, and every other column (x's padding) is one-hot pad.
    """
    n, length = x.shape
    full = F.pad(pred, (0, 0, 1, length - 1 - pred.shape[1]))  # (N, L, V), zero rows at 0 and after T
    scored = F.pad(x[:, 1:] != PAD, (1, 0))  # (N, L), False at column 0
    fixed = F.one_hot(x.masked_fill(scored, PAD), pred.shape[-1]).to(pred.dtype)  # bos / pad rows
    return torch.where(scored[..., None], full, fixed)


def _gumbel_argmax(logits: torch.Tensor) -> torch.Tensor:
    """A draw from softmax(logits) along the last dimension (the Gumbel-max trick): (...,) int64."""
    u = torch.rand_like(logits).clamp_(1e-10, 1.0)
    return (logits - torch.log(-torch.log(u))).argmax(-1)


class TokenDistribution(Distribution):
    """What the token likelihoods share: shapes, broadcasting x over the batch, the masked sum."""

    event_ndim = 1
    length: int
    vocab_size: int

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size((self.length,))

    def _flat_x(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., L) broadcast to (*batch, L), then flattened to (N, L) int64."""
        if x.shape[-1] != self.length:
            raise ValueError(f"token likelihood: x has shape {tuple(x.shape)}, expected rows of {self.length} ids")
        return x.long().expand(*self.batch_shape, self.length).reshape(-1, self.length)  # (N, L)

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        raise NotImplementedError("token ids have no reparameterised sample; use sample(), or "
                                  "reconstruction(x) for differentiable probabilities")


class TokenCategorical(TokenDistribution):
    """Independent categoricals per position: logits (*batch, L - 1, V) for positions 1 .. L - 1."""

    def __init__(self, logits: torch.Tensor):
        self.logits = logits  # (*batch, L - 1, V)
        self.length, self.vocab_size = logits.shape[-2] + 1, logits.shape[-1]

    @property
    def batch_shape(self) -> torch.Size:
        return self.logits.shape[:-2]

    def _flat_logits(self) -> torch.Tensor:
        return self.logits.reshape(-1, self.length - 1, self.vocab_size)  # (N, L - 1, V)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """sum over positions 1 .. eos of log p(x_t | z): (*batch,)."""
        x = self._flat_x(value)  # (N, L)
        return token_log_prob(self._flat_logits(), x[:, 1:]).reshape(self.batch_shape)

    def _with_bos(self, ids: torch.Tensor) -> torch.Tensor:
        bos = torch.full((*ids.shape[:-1], 1), BOS, dtype=ids.dtype, device=ids.device)
        return finish(torch.cat([bos, ids], dim=-1))  # (..., L)

    @property
    def mean(self) -> torch.Tensor:
        """Greedy ids: the most likely token per position, pad after the first eos: (*batch, L) int64."""
        return self._with_bos(self.logits.argmax(-1))

    def sample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Ids drawn position by position (independently): (*sample_shape, *batch, L) int64."""
        logits = self.logits.expand(*tuple(sample_shape), *self.logits.shape)
        with torch.no_grad():
            return self._with_bos(_gumbel_argmax(logits))

    @property
    def probs(self) -> torch.Tensor:
        """p(x_t | z) for every position, column 0 one-hot bos: (*batch, L, V) (differentiable)."""
        p = torch.softmax(self.logits, dim=-1)  # (*batch, L - 1, V)
        bos = F.one_hot(torch.tensor(BOS, device=p.device), self.vocab_size).to(p.dtype)
        return torch.cat([bos.expand(*p.shape[:-2], 1, -1), p], dim=-2)

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """p(x_t | z) at x's token and eos positions, x's bos and pad as one-hot rows: (*batch, L, V)."""
        pred = torch.softmax(self._flat_logits(), dim=-1)  # (N, L - 1, V)
        return data_layout(pred, self._flat_x(x)).reshape(*self.batch_shape, self.length, self.vocab_size)

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "TokenCategorical":
        return TokenCategorical(self.logits.reshape(*batch_shape, self.length - 1, self.vocab_size))


class AutoregressiveTokens(TokenDistribution):
    """p(x_t | x_<t, h) from a :class:`~vaelab.nn.seq_decoder.GRUDecoderNet`; h (*batch, F) = decoder(z).

    ``log_prob`` is one teacher-forced GRU pass over the batch, run only up to the batch's
    longest sequence (the positions after it are all padding and add nothing). ``mean``,
    ``probs`` and ``sample`` generate step by step: L - 1 GRU steps, vectorised over the
    batch, stopping early once every row has emitted eos.
    """

    def __init__(self, net: GRUDecoderNet, h: torch.Tensor, length: int):
        self.net, self.h, self.length, self.vocab_size = net, h, int(length), net.vocab_size
        self._mean: torch.Tensor | None = None
        self._forced: tuple | None = None  # (x as given, (targets, logits)) of the last teacher-forced pass

    @property
    def batch_shape(self) -> torch.Size:
        return self.h.shape[:-1]

    def _flat_h(self) -> torch.Tensor:
        return self.h.reshape(-1, self.h.shape[-1])  # (N, F)

    def _teacher_forced(self, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Targets (N, T) and logits (N, T, V), T = the batch's longest row less bos; one pass per x object."""
        if self._forced is not None and self._forced[0] is value:
            return self._forced[1]
        x = self._flat_x(value)  # (N, L)
        steps = self.length if torch.compiler.is_compiling() else int((x != PAD).sum(1).max())
        logits = self.net(x[:, : steps - 1], self._flat_h())  # inputs x_0 .. x_{T-1}: (N, T, V)
        self._forced = (value, (x[:, 1:steps], logits))
        return self._forced[1]

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """sum over positions 1 .. eos of log p(x_t | x_<t, h), teacher-forced: (*batch,)."""
        targets, logits = self._teacher_forced(value)
        return token_log_prob(logits, targets).reshape(self.batch_shape)

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced p(x_t | x_<t, h) laid out like x (see :func:`data_layout`): (*batch, L, V).

        One differentiable pass, shared with ``log_prob(x)`` for the same tensor x.
        """
        _, logits = self._teacher_forced(x)  # (N, T, V)
        full = data_layout(torch.softmax(logits, dim=-1), self._flat_x(x))  # (N, L, V)
        return full.reshape(*self.batch_shape, self.length, self.vocab_size)

    def _generate(self, h: torch.Tensor, greedy: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode from features h (N, F): ids (N, L) int64 and the step probabilities (N, L, V).

        Each step feeds back its own token (the argmax, or a draw); after eos a row emits
        pad, with a one-hot pad row as its probabilities.
        """
        n, dev = h.shape[0], h.device
        token = torch.full((n,), BOS, dtype=torch.long, device=dev)  # (N,)
        done = torch.zeros(n, dtype=torch.bool, device=dev)  # (N,)
        eye = torch.eye(self.vocab_size, dtype=h.dtype, device=dev)  # (V, V)
        ids, probs = [token], [eye[token]]
        state = self.net.initial_state(h)  # (layers, N, hidden)
        for _ in range(self.length - 1):
            logits, state = self.net.step(token, h, state)  # (N, V)
            nxt = logits.argmax(-1) if greedy else _gumbel_argmax(logits.detach())  # (N,)
            token = nxt.masked_fill(done, PAD)
            probs.append(torch.where(done[:, None], eye[PAD], torch.softmax(logits, dim=-1)))
            ids.append(token)
            done = done | (token == EOS)
            if bool(done.all()):  # every row has ended: the rest is padding
                break
        ids_t, probs_t = torch.stack(ids, 1), torch.stack(probs, 1)  # (N, t), (N, t, V)
        rest = self.length - ids_t.shape[1]
        return F.pad(ids_t, (0, rest), value=PAD), torch.cat([probs_t, eye[PAD].expand(n, rest, -1)], dim=1)

    @property
    def mean(self) -> torch.Tensor:
        """Greedy decode: at each step the most likely token, fed back; pad after eos: (*batch, L) int64.

        A deterministic stand-in for the mode (the true mean of token ids is meaningless).
        Computed once without gradients and cached.
        """
        if self._mean is None:
            with torch.no_grad():
                ids, _ = self._generate(self._flat_h(), greedy=True)
            self._mean = ids.reshape(*self.batch_shape, self.length)
        return self._mean

    @property
    def probs(self) -> torch.Tensor:
        """The step probabilities along the greedy decode: (*batch, L, V), differentiable with respect to h."""
        _, p = self._generate(self._flat_h(), greedy=True)
        return p.reshape(*self.batch_shape, self.length, self.vocab_size)

    def sample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Ancestral samples: each token drawn from p(x_t | x_<t, h), fed back: (*sample_shape, *batch, L) int64."""
        sample_shape = tuple(sample_shape)
        h = self.h.expand(*sample_shape, *self.h.shape).reshape(-1, self.h.shape[-1])  # (S * N, F)
        with torch.no_grad():
            ids, _ = self._generate(h, greedy=False)
        return ids.reshape(*sample_shape, *self.batch_shape, self.length)

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "AutoregressiveTokens":
        return AutoregressiveTokens(self.net, self.h.reshape(*batch_shape, self.h.shape[-1]), self.length)


class CategoricalSequenceHead(nn.Module):
    """Features h (B, F) -> :class:`TokenCategorical`: one linear layer to (L - 1) * V logits.

    After an MLP decoder backbone of three hidden layers this is the fourth fully connected
    layer of the molecule article's decoder (Cho).
    """

    n_params = 1

    def __init__(self, in_features: int, vocab_size: int, length: int):
        super().__init__()
        self.vocab_size, self.length = int(vocab_size), int(length)
        self.event_shape = (self.length,)
        self.n_out = (self.length - 1) * self.vocab_size
        self.linear = nn.Linear(in_features, self.n_out)

    def forward(self, h: torch.Tensor) -> TokenCategorical:
        logits = self.linear(h)  # (B, (L - 1) * V)
        return TokenCategorical(logits.view(*h.shape[:-1], self.length - 1, self.vocab_size))


class GRUSequenceHead(nn.Module):
    """Features h (B, F) -> :class:`AutoregressiveTokens`, owning the decoder GRU (as PixelCNNHead owns its net).

    ``n_out`` counts the logits per example; ``work_width`` approximates the floats a
    teacher-forced pass keeps per example (logits plus the GRU's gates), for code that
    sizes chunks by it.
    """

    n_params = 1
    #: floats per IW chunk (diagnostics.likelihood): a GRU pays per call and per step, not per float, so it
    #: gets chunks 16x the default's 8 MB; with chunks of one sample per example the IW NLL ran 10x slower
    iw_budget = 2**25

    def __init__(self, in_features: int, vocab_size: int, length: int, embedding: int = 32, hidden: int = 256,
                 layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size, self.length = int(vocab_size), int(length)
        self.event_shape = (self.length,)
        self.n_out = self.length * self.vocab_size
        self.work_width = self.length * (self.vocab_size + embedding + in_features + 4 * hidden * layers)
        self.net = GRUDecoderNet(in_features, vocab_size, embedding, hidden, layers, dropout)

    def forward(self, h: torch.Tensor) -> AutoregressiveTokens:
        return AutoregressiveTokens(self.net, h, self.length)


__all__ = ["AutoregressiveTokens", "CategoricalSequenceHead", "GRUSequenceHead", "TokenCategorical",
           "TokenDistribution", "data_layout", "finish", "token_log_prob"]
