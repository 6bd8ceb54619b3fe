"""Many models as one: K members of one architecture trained as a stacked model (issue #17).

Each member is an ordinary :class:`~vaelab.training.trainer.Trainer` (a *shell*: its own
config, model, optimizer state, loop state and run directory), which validates, records,
checkpoints and stops early exactly as a single run does. Only the steps are shared: at
each epoch start the active members' parameters, buffers and Adam moments are stacked
along a leading K axis, the epoch runs as one vectorised model, and at the epoch end each
member's slice goes back into its shell (``torch.func.stack_module_state`` /
``functional_call`` / ``vmap``, as in the model-ensembling recipe of the torch.func docs).

What makes member k equal to the single run with its config (to float rounding):

* its own data order: the permutation of its seed's epoch generator, as the single run draws it;
* its own noise: dynamic binarisation and the forward's draws come from a generator that
  continues its single run's global stream (:mod:`vaelab.training.noise`);
* its own KL weight, learning rate and vectorisable model options (passed per member
  into the vmapped forward; the objective sees a 0-d value, as it sees a float in a single run);
* per-member batch statistics: vmap gives each member its own batch, so BatchNorm and
  batch-level losses (free bits) see only that member's examples;
* one Adam step over the stack (:mod:`vaelab.training.stacked_adam`), clipping per member.

Not bit-exact: the batched matrix products (bmm) sum in another order than a single
model's mm, so figures agree to about 1e-5 relative after a few hundred steps, not to the bit.

Compiled: ``train.compile=auto`` compiles the vectorised step (``torch.compile`` of the
vmapped ``grad_and_value``) once steps x members reach :data:`ENSEMBLE_COMPILE_AUTO_MEMBER_STEPS`.
Eager, every elementwise operation of the loss is a separate pass over a (K, B, 784)
tensor; compiled, they fuse. Measured on a 2-core CPU with K = 8 MLP VAEs: 20 ms a step
eager, 11 ms compiled, after 8-20 s of compiling (``bench/ensemble_speed.py``; the longer
with an empty inductor cache), so at K = 8 it pays back within about 2,000 steps. A step
that fails to compile trains eagerly, with a warning.

A member that stops early, finishes its epochs or diverges leaves the stack at the next
epoch start; a diverged member is written off with the single run's message and summary.
Members whose checkpoints stand at different epochs (a group killed while writing them)
rejoin the stack when the others reach their epoch, so resume is exact.
"""

from __future__ import annotations

import math
import time
import warnings
from contextlib import contextmanager

import torch
from torch.func import functional_call, grad_and_value, vmap

from vaelab.data import dynamic_binarize
from vaelab.errors import ConfigError
from vaelab.threads import update_threads
from vaelab.training.noise import NoiseMismatch, NoiseRecorder, NoiseReplay, load_generator_state, stacked_noise
from vaelab.training.optim import set_lr
from vaelab.training.progress import ProgressReporter
from vaelab.training.stacked_adam import StackedAdam, clip_per_member
from vaelab.training.step import WarmCalls, loss_and_terms
from vaelab.training.trainer import Trainer, epoch_seed

#: train.compile=auto compiles the ensemble's step once steps x members reach this: compiling takes 8-20 s, and
#: the time it saves per step grows with the members (~9 ms a step at K = 8 on a 2-core CPU), so K = 8 from 2,000 steps
ENSEMBLE_COMPILE_AUTO_MEMBER_STEPS = 16_000


class _OptionsView:
    """A model's options with some values replaced (per-member tensors inside the vmapped forward)."""

    def __init__(self, base, overrides: dict):
        self._base, self._overrides = base, overrides

    def __getattr__(self, name):
        overrides = self.__dict__["_overrides"]
        return overrides[name] if name in overrides else getattr(self.__dict__["_base"], name)


@contextmanager
def options_view(model: torch.nn.Module, overrides: dict):
    """``model.options`` answering ``overrides`` first while the block runs."""
    if not overrides:
        yield
        return
    base = model.options
    model.options = _OptionsView(base, overrides)
    try:
        yield
    finally:
        model.options = base


def differing_options(shells: list[Trainer]) -> list[str]:
    """The model options whose values differ between members (each must be a number: see group.VECTORISABLE)."""
    dumps = [s.model.options.model_dump() for s in shells]
    return sorted(k for k in dumps[0] if any(d[k] != dumps[0][k] for d in dumps[1:]))


class Stack:
    """The active members' parameters, buffers and Adam state, stacked along dim 0 (K first)."""

    def __init__(self, shells: list[Trainer]):
        self.shells = shells
        models = [s.model for s in shells]
        self.names = [n for n, _ in models[0].named_parameters()]
        self.params = {n: torch.stack([dict(m.named_parameters())[n].detach() for m in models])
                       for n in self.names}  # (K, ...) each
        self.buffers = {n: torch.stack([dict(m.named_buffers())[n] for m in models])
                        for n, _ in models[0].named_buffers()}  # (K, ...) each
        steps, moments = zip(*(_adam_state(s) for s in shells))
        if len(set(steps)) > 1:
            raise RuntimeError(f"ensemble members at one epoch have taken different numbers of steps: {steps}")
        cfg = shells[0].cfg.optim
        plist = [self.params[n] for n in self.names]
        self.adam = StackedAdam(plist, cfg.betas, cfg.eps, cfg.weight_decay, steps[0],
                                [torch.stack([m[0][i] for m in moments]) for i in range(len(plist))],
                                [torch.stack([m[1][i] for m in moments]) for i in range(len(plist))])

    @torch.no_grad()
    def unstack(self) -> None:
        """Every member's slice back into its shell: weights, buffers and the optimizer state a single run saves."""
        for k, shell in enumerate(self.shells):
            for name, p in shell.model.named_parameters():
                p.copy_(self.params[name][k])
            for name, b in shell.model.named_buffers():
                b.copy_(self.buffers[name][k])
            opt = shell.optimizer
            for i, p in enumerate(shell.model.parameters()):
                step = torch.tensor(float(self.adam.steps), dtype=torch.float32, device=p.device)
                opt.state[p] = {"step": step, "exp_avg": self.adam.exp_avg[i][k].clone(),
                                "exp_avg_sq": self.adam.exp_avg_sq[i][k].clone()}
            if hasattr(opt, "_lists"):
                opt._lists = None  # LeanFusedAdam: rebuild its cached lists from the new state


def _adam_state(shell: Trainer) -> tuple[int, tuple[list, list]]:
    """(steps taken, (exp_avg list, exp_avg_sq list)) of a shell's optimizer; zeros before its first step."""
    opt = shell.optimizer
    if hasattr(opt, "_sync_steps"):
        opt._sync_steps()
    params = list(shell.model.parameters())
    states = [opt.state.get(p, {}) for p in params]
    if not all("exp_avg" in st for st in states):
        return 0, ([torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params])
    steps = {int(st["step"]) for st in states}
    if len(steps) > 1:
        raise RuntimeError("a member's parameters have taken different numbers of Adam steps")
    return steps.pop(), ([st["exp_avg"].detach() for st in states], [st["exp_avg_sq"].detach() for st in states])


class StackedStep:
    """One update of every stacked member: a vmapped ``grad_and_value`` of the shared model's loss."""

    def __init__(self, template: torch.nn.Module, option_names: list[str], compile: bool = False):
        self.template, self.option_names = template, option_names
        self._eager = vmap(grad_and_value(self._loss, has_aux=True), randomness="error")
        self._grad_fn = self._eager
        self.compiled, self._warm = False, WarmCalls()
        if compile:
            # fallback_random: ATen's RNG (the step draws nothing: its noise is replayed); one graph per batch shape
            self._grad_fn = torch.compile(self._eager, options={"fallback_random": True}, dynamic=False)
            self.compiled = True
        self._draws: dict[int, list] = {}  # batch size -> the forward's recorded draws

    def _loss(self, params, buffers, xb, beta, side, noise, options):
        with NoiseReplay(noise), options_view(self.template, options):
            return loss_and_terms(functional_call(self.template, (params, buffers), (xb, beta), side))

    @torch.no_grad()
    def draws(self, stack: Stack, xb: torch.Tensor, side: dict) -> list:
        """What the forward draws for a batch of this size (recorded once per size, on member 0, RNG untouched)."""
        b = xb.shape[1]
        if b not in self._draws:
            params = {n: v[0] for n, v in stack.params.items()}
            buffers = {n: v[0].clone() for n, v in stack.buffers.items()}  # the probe must not move BN statistics
            dev = xb.device
            devices = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
            with torch.random.fork_rng(devices=devices), NoiseRecorder() as rec:
                functional_call(self.template, (params, buffers), (xb[0], 1.0), {k: v[0] for k, v in side.items()})
            self._draws[b] = rec.draws
        return self._draws[b]

    def _gradients(self, stack: Stack, xb, betas, side, noise, options):
        args = (stack.params, stack.buffers, xb, betas, side, noise, options)
        if not self.compiled:
            return self._eager(*args)
        try:
            return self._warm(self._grad_fn, xb.shape, *args)  # guards skipped in the steady state
        except NoiseMismatch:
            raise
        except Exception as err:  # compile support varies by model and platform; eager always works
            self._grad_fn, self.compiled = self._eager, False
            warnings.warn(f"torch.compile failed on the ensemble step ({type(err).__name__}: "
                          f"{str(err).splitlines()[0][:160] if str(err) else ''}); training eagerly", stacklevel=3)
            return self._eager(*args)

    def __call__(self, stack: Stack, xb, betas, side, noise, options, lrs, clips) -> torch.Tensor:
        """One update; returns the (K, n_terms) figures of the step (loss, rec, kl, extras)."""
        grads, (_, terms) = self._gradients(stack, xb, betas, side, noise, options)
        glist = [grads[n] for n in stack.names]  # (K, ...) each
        if clips is not None:
            clip_per_member(glist, clips)
        stack.adam.step(glist, lrs)
        return terms  # (K, n_terms)


class EnsembleTrainer:
    """Fits the members' shells together; each writes its own run directory as a single run would."""

    def __init__(self, shells: list[Trainer], names: list[str]):
        self.shells, self.names = shells, names
        self.device = shells[0].device
        self.errors: dict[int, str] = {}  # member index -> why it diverged
        check_same_shapes(shells)
        self.option_names = differing_options(shells)
        self.step = StackedStep(shells[0].model, self.option_names,
                                compile=shells[0].want_compile(-(-ENSEMBLE_COMPILE_AUTO_MEMBER_STEPS // len(shells))))

    # -- which members train ----------------------------------------------------------------
    def done(self, k: int) -> bool:
        st, cfg = self.shells[k].state, self.shells[k].cfg
        return k in self.errors or st.stopped_early or st.epoch >= cfg.train.epochs

    def active(self, epoch: int) -> list[int]:
        """The members that train ``epoch``: not done, with their checkpoint at its start."""
        return [k for k, s in enumerate(self.shells) if not self.done(k) and s.state.epoch == epoch]

    # -- the loop ---------------------------------------------------------------------------
    def fit(self) -> dict[int, str]:
        """Train every member to its end; returns member index -> divergence message for those that diverged."""
        for s in self.shells:
            s.warn_schedule()
            s.warn_dropped_batch()
        first = min((s.state.epoch for k, s in enumerate(self.shells) if not self.done(k)), default=None)
        last = max(s.cfg.train.epochs for s in self.shells)
        if first is None:
            return self.errors
        with ProgressReporter(self.shells[0].cfg.train.progress, last) as progress:
            for epoch in range(first, last):
                members = self.active(epoch)
                if members:
                    update_threads()  # the cores other processes left free over the last epoch (vaelab.threads)
                    self._epoch(epoch, members, progress)
        return self.errors

    def _epoch(self, epoch: int, members: list[int], progress) -> None:
        shells = [self.shells[k] for k in members]
        t0 = time.perf_counter()
        schedules = [s.schedule(epoch) for s in shells]  # (beta, lr) each
        stack = Stack(shells)
        gens = [torch.Generator(device=self.device).manual_seed(epoch_seed(s.cfg.train.seed, epoch)) for s in shells]
        train, diverged = self.train_epoch(stack, members, epoch, schedules, gens, progress)
        stack.unstack()
        for i, k in enumerate(members):
            shell = self.shells[k]
            if i in diverged:
                self.errors[k] = diverged[i]
                continue
            beta, lr = schedules[i]
            set_lr(shell.optimizer, lr)
            load_generator_state(self.device, gens[i])  # validation draws from the member's own stream
            shell.close_epoch(epoch, beta, lr, train[i], t0, progress, prefix=f"{self.names[k]}: ")

    def _options(self, shells: list[Trainer]) -> dict:
        """The differing model options as (K,) tensors, one value per member."""
        return {name: torch.tensor([float(getattr(s.model.options, name)) for s in shells], device=self.device)
                for name in self.option_names}

    def _batch(self, perms: torch.Tensor, s: int, gens: list) -> tuple[torch.Tensor, dict]:
        """(x (K, B, *event), side (K, B) each) of step ``s``: each member's own batch and binarisation draws."""
        shell = self.shells[0]
        bs = shell.cfg.train.batch_size
        idx = perms[:, s * bs: (s + 1) * bs]  # (K, B)
        k, b = idx.shape
        xb = torch.index_select(shell.x_train, 0, idx.reshape(-1)).float()  # (K*B, *event)
        xb = xb.reshape(k, b, *xb.shape[1:])  # (K, B, *event)
        if shell.binarize == "dynamic":
            xb = torch.stack([dynamic_binarize(xb[i], generator=g) for i, g in enumerate(gens)])  # (K, B, *event)
        side = {n: torch.index_select(v, 0, idx.reshape(-1)).reshape(k, b, *v.shape[1:])
                for n, v in shell.side_train.items()}  # (K, B, ...) each
        return xb, side

    def train_epoch(self, stack: Stack, members: list[int], epoch: int, schedules, gens, progress):
        """The epoch's steps for the stacked members: (per-member epoch means, {i: divergence message})."""
        shells = [self.shells[k] for k in members]
        lead = shells[0]
        n_all, bs = lead.x_train.shape[0], lead.cfg.train.batch_size
        steps, n = lead._steps()  # (steps, examples used): a last batch batch norm cannot use is left out
        perms = torch.stack([torch.randperm(n_all, device=self.device, generator=torch.Generator(
            device=self.device).manual_seed(epoch_seed(s.cfg.train.seed, epoch))) for s in shells])  # (K, N)
        betas = torch.tensor([b for b, _ in schedules], device=self.device)  # (K,)
        lrs = [lr for _, lr in schedules]
        clips = [s.cfg.optim.grad_clip for s in shells]
        clips = None if all(c is None for c in clips) else torch.tensor(
            [math.inf if c is None else c for c in clips], device=self.device)  # (K,)
        options = self._options(shells)
        names = lead.term_names
        buf = torch.empty(steps, len(shells), len(names), device=self.device)  # (steps, K, n_terms)
        diverged: dict[int, str] = {}
        for s in shells:
            s.model.train()
        progress.start_epoch(epoch, steps)
        for s in range(steps):
            xb, side = self._batch(perms, s, gens)
            noise = stacked_noise(self.step.draws(stack, xb, side), gens, self.device)  # (K, ...) each
            buf[s] = self._step(stack, xb, betas, side, noise, options, lrs, clips)
            if (s + 1) % lead.cfg.train.log_every == 0 or s == steps - 1:
                for i, shell in enumerate(shells):
                    if i not in diverged:
                        message = shell.divergence(buf[: s + 1, i, 0], epoch)
                        if message is not None:
                            diverged[i] = message
                progress.update(s + 1, dict(zip(names, buf[: s + 1].mean((0, 1)).tolist())))
        sizes = torch.full((steps,), float(bs), device=self.device)
        sizes[-1] = n - bs * (steps - 1)
        means = (buf * sizes[:, None, None]).sum(0) / n  # (K, n_terms) size-weighted epoch means
        return [dict(zip(names, row)) for row in means.tolist()], diverged

    def _step(self, stack, xb, betas, side, noise, options, lrs, clips) -> torch.Tensor:
        try:
            return self.step(stack, xb, betas, side, noise, options, lrs, clips)
        except NoiseMismatch as err:
            raise ConfigError(f"model '{self.shells[0].cfg.model.name}' cannot train as an ensemble: {err}; "
                              "train its members one by one (a sweep's local executor)") from None
        except RuntimeError as err:
            if "vmap" not in str(err) and "randomness" not in str(err):
                raise
            raise ConfigError(f"model '{self.shells[0].cfg.model.name}' cannot train as an ensemble: torch.func.vmap "
                              f"refused its forward ({str(err).splitlines()[0]}); train its members one by one "
                              "(a sweep's local executor)") from None


def check_same_shapes(shells: list[Trainer]) -> None:
    """Members must share every parameter's and buffer's name and shape (they are stacked)."""
    ref = {n: tuple(t.shape) for n, t in [*shells[0].model.named_parameters(), *shells[0].model.named_buffers()]}
    for s in shells[1:]:
        got = {n: tuple(t.shape) for n, t in [*s.model.named_parameters(), *s.model.named_buffers()]}
        if got != ref:
            raise ConfigError("ensemble members must have one architecture: their parameters differ in name or shape")
