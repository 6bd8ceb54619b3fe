"""Aggressive inference-network training (He et al. 2019, "Lagging inference networks", Algorithm 1).

While the aggressive phase is on, every training iteration first updates only the
encoder, on freshly drawn mini-batches, until its loss stops improving (at most 100
inner steps, checked every 10), then takes one decoder-only step on the iteration's
own batch. The phase ends at the first epoch end where the mutual information
I(x; z) on the validation split does not improve; training is ordinary afterwards.

Encoder and decoder updates use one Adam with two parameter groups. Adam's state is
per parameter and a step skips parameters without a gradient, so this is the same
update as two separate optimizers, with one state to checkpoint.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from vaelab.diagnostics.mutual_info import mutual_information, posterior_stats
from vaelab.training.step import TrainStep


def encoder_parameters(model) -> list[torch.nn.Parameter]:
    return [*model.encoder.parameters(), *model.posterior_head.parameters()]


def decoder_parameters(model) -> list[torch.nn.Parameter]:
    enc = {id(p) for p in encoder_parameters(model)}
    return [p for p in model.parameters() if id(p) not in enc]


class InnerLoopRule:
    """Stop the encoder's inner loop when the mean loss of the last ``every`` steps is no
    lower than that of the ``every`` before (or after ``max_steps``)."""

    def __init__(self, every: int = 10, max_steps: int = 100):
        self.every, self.max_steps = every, max_steps
        self.losses: list[float] = []
        self.previous = math.inf

    def should_stop(self, losses_so_far: int) -> bool:
        """Called after each inner step with the number of steps taken; reads ``self.losses``."""
        if losses_so_far >= self.max_steps:
            return True
        if losses_so_far % self.every:
            return False
        current = sum(self.losses[-self.every :]) / self.every
        stop = current >= self.previous
        self.previous = current
        return stop


class AggressiveStep(TrainStep):
    """A training step that plugs into the Trainer in place of :class:`TrainStep`."""

    def __init__(self, model, optimizer, grad_clip, sample_batch: Callable, valid: tuple,
                 mi_fn: Callable | None = None, every: int = 10, max_inner: int = 100):
        super().__init__(model, optimizer, grad_clip, compile=False, functional=False)
        self.sample_batch, self.valid = sample_batch, valid  # valid = (x, side)
        self.mi_fn = mi_fn or self._validation_mi
        self.every, self.max_inner = every, max_inner
        self.enc, self.dec = encoder_parameters(model), decoder_parameters(model)
        self.aggressive, self.best_mi, self.inner_steps = True, -math.inf, 0

    # -- the step ------------------------------------------------------------------------
    def _update(self, keep: list, xb, beta, side) -> torch.Tensor:
        """One step on ``keep``'s parameters only: gradients of the others are dropped before Adam."""
        terms = self._gradients(xb, beta, side)
        kept = {id(p) for p in keep}
        for p in self.params.values():
            if id(p) not in kept:
                p.grad = None
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(keep, self.grad_clip, foreach=True)
        self.optimizer.step()  # skips parameters without gradients
        return terms

    def encoder_loop(self, beta) -> int:
        """Encoder-only steps on fresh mini-batches until the rule says stop; returns the count."""
        rule = InnerLoopRule(self.every, self.max_inner)
        buf = []
        n = 0
        while True:
            xb, side = self.sample_batch()
            buf.append(self._update(self.enc, xb, beta, side)[0])
            n += 1
            if n % self.every == 0 or n >= self.max_inner:
                rule.losses.extend(torch.stack(buf).tolist())  # one host sync per `every` steps
                buf = []
            if (n % self.every == 0 or n >= self.max_inner) and rule.should_stop(n):
                return n

    def __call__(self, xb, beta, side=None, share: float = 1.0):  # share: one process only (refused data-parallel)
        side = side or {}
        if not self.aggressive:
            return super().__call__(xb, beta, side)
        self.inner_steps += self.encoder_loop(beta)
        return self._update(self.dec, xb, beta, side)

    # -- the phase -----------------------------------------------------------------------
    @torch.no_grad()
    def _validation_mi(self) -> float:
        x, side = self.valid
        self.model.eval()
        mean, logvar = posterior_stats(self.model.encode, x, side=side)
        return mutual_information(mean, logvar, generator=torch.Generator(device=x.device).manual_seed(0))["mi"]

    def end_epoch(self) -> dict:
        """Check the phase rule; returns figures for metrics.jsonl."""
        record = {"aggressive": self.aggressive, "inner_steps": self.inner_steps}
        self.inner_steps = 0
        if self.aggressive:
            mi = float(self.mi_fn())
            record["valid_mi"] = mi
            if mi <= self.best_mi:
                self.aggressive = False  # MI stopped improving: ordinary training from now on
            self.best_mi = max(self.best_mi, mi)
        return record

    def state_dict(self) -> dict:
        return {"aggressive": self.aggressive, "best_mi": self.best_mi}

    def load_state_dict(self, state: dict) -> None:
        self.aggressive, self.best_mi = bool(state["aggressive"]), float(state["best_mi"])

