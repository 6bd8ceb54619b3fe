"""The training loop: read top to bottom.

The training split lives on the device as one tensor; a batch is a slice of a
per-epoch permutation. The loop never synchronises with the host except every
``train.log_every`` steps (progress bar and NaN check) and at the end of an epoch:
per-step figures go into a device buffer that is read once.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from vaelab.data import DataBundle, dynamic_binarize
from vaelab.data.side import side_tensors
from vaelab.data.transforms import prepare_eval, resolve_binarize, threshold_binarize
from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.likelihood import elbo_terms_mean
from vaelab.distributions import kl_divergence
from vaelab.errors import CheckpointError, ConfigError, TrainingDiverged
from vaelab.fileio import append_jsonl
from vaelab.models import resolve_likelihood, vocab_size_of
from vaelab.nn.batching import batch_minimum, take
from vaelab.rundir import checkpoint as ckpt
from vaelab.rundir.layout import RunLayout
from vaelab.threads import update_threads
from vaelab.training.aggressive import AggressiveStep, decoder_parameters, encoder_parameters
from vaelab.training import distributed as dist
from vaelab.training.callbacks import Callbacks
from vaelab.training.optim import make_adam, set_lr
from vaelab.training.progress import ProgressReporter
from vaelab.training.schedules import cyclical_warning, kl_weight, learning_rate
from vaelab.training.step import TrainStep

#: ``train.compile=auto`` compiles runs with at least this many steps (about 0.2 ms/step saved on CPU).
COMPILE_AUTO_STEPS = 20_000


def check_batch_size(model, batch_size: int, world_size: int = 1) -> None:
    """ConfigError when a process's batches would be too small for the model (batch norm, an MMD: two examples)."""
    need, why = batch_minimum(model)
    if batch_size < need * world_size:
        raise ConfigError(f"train.batch_size={batch_size} gives each process batches of fewer than {need} examples, "
                          f"and {why}, which needs {need}; use train.batch_size >= {need * world_size}")


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A distinct, reproducible seed per (run seed, epoch): resume needs no RNG state.

    In a data-parallel run each rank draws its own noise (rank 0 the single process's),
    so two shards never share their sampling noise.
    """
    return (seed * 1_000_003 + epoch * 7_919 + 17 + rank * 1_000_000_007) % (2**63)


@dataclass
class TrainState:
    """What a checkpoint must hold besides the weights to continue exactly."""

    epoch: int = 0  # epochs completed
    best_value: float = math.inf  # lowest validation loss (the model's objective at beta = 1)
    best_name: str | None = None
    bad_epochs: int = 0
    elapsed_s: float = 0.0
    stopped_early: bool = False

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("epoch", "best_value", "best_name", "bad_epochs",
                                               "elapsed_s", "stopped_early")}

    @classmethod
    def checked(cls, loop: dict, where) -> "TrainState":
        """The loop state of a checkpoint, each field type- and range-checked (CheckpointError naming the field)."""
        def bad(field: str, why: str):
            return CheckpointError(f"trainer state in '{where}': {field}={loop.get(field)!r} {why}; resume from an "
                                   "earlier checkpoint or retrain")

        if not isinstance(loop, dict):
            raise CheckpointError(f"trainer state in '{where}' is not a mapping; resume from an earlier checkpoint")
        unknown = set(loop) - set(cls().to_dict())
        if unknown:
            raise bad(sorted(unknown)[0], "is not a field of the trainer state")
        for field in ("epoch", "bad_epochs"):
            value = loop.get(field, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(field, "must be a whole number >= 0")
        for field in ("best_value", "elapsed_s"):
            value = loop.get(field, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise bad(field, "must be a number")
        if loop.get("elapsed_s", 0.0) < 0:
            raise bad("elapsed_s", "must be >= 0")
        if not isinstance(loop.get("stopped_early", False), bool):
            raise bad("stopped_early", "must be true or false")
        name = loop.get("best_name")
        if name is not None and not (isinstance(name, str) and ckpt.CHECKPOINT_NAME.fullmatch(name)):
            raise bad("best_name", "is not a checkpoint folder name")
        return cls(**loop)


class Trainer:
    """Fits a model to a DataBundle under a RunConfig, writing into ``run_dir``."""

    def __init__(self, model, bundle: DataBundle, cfg, run_dir, device: torch.device, callbacks=(),
                 ctx: dist.Context = dist.SINGLE):
        self.cfg, self.run_dir, self.device, self.ctx = cfg, Path(run_dir), device, ctx
        self.callbacks = callbacks if isinstance(callbacks, Callbacks) else Callbacks(callbacks)
        self.model = model.to(device)
        dist.sync_parameters(self.model)  # data-parallel: every rank starts from rank 0's weights
        self.likelihood = resolve_likelihood(cfg.model, bundle.kind)
        self.binarize = resolve_binarize(cfg.data.binarize, bundle.kind, self.likelihood)
        self.x_train = self._train_tensor(bundle.train.x).to(device)  # (N, *event)
        self.x_valid = prepare_eval(bundle.valid.x, self.binarize, cfg.train.seed).to(device)
        self.side_train = side_tensors(self.model, bundle.train, device)
        self.side_valid = side_tensors(self.model, bundle.valid, device)
        self.min_batch, self._min_batch_why = batch_minimum(self.model)  # a smaller last batch is left out
        check_batch_size(self.model, cfg.train.batch_size, ctx.world_size)
        self.optimizer, self.step = self._make_step()
        self.term_names = self.step.term_names(*self._batch(torch.arange(min(2, len(self.x_train)), device=device)))
        self.meta = {"event_shape": list(bundle.event_shape), "kind": bundle.kind, "n_classes": bundle.n_classes,
                     "vocab_size": vocab_size_of(bundle), "likelihood": self.likelihood, "binarize": self.binarize}
        self.state = TrainState()
        self._last_au: dict = {}  # shown in the progress bar: active units at the last epoch end

    # -- setup -------------------------------------------------------------------------
    def _make_step(self):
        """The optimizer and the training step named by ``train.step``."""
        cfg = self.cfg
        if cfg.train.step == "aggressive":
            groups = [{"params": encoder_parameters(self.model)}, {"params": decoder_parameters(self.model)}]
            opt = make_adam(groups, cfg.optim, self.device)
            step = AggressiveStep(self.model, opt, cfg.optim.grad_clip, self._random_batch,
                                  (self.x_valid, self.side_valid))
            return opt, step
        opt = make_adam(self.model.parameters(), cfg.optim, self.device)
        step = TrainStep(self.model, opt, cfg.optim.grad_clip, compile=self.want_compile(),
                         precision=cfg.train.precision)
        if self.ctx.enabled:
            step.reducer = dist.GradReducer(list(step.params.values()))
        return opt, step

    def _random_batch(self) -> tuple[torch.Tensor, dict]:
        """A fresh mini-batch drawn with replacement (for steps that sample their own batches)."""
        idx = torch.randint(0, self.x_train.shape[0], (self.cfg.train.batch_size,), device=self.device)
        return self._batch(idx)

    def want_compile(self, auto_steps: int = COMPILE_AUTO_STEPS) -> bool:
        """``train.compile=auto``: compile when the run has ``auto_steps`` steps or more, enough to repay compiling."""
        if not getattr(self.model, "compilable", True):
            return False
        if self.cfg.train.compile != "auto":
            return bool(self.cfg.train.compile)
        if self.likelihood == "categorical":  # GRUs and per-batch trimming gain nothing from compiling
            return False
        steps = self.cfg.train.epochs * math.ceil(self.x_train.shape[0] / self.cfg.train.batch_size)
        return steps >= auto_steps

    def _train_tensor(self, x: torch.Tensor) -> torch.Tensor:
        if self.binarize == "threshold":
            return threshold_binarize(x.float()).to(torch.uint8)
        return x  # uint8 binary data stays uint8 on the device; converted per batch

    def restore(self, which: str = "last") -> None:
        """Load weights, optimizer and loop state from the run's checkpoint (for --resume)."""
        path = ckpt.checkpoint_dir(RunLayout(self.run_dir).checkpoints, which)
        weights, _ = ckpt.load_weights(path)
        st = ckpt.load_trainer_state(path)
        try:
            self.model.load_state_dict(weights)
            self.optimizer.load_state_dict(st["optimizer"])
            self.state = TrainState.checked(st["loop"], path)
            self.step.load_state_dict(st.get("step", {}))
        except (RuntimeError, ValueError, KeyError, TypeError) as err:
            raise CheckpointError(f"checkpoint '{path}' does not fit this model ({str(err).splitlines()[0]}); "
                                  "a resumed run must keep its model settings: drop the model overrides, "
                                  "or start a new run with another --out") from None

    # -- one step, one epoch -----------------------------------------------------------
    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """(x batch (B, *event), side inputs (B,) each) for the indices ``idx``."""
        xb = torch.index_select(self.x_train, 0, idx).float()  # index_select beats x[idx] ~3x
        xb = dynamic_binarize(xb) if self.binarize == "dynamic" else xb
        return xb, {k: torch.index_select(v, 0, idx) for k, v in self.side_train.items()}

    def _steps(self) -> tuple[int, int]:
        """(steps per epoch, examples used per epoch).

        A last partial batch that cannot train is dropped: data-parallel, one smaller than
        the number of processes W (a rank would get no examples; at most W - 1 examples an
        epoch); for a model whose loss or layers take statistics over the batch (batch norm,
        an MMD: :func:`vaelab.nn.batching.batch_minimum`), one that would give a process fewer
        examples than those statistics need (torch's batch norm refuses a batch of one).
        """
        n, bs, world = self.x_train.shape[0], self.cfg.train.batch_size, self.ctx.world_size
        steps = math.ceil(n / bs)
        last = n - bs * (steps - 1)
        if (world > 1 and last < world) or (steps > 1 and last < self.min_batch * world):
            return steps - 1, bs * (steps - 1)
        return steps, n

    def warn_dropped_batch(self) -> None:
        """Say once, at the start of a fit, that the model's batch statistics leave the last batch of every epoch out."""
        steps, used = self._steps()
        n = self.x_train.shape[0]
        if self.min_batch > 1 and used < n and self.ctx.is_main:
            warnings.warn(f"{self._min_batch_why}, which needs {self.min_batch} examples a batch: the last batch of "
                          f"each epoch ({n - used} of {n} training examples) is left out; choose a train.batch_size "
                          "that leaves no smaller remainder to use it", stacklevel=3)

    def train_epoch(self, epoch: int, beta: float, progress: ProgressReporter) -> dict[str, float]:
        n_all, bs, ctx = self.x_train.shape[0], self.cfg.train.batch_size, self.ctx
        steps, n = self._steps()
        gen = torch.Generator(device=self.device).manual_seed(epoch_seed(self.cfg.train.seed, epoch))
        perm = torch.randperm(n_all, device=self.device, generator=gen)  # the same on every rank
        beta_t = torch.tensor(beta, device=self.device)
        names = self.term_names
        buf = torch.empty(steps, len(names), device=self.device)  # per-step means, read at log points
        self.model.train()
        progress.start_epoch(epoch, steps)
        share = 1.0
        for s in range(steps):
            idx = perm[s * bs : (s + 1) * bs]  # (B,) the global batch
            if ctx.enabled:
                idx, share = dist.shard(idx, ctx)  # (B/W,) this rank's part; figures come back all-reduced
            xb, side = self._batch(idx)
            first = s == 0 and epoch == self.state.epoch
            buf[s] = self.step.first(xb, beta_t, side, share) if first else self.step(xb, beta_t, side, share)
            if (s + 1) % self.cfg.train.log_every == 0 or s == steps - 1:
                self._check_finite(buf[: s + 1, 0], epoch)
                progress.update(s + 1, {**dict(zip(names, buf[: s + 1].mean(0).tolist())), **self._last_au})
                if self.callbacks:
                    self.callbacks.on_step(epoch * steps + s + 1, dict(zip(names, buf[s].tolist())))
        sizes = torch.full((steps,), float(bs), device=self.device)
        sizes[-1] = n - bs * (steps - 1)
        means = ((buf * sizes[:, None]).sum(0) / n).tolist()  # size-weighted epoch means
        return dict(zip(names, means))

    def _check_finite(self, losses: torch.Tensor, epoch: int) -> None:
        message = self.divergence(losses, epoch)
        if message is not None:
            raise TrainingDiverged(message)

    def divergence(self, losses: torch.Tensor, epoch: int) -> str | None:
        """Why training stops if ``losses`` (the epoch's per-step losses so far) hold a NaN or Inf, else None."""
        bad = ~torch.isfinite(losses)
        if not bool(bad.any()):
            return None
        step = int(bad.nonzero()[0, 0]) + 1
        last = f"epoch {self.state.epoch}" if self.state.epoch else None
        return (f"training diverged: the loss became NaN or Inf at epoch {epoch + 1}, step {step}. "
                f"The last good checkpoint ({last or 'none: no epoch had finished'}) is kept. "
                "Lower optim.lr, set optim.grad_clip, or check the data for extreme values.")

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """-ELBO terms on the validation split, plus the collapse monitor on a fixed validation batch."""
        self.model.eval()
        out = elbo_terms_mean(self.model, self.x_valid, self.cfg.train.eval_batch_size, side=self.side_valid)
        return {**out, **self.collapse_monitor()}

    @torch.no_grad()
    def collapse_monitor(self, n: int = 1000) -> dict:
        """Active units and per-dimension KL on the first ``n`` validation examples (Burda et al. 2016)."""
        x = self.x_valid[:n]
        side = take(self.side_valid, slice(0, n))
        if x.shape[0] < 2:
            return {}
        q = self.model.encode(x, **side)
        au = active_units(q.mean)
        if not hasattr(q, "logvar"):  # a deterministic encoder: activity, but no KL
            return {"au": au["au"]}
        kl = kl_divergence(q, self.model.prior).mean(0)  # (d,)
        return {"au": au["au"], "kl_per_dim": [round(v, 5) for v in kl.tolist()]}

    # -- the loop ----------------------------------------------------------------------
    def fit(self) -> TrainState:
        cfg, st = self.cfg, self.state
        self.warn_schedule()
        self.warn_dropped_batch()
        with ProgressReporter(cfg.train.progress, cfg.train.epochs) as progress:
            for epoch in range(st.epoch, cfg.train.epochs):
                if st.stopped_early:
                    break
                update_threads()  # the cores other processes left free over the last epoch (vaelab.threads)
                t0 = time.perf_counter()
                beta, lr = self.schedule(epoch)
                set_lr(self.optimizer, lr)
                torch.manual_seed(epoch_seed(cfg.train.seed, epoch, self.ctx.rank))  # sampling noise, binarisation
                train = self.train_epoch(epoch, beta, progress)
                self.close_epoch(epoch, beta, lr, train, t0, progress)
        return st

    def warn_schedule(self) -> None:
        coarse = cyclical_warning(self.cfg.kl_schedule, self.cfg.train.epochs)
        if coarse and self.ctx.is_main:
            warnings.warn(coarse, stacklevel=3)

    def schedule(self, epoch: int) -> tuple[float, float]:
        """(KL weight beta, learning rate) of (0-based) ``epoch``: stateless, so resume is exact."""
        cfg = self.cfg
        return kl_weight(cfg.kl_schedule, epoch, cfg.train.epochs), learning_rate(cfg.optim, epoch, cfg.train.epochs)

    def close_epoch(self, epoch: int, beta: float, lr: float, train: dict, t0: float, progress,
                    prefix: str = "") -> None:
        """After an epoch's steps: validate, record, early-stopping state, checkpoint, the summary line.

        ``t0`` is when the epoch started (its time includes validation); ``prefix`` starts the line
        (an ensemble names its member).
        """
        cfg, st = self.cfg, self.state
        valid = self._validate_once()
        step_info = self.step.end_epoch()  # e.g. the aggressive phase and its MI
        dt = time.perf_counter() - t0
        record = {**self._record(epoch, beta, lr, train, valid, dt), **step_info}
        self._last_au = {"AU": valid["au"]} if "au" in valid else {}
        if self.ctx.is_main:
            append_jsonl(RunLayout(self.run_dir).metrics, record)
            self.callbacks.on_epoch(record)
        self._end_epoch(epoch, valid["loss"], dt)
        every = max(1, cfg.train.epochs // 20)  # about 20 summary lines per run
        if (epoch + 1) % every == 0 or epoch + 1 == cfg.train.epochs or st.stopped_early:
            progress.log(prefix + self._line(record))

    def _validate_once(self) -> dict:
        """Validation figures; data-parallel, rank 0 computes them and every rank gets the same
        record, so early stopping and the best checkpoint are decided alike everywhere."""
        if not self.ctx.enabled:
            return self.validate()
        return dist.broadcast(self.validate() if self.ctx.is_main else None)

    def _record(self, epoch, beta, lr, train, valid, dt) -> dict:
        train = {**train, "neg_elbo": train["rec"] + train["kl"]}
        return {"epoch": epoch + 1, "beta": beta, "lr": lr,
                **{f"train_{k}": v for k, v in train.items()},
                **{f"valid_{k}": v for k, v in valid.items()},
                "epoch_time_s": dt}

    def _line(self, r: dict) -> str:
        au = f"  AU {r['valid_au']}" if "valid_au" in r else ""
        if not self.model.has_elbo:  # a deterministic encoder: no ELBO, show the loss
            bound = f"train loss {r['train_loss']:.2f}  valid loss {r['valid_loss']:.2f}  (rec {r['valid_rec']:.2f})"
        else:
            bound = (f"train -elbo {r['train_neg_elbo']:.2f}  valid -elbo {r['valid_neg_elbo']:.2f}  "
                     f"(rec {r['valid_rec']:.2f}, kl {r['valid_kl']:.2f})")
        return f"epoch {r['epoch']:>3}  beta {r['beta']:.2f}  {bound}{au}  {r['epoch_time_s']:.1f}s"

    def _end_epoch(self, epoch: int, value: float, dt: float) -> None:
        """Update early-stopping state, then checkpoint atomically."""
        st = self.state
        name = f"epoch_{epoch + 1:04d}"
        st.epoch, st.elapsed_s = epoch + 1, st.elapsed_s + dt
        if math.isfinite(value) and value < st.best_value:
            st.best_value, st.best_name, st.bad_epochs = value, name, 0
        else:
            st.bad_epochs += 1
        patience = self.cfg.train.early_stopping
        st.stopped_early = patience is not None and st.bad_epochs >= patience
        if not self.ctx.is_main:  # rank 0 alone writes the run directory
            return
        trainer_state = {"optimizer": self.optimizer.state_dict(), "loop": st.to_dict(),
                         "step": self.step.state_dict()}
        ckpt.save_checkpoint(RunLayout(self.run_dir).checkpoints, name, self.model, trainer_state,
                             {**self.meta, "epoch": epoch + 1}, st.best_name)
