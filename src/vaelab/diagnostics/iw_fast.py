"""A fast CPU kernel for the importance-weighted bound of the common MLP/Bernoulli VAE.

:func:`vaelab.objectives.iw_bound` (Burda, Grosse & Salakhutdinov 2015, eq. 8) asks a
kernel for a plan per batch. :class:`IWKernel` has one where the model is a diagonal
Gaussian posterior, the standard normal prior, and a Bernoulli likelihood head after an
MLP decoder (no side inputs). It draws the same noise (the same ``torch.randn`` calls, in
the same order), so with the same seed it gives the same bound to float rounding
(tested), but computes only what the bound needs:

- log p(z) - log q(z|x) from the noise: with z = mu + sigma * eps it is
  0.5 sum_j (eps_j^2 - z_j^2 + logvar_j);
- log p(x|z) for binary x as -sum_i softplus(s_i * y_i), y the logits and s = 1 - 2x:
  one pass over the logits, no (k, B, D) copies of x or of per-pixel terms;
- on x86 CPUs the decoder's layers are oneDNN matrix products with bias and
  activation fused into them (``torch.ops.mkldnn._linear_pointwise``, weights packed
  once per batch); elsewhere, or for activations oneDNN cannot fuse, plain ``torch.mm``
  followed by the activation;
- compiled (``torch.compile``), everything after the matrix products is one fused
  kernel. Its softplus sum needs one ``exp`` per logit but only one ``log`` per 16-th
  of them: sum_i log(1 + exp(-|y_i|)) = sum_lanes log prod (1 + exp(-|y_i|)), each
  factor in (1, 2], at most 120 per lane, so the products stay finite in float32.

Compilation pays for itself only on large jobs, so ``compile=None`` compiles when the
job is big; if compiling fails the same functions run eagerly. Every switch is a field of
an :class:`IWKernel` object passed by the caller; nothing here is module state to flip.
"""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from vaelab.distributions.base import DiagonalGaussian
from vaelab.distributions.likelihood import BernoulliHead
from vaelab.distributions.prior import StandardNormalPrior
from vaelab.models.base import LatentVariableModel
from vaelab.nn.mlp import MLP

#: decoder flops (summed over the whole job) above which ``compile=None`` compiles the fast path
COMPILE_MIN_FLOPS = 2e11


def _tanh_exp(a: torch.Tensor) -> torch.Tensor:
    """tanh(a) = 1 - 2 / (1 + exp(2a)): exact at both tails (exp overflow gives 1), one exp per element."""
    return 1.0 - 2.0 / (1.0 + torch.exp(2.0 * a))


def _softplus_sum_lanes(y: torch.Tensor, lanes: int) -> torch.Tensor:
    """sum_i softplus(y_i) over the last dimension, with one ``log`` per ``lanes``-th of it.

    softplus(y) = max(y, 0) + log(1 + exp(-|y|)). Viewing the n values as (n / lanes, lanes),
    each lane sums max(y, 0) and multiplies the factors 1 + exp(-|y|), each in (1, 2], so
    a lane's product is at most 2^(n / lanes) (kept below float32's 2^128); then one log
    per lane. Both reductions run down the same axis, so a compiler fuses them into one
    pass over y, vectorised across the lanes.
    """
    lead, n = y.shape[:-1], y.shape[-1]
    v = y.reshape(*lead, n // lanes, lanes)
    pos = torch.clamp_min(v, 0.0).sum(-2)  # (*lead, lanes)
    prod = (1.0 + torch.exp(-v.abs())).prod(-2)  # (*lead, lanes), in [1, 2^(n / lanes)]
    return (pos + torch.log(prod)).sum(-1)


def _product_lanes(n: int) -> int:
    """Lanes for :func:`_softplus_sum_lanes`: the smallest multiple of 16 dividing n with n / lanes <= 120, else 0."""
    return next((w for w in range(16, n + 1, 16) if n % w == 0 and n // w <= 120), 0)


def _activate(name: str, a: torch.Tensor, fused: bool) -> torch.Tensor:
    """The decoder's activation by name; tanh and softplus in their fused-friendly forms when compiled."""
    if name == "tanh":
        return _tanh_exp(a) if fused else torch.tanh(a)
    if name == "softplus":
        return torch.clamp_min(a, 0.0) + torch.log1p(torch.exp(-a.abs())) if fused else F.softplus(a)
    if name == "identity":
        return a
    return _ACT_FUNCTIONS[name](a)


_ACT_FUNCTIONS = {"relu": F.relu, "elu": F.elu, "leaky_relu": F.leaky_relu, "gelu": F.gelu, "silu": F.silu}
#: activation modules (as vaelab.nn.MLP builds them, default arguments) the fast path knows by name
_ACT_NAMES = {nn.Tanh: "tanh", nn.Softplus: "softplus", nn.ReLU: "relu", nn.ELU: "elu",
              nn.LeakyReLU: "leaky_relu", nn.GELU: "gelu", nn.SiLU: "silu"}


def _act_name(module: nn.Module) -> str | None:
    """The name of an activation module with default arguments, else None."""
    name = _ACT_NAMES.get(type(module))
    if name is None:
        return None
    defaults = type(module)()
    same = all(getattr(module, a) == getattr(defaults, a)
               for a in ("beta", "threshold", "alpha", "negative_slope", "approximate") if hasattr(module, a))
    return name if same else None


def _bernoulli_tail(logits, eps, z, target, half_logvar_sum, binary: bool, lanes: int, fused: bool):
    """log sum_k w_k over one chunk, float64 (B,), from the logits (c, B, D) (bias included),
    the noise eps and the codes z (c, B, d); see :class:`FastPlan` for the other arguments."""
    y = logits * target if binary else logits  # binary: target = s = 1 - 2x
    sp = _softplus_sum_lanes(y, lanes) if (fused and lanes) else F.softplus(y).sum(-1)  # (c, B)
    log_px = -sp if binary else (y * target).sum(-1) - sp  # log p(x|z)
    log_ratio = 0.5 * (eps.square().sum(-1) - z.square().sum(-1)) + half_logvar_sum  # log p(z) - log q(z|x)
    return torch.logsumexp((log_px + log_ratio).double(), dim=0)  # (B,)


def _mm_chunk_logsumexp(eps, loc, std, half_logvar_sum, target, binary: bool, layers, head_w, head_b,
                        lanes: int, fused: bool):
    """The whole chunk with ``torch.mm`` products: float64 (B,).

    ``layers`` is a tuple of (weight^T, -bias or None, activation name) per decoder layer.
    Biases enter as ``mm(h, W^T) - (-b)``: written as an add, inductor turns it into
    ``addmm``, whose bias broadcast is a separate pass over the output on the CPU.
    """
    c, b, d = eps.shape
    z = loc + std * eps  # (c, B, d), as q.rsample computes it
    h = z.reshape(c * b, d)
    for wt, neg_bias, act in layers:
        a = torch.mm(h, wt)  # (c B, width)
        h = _activate(act, a if neg_bias is None else a - neg_bias, fused)
    logits = torch.mm(h, head_w).reshape(c, b, -1) + head_b  # (c, B, D)
    return _bernoulli_tail(logits, eps, z, target, half_logvar_sum, binary, lanes, fused)


#: activation name -> oneDNN post-op (attr, scalars, algorithm) of ``mkldnn._linear_pointwise``
_ONEDNN_POST_OPS = {"identity": ("none", [], ""), "tanh": ("tanh", [], ""), "relu": ("relu", [], ""),
                    "silu": ("swish", [], ""), "gelu": ("gelu", [], "none"), "leaky_relu": ("leaky_relu", [0.01], "")}

_EAGER = {"mm": _mm_chunk_logsumexp, "tail": _bernoulli_tail}


def onednn_available(device: torch.device, dtype: torch.dtype) -> bool:
    """oneDNN's fused products exist here: float32 on an x86 CPU with the private op in this torch build."""
    return (device.type == "cpu" and dtype == torch.float32 and platform.machine().lower() in ("x86_64", "amd64")
            and torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise"))


@dataclass
class IWKernel:
    """How the IW bound's fast path runs: the options, and what it compiled or found broken on the way.

    ``fast``: None uses the fast path where it applies, False never, True requires it
    (ValueError where it does not apply). ``compile``: None compiles when the whole job is
    at least ``compile_min_flops`` decoder flops (compiling takes seconds once per process,
    cached on disk afterwards), True/False force it. ``onednn``: use oneDNN's fused matrix
    products where available (False: plain ``torch.mm``). A kernel that fails to compile or
    to run oneDNN remembers it and computes eagerly / with ``torch.mm`` from then on.
    """

    fast: bool | None = None
    compile: bool | None = None
    onednn: bool = True
    compile_min_flops: float = COMPILE_MIN_FLOPS
    compiled_fns: dict = field(default_factory=dict, repr=False, compare=False)
    broken: set = field(default_factory=set, repr=False, compare=False)  # "compile", "onednn"

    def plan(self, model, q, x: torch.Tensor, k: int, chunk: int, compile: bool | None = None) -> "FastPlan | None":
        """The fast plan for a batch x (B, ...) with posterior q, or None where the generic path must run."""
        if self.fast is False:
            return None
        reason = FastPlan.why_not(model, q)
        if reason is not None:
            if self.fast:
                raise ValueError(f"iw_bound: no fast path for this model ({reason})")
            return None
        plan = FastPlan(model, q, x, rows=chunk * x.shape[0], kernel=self)
        compile = self.compile if compile is None else compile
        if compile is None:
            compile = plan.flops_per_sample * k * x.shape[0] >= self.compile_min_flops
        plan.compiled = bool(compile) and "compile" not in self.broken
        return plan

    def use_onednn(self, device: torch.device, dtype: torch.dtype) -> bool:
        return self.onednn and "onednn" not in self.broken and onednn_available(device, dtype)

    def call(self, name: str, args: tuple, compiled: bool) -> torch.Tensor:
        """Run the chunk function ``name`` (``mm`` or ``tail``), compiled if asked and possible, else eagerly."""
        if compiled and "compile" not in self.broken:
            try:
                if name not in self.compiled_fns:
                    self.compiled_fns[name] = torch.compile(_EAGER[name], dynamic=False, fullgraph=True)
                return self.compiled_fns[name](*args, True)
            except Exception as err:  # no C++ toolchain, unsupported platform, ...: eager always works
                self.broken.add("compile")
                warnings.warn(f"torch.compile of the IW bound failed ({type(err).__name__}: {err}); "
                              "computing it eagerly", stacklevel=4)
        return _EAGER[name](*args, False)


#: the kernel evaluation uses unless told otherwise (it keeps the compiled functions for the process)
DEFAULT_KERNEL = IWKernel()


class FastPlan:
    """Everything the fast path needs for one batch, prepared once per :func:`iw_bound` call."""

    @staticmethod
    def why_not(model, q) -> str | None:
        """None if the fast path applies to this model and posterior, else the reason."""
        if not isinstance(model, LatentVariableModel) or type(model).decode is not LatentVariableModel.decode:
            return "the model has its own decode"
        if type(model).decoder_input is not LatentVariableModel.decoder_input:
            return "the model builds its own decoder input (side inputs)"
        if type(q) is not DiagonalGaussian or q.event_ndim != 1:
            return "the posterior is not a diagonal Gaussian"
        if type(model.prior) is not StandardNormalPrior:
            return "the prior is not the standard normal"
        if type(model.likelihood_head) is not BernoulliHead:
            return "the likelihood is not the Bernoulli head"
        if type(model.decoder) is not MLP:
            return "the decoder is not an MLP"
        prev = None
        for m in model.decoder.layers:
            if type(m) is nn.Linear or (_act_name(m) is not None and type(prev) is nn.Linear):
                prev = m
                continue
            return f"the decoder has a layer the fast path does not know here: {m}"
        return None

    def __init__(self, model, q, x: torch.Tensor, rows: int, kernel: IWKernel):
        self.kernel, self.compiled = kernel, False
        self.loc, self.logvar = q.loc, q.logvar  # (B, d) each
        self.dtype, device = self.loc.dtype, self.loc.device
        self.std = torch.exp(0.5 * self.logvar)  # (B, d), as DiagonalGaussian.rsample computes it
        self.half_logvar_sum = 0.5 * self.logvar.sum(-1)  # (B,)
        flat = x.reshape(x.shape[0], -1).to(self.dtype)  # (B, D)
        self.binary = bool(((flat == 0) | (flat == 1)).all())
        self.target = (1.0 - 2.0 * flat) if self.binary else flat  # (B, D)
        self.lanes = _product_lanes(flat.shape[1])
        # decoder layers then the likelihood head: (Linear, activation name)
        mods = list(model.decoder.layers)
        linears = []
        for i, m in enumerate(mods):
            if isinstance(m, nn.Linear):
                nxt = mods[i + 1] if i + 1 < len(mods) else None
                linears.append((m, "identity" if nxt is None or isinstance(nxt, nn.Linear) else _act_name(nxt)))
        linears.append((model.likelihood_head.linear, "identity"))
        self.flops_per_sample = sum(2 * m.in_features * m.out_features for m, _ in linears)
        # torch.mm form: (W^T, -b, activation) per decoder layer; the head's W^T and b
        self.layers = tuple((m.weight.detach().t(), None if m.bias is None else (-m.bias).detach(), act)
                            for m, act in linears[:-1])
        head = linears[-1][0]
        self.head_w = head.weight.detach().t()  # (H, D)
        self.head_b = (head.bias.detach() if head.bias is not None
                       else torch.zeros(head.out_features, dtype=self.dtype, device=device))
        # oneDNN form: (packed W, b, post-op) per layer, the head last
        self.onednn = None
        if kernel.use_onednn(device, self.dtype) and all(act in _ONEDNN_POST_OPS for _, act in linears):
            try:
                self.onednn = tuple(
                    (torch.ops.mkldnn._reorder_linear_weight(m.weight.detach(), rows),
                     None if m.bias is None else m.bias.detach(), _ONEDNN_POST_OPS[act])
                    for m, act in linears)
            except Exception:  # no packing on this build: plain torch.mm instead
                self.onednn = None

    def draw(self, c: int) -> torch.Tensor:
        """Standard normal noise for c samples per example, (c, B, d): the very call ``q.rsample((c,))`` makes."""
        return torch.randn((c, *self.loc.shape), dtype=self.loc.dtype, device=self.loc.device)

    def chunk_logsumexp(self, eps: torch.Tensor, compiled: bool = False) -> torch.Tensor:
        """log sum_k w_k over the samples z = mu + sigma * eps, eps (c, B, d): float64 (B,)."""
        if self.onednn is not None:
            try:
                z = torch.addcmul(self.loc, self.std, eps)  # (c, B, d)
                h = z.view(-1, z.shape[-1])
                for w, b, (attr, scalars, algorithm) in self.onednn:
                    h = torch.ops.mkldnn._linear_pointwise(h, w, b, attr, scalars, algorithm)
                logits = h.view(*eps.shape[:2], -1)  # (c, B, D)
            except RuntimeError as err:  # an unexpected oneDNN build: torch.mm from now on
                warnings.warn(f"oneDNN matrix products failed ({err}); using torch.mm", stacklevel=3)
                self.kernel.broken.add("onednn")
                self.onednn = None
                return self.chunk_logsumexp(eps, compiled)
            args = (logits, eps, z, self.target, self.half_logvar_sum, self.binary, self.lanes)
            return self.kernel.call("tail", args, compiled)
        args = (eps, self.loc, self.std, self.half_logvar_sum, self.target, self.binary,
                self.layers, self.head_w, self.head_b, self.lanes)
        return self.kernel.call("mm", args, compiled)
