"""Replaying each ensemble member's own sampling noise inside one vectorised forward.

A single run draws its reparameterisation noise from the global generator, seeded at
each epoch start (:func:`vaelab.training.trainer.epoch_seed`). Under ``torch.func.vmap``
one ``torch.randn`` call would draw a single (K, ...) block, which no single run draws.
So the ensemble records, once per batch size, which draws the model's forward makes
(:class:`NoiseRecorder`: function, shape, dtype), draws them before each step from every
member's own generator in the same order (:func:`draw_noise`), and serves them back to the
vmapped forward in that order (:class:`NoiseReplay`). Member k thus sees exactly the
numbers the single run with its seed sees. A forward drawing noise in a way that cannot be
replayed (``torch.bernoulli`` of a computed tensor, a draw whose shape differs from the
recorded one) raises :class:`NoiseMismatch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.overrides import TorchFunctionMode

#: the draws the replay serves: name -> (function, whether its first argument is a tensor to imitate)
_DRAWS = {torch.randn: ("randn", False), torch.rand: ("rand", False),
          torch.randn_like: ("randn", True), torch.rand_like: ("rand", True)}
#: random functions that cannot be pre-drawn (their draw depends on a computed tensor)
_UNREPLAYABLE = (torch.bernoulli, torch.normal, torch.multinomial, torch.poisson, torch.Tensor.normal_,
                 torch.Tensor.uniform_, torch.Tensor.bernoulli_, torch.Tensor.exponential_, torch.randint,
                 torch.randint_like, torch.randperm)


class NoiseMismatch(RuntimeError):
    """The model's forward draws noise that the ensemble cannot replay member by member."""


@dataclass(frozen=True)
class Draw:
    """One recorded draw: ``randn`` or ``rand`` of ``shape`` and ``dtype``."""

    kind: str
    shape: tuple[int, ...]
    dtype: torch.dtype


def _spec(func, args, kwargs) -> Draw | None:
    """The draw a call makes, or None if it is not a replayable draw (or it brings its own generator)."""
    if func not in _DRAWS or kwargs.get("generator") is not None:
        return None
    kind, like = _DRAWS[func]
    if like:
        t = args[0]
        return Draw(kind, tuple(t.shape), kwargs.get("dtype") or t.dtype)
    shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)) else args
    return Draw(kind, tuple(int(s) for s in shape), kwargs.get("dtype") or torch.get_default_dtype())


class NoiseRecorder(TorchFunctionMode):
    """Records every replayable draw of a forward (the draws still happen)."""

    def __init__(self):
        super().__init__()
        self.draws: list[Draw] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        spec = _spec(func, args, kwargs)
        if spec is not None:
            self.draws.append(spec)
        elif func in _UNREPLAYABLE and kwargs.get("generator") is None:
            name = getattr(func, "__name__", str(func))
            raise NoiseMismatch(f"its forward draws noise with {name}, which depends on computed values and cannot "
                                "be replayed member by member")
        return func(*args, **kwargs)


class NoiseReplay(TorchFunctionMode):
    """Serves the draws of a forward from ``noise`` (tensors, in the recorded order)."""

    def __init__(self, noise: list[torch.Tensor]):
        super().__init__()
        self.noise, self.next = noise, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        spec = _spec(func, args, kwargs)
        if spec is None:
            return func(*args, **kwargs)
        if self.next >= len(self.noise) or tuple(self.noise[self.next].shape) != spec.shape:
            raise NoiseMismatch(f"its forward drew {spec.kind}{list(spec.shape)} where the recorded forward drew "
                                f"{'nothing more' if self.next >= len(self.noise) else list(self.noise[self.next].shape)}"
                                "; its draws depend on more than the batch size")
        t = self.noise[self.next]
        self.next += 1
        return t


def draw_noise(draws: list[Draw], generator: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """The recorded ``draws`` drawn from ``generator``, as the single run's global generator would draw them."""
    fns = {"randn": torch.randn, "rand": torch.rand}
    return [fns[d.kind](d.shape, dtype=d.dtype, device=device, generator=generator) for d in draws]


def stacked_noise(draws: list[Draw], generators: list[torch.Generator], device: torch.device) -> list[torch.Tensor]:
    """Every member's draws, stacked: one (K, *shape) tensor per recorded draw."""
    per_member = [draw_noise(draws, g, device) for g in generators]
    return [torch.stack([m[i] for m in per_member]) for i in range(len(draws))]  # (K, *shape) each


def load_generator_state(device: torch.device, generator: torch.Generator) -> None:
    """Make the global generator of ``device`` continue ``generator``'s stream (for code that draws globally)."""
    if device.type == "cuda":
        torch.cuda.set_rng_state(generator.get_state(), device)
    else:
        torch.set_rng_state(generator.get_state())
