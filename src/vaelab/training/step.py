"""One optimisation step: loss and logged figures, gradients, clipping, the Adam update.

Gradients come from ``torch.func.grad_and_value`` over the model's parameters (the
"functional" path). Measured on a 2-core CPU with the 784-200-200-50 VAE, this step
is about 15% faster than ``loss.backward()``: no AccumulateGrad nodes, no autograd
graph kept on the parameters, and one call returns both gradients and figures (see
``bench/train_speed.py``). The gradients are the same to float rounding (a test checks
it). If a model's forward cannot run under the transform, the step falls back to
ordinary autograd once, with a warning.

Data-parallel (:mod:`vaelab.training.distributed`), ``reducer`` all-reduces the gradients
and figures after either path, before clipping, so every rank clips and steps alike.
With ``precision="bf16"`` the forward runs under ``torch.autocast`` in bfloat16; the
models compute their distribution heads, likelihood and KL in float32
(:func:`vaelab.models.base.float32_head`), so the loss and its terms stay float32.
"""

from __future__ import annotations

import warnings

import torch
from torch.func import functional_call, grad_and_value


def loss_and_terms(out) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to differentiate, (n_terms,) figures to log: loss, rec, kl, then the extras)."""
    parts = [out.loss.detach(), out.rec.detach().mean(), out.kl.detach().mean()]
    parts += [v.detach().mean() for v in out.extras.values()]
    return out.loss, torch.stack(parts)


class WarmCalls:
    """Calls a compiled function with dynamo's guard checks skipped once it is warm for the call.

    Warm means: the batch shape of the first call (other shapes, such as a last partial batch,
    stay guarded) at a torch thread count it has already run with. The thread count is part
    of what a compiled graph was made for (dynamo recompiles when it changes, and the thread
    policy may change it between epochs: :mod:`vaelab.threads`), so a new count takes the
    guarded path once, which compiles for it. Torch raises rather than reusing a graph if a
    recompilation would be needed.
    """

    def __init__(self):
        self.shape: torch.Size | None = None
        self.threads: set[int] = set()

    def __call__(self, fn, shape: torch.Size, *args):
        threads = torch.get_num_threads()
        if shape == self.shape and threads in self.threads:
            with torch.compiler.set_stance(skip_guard_eval_unsafe=True):
                return fn(*args)
        out = fn(*args)
        if self.shape is None:
            self.shape = shape
        if shape == self.shape:
            self.threads.add(threads)
        return out


class TrainStep:
    """Callable ``step(x_batch, beta) -> figures``; updates the model in place."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, grad_clip: float | None,
                 compile: bool = False, functional: bool | None = None, precision: str = "32"):
        self.model, self.optimizer, self.grad_clip = model, optimizer, grad_clip
        self.reducer = None  # data-parallel: GradReducer, set by the trainer
        first = next(model.parameters(), None)
        self.autocast = (first.device.type if first is not None else "cpu") if precision == "bf16" else None
        self.params = dict(model.named_parameters())
        self._detached = {n: p.detach() for n, p in self.params.items()}  # share storage with the model
        self._buffers = dict(model.named_buffers())  # passed in so BatchNorm may update them in place
        self._opt_step = getattr(optimizer, "lean_step", optimizer.step)
        # The functional path pays off only compiled (one graph call); eager, its per-op
        # transform overhead makes it slower than plain autograd.
        self.functional = compile if functional is None else functional
        self._grad_fn = grad_and_value(self._functional_loss, has_aux=True)
        self._forward = self._autograd_loss
        self.compiled = False
        self._warm = WarmCalls()
        if compile:
            self._compile()

    # -- the two ways to get gradients ---------------------------------------------------
    def _functional_loss(self, params, buffers, xb, beta, side):
        if self.autocast:
            with torch.autocast(self.autocast, dtype=torch.bfloat16):
                return loss_and_terms(functional_call(self.model, (params, buffers), (xb, beta), side))
        return loss_and_terms(functional_call(self.model, (params, buffers), (xb, beta), side))

    def _autograd_loss(self, xb, beta, side):
        if self.autocast:
            with torch.autocast(self.autocast, dtype=torch.bfloat16):
                return loss_and_terms(self.model(xb, beta, **side))
        return loss_and_terms(self.model(xb, beta, **side))

    def _compile(self) -> None:
        # fallback_random: ATen's RNG instead of inductor's per-element Philox, which is much
        # slower on CPU for the reparameterisation noise and draws a different stream.
        opts = {"fallback_random": True}
        try:
            self._grad_fn = torch.compile(self._grad_fn, options=opts)
            self._forward = torch.compile(self._autograd_loss, options=opts)
            self.compiled = True
        except Exception as err:  # compile support varies by platform; eager always works
            warnings.warn(f"torch.compile unavailable ({err}); training eagerly", stacklevel=3)

    def _call_grad_fn(self, xb: torch.Tensor, beta: torch.Tensor, side: dict):
        """The compiled gradient function, skipping dynamo's guard checks once warmed up.

        Guards re-verify every parameter and buffer on every call (~60 us here). In the
        steady state nothing they check can change: the same tensors, training mode,
        grad mode, and the batch shape that compiled the graph (other shapes, such as a
        last partial batch, take the guarded path; see :class:`WarmCalls`).
        """
        args = (self._detached, self._buffers, xb, beta, side)
        if not self.compiled:
            return self._grad_fn(*args)
        return self._warm(self._grad_fn, xb.shape, *args)

    def _gradients(self, xb: torch.Tensor, beta: torch.Tensor, side: dict) -> torch.Tensor:
        if self.functional:
            grads, (_, terms) = self._call_grad_fn(xb, beta, side)
            for name, p in self.params.items():
                p.grad = grads[name]
            return terms
        loss, terms = self._forward(xb, beta, side)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        return terms

    # -- the step ------------------------------------------------------------------------
    def __call__(self, xb: torch.Tensor, beta: torch.Tensor, side: dict | None = None,
                 share: float = 1.0) -> torch.Tensor:
        """One update; ``share`` is this process's part of the global batch (data-parallel; 1 otherwise)."""
        terms = self._gradients(xb, beta, side or {})
        if self.reducer is not None:
            terms = self.reducer(terms, share)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params.values(), self.grad_clip, foreach=True)
        self._opt_step()
        return terms

    def first(self, xb: torch.Tensor, beta: torch.Tensor, side: dict | None = None,
              share: float = 1.0) -> torch.Tensor:
        """The first step of a fit: falls back to eager autograd if the fast paths fail."""
        try:
            return self(xb, beta, side, share)
        except Exception as err:  # e.g. a forward the transform cannot trace, or no C++ toolchain
            if not (self.functional or self.compiled):
                raise
            warnings.warn(f"fast training step failed ({type(err).__name__}: {err}); "
                          "falling back to eager autograd", stacklevel=2)
            self.functional, self.compiled, self._forward = False, False, self._autograd_loss
            return self(xb, beta, side, share)

    # -- hooks for steps with state of their own (see train/aggressive.py) -------------------
    def end_epoch(self) -> dict:
        """Called at each epoch end, after validation; returns figures to add to metrics.jsonl."""
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    @torch.no_grad()
    def term_names(self, x_probe: torch.Tensor, side: dict | None = None) -> list[str]:
        """Names of the logged figures (one eval-mode forward; the global RNG is left untouched)."""
        was_training = self.model.training
        self.model.eval()
        dev = x_probe.device
        devices = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            out = self.model(x_probe, 1.0, **(side or {}))
        self.model.train(was_training)
        return ["loss", "rec", "kl", *out.extras]
