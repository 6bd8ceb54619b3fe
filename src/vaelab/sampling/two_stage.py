"""``two-stage``: a second VAE trained on the standardised training codes (Dai & Wipf 2019).

The second stage is an ordinary vaelab run: the standardised codes are saved as
``codes.npy`` in the sampler folder and ``vaelab.training.train_run`` trains a small MLP VAE
on them (dataset ``array``, Gaussian likelihood) into ``stage2/`` beside it, so it
never lands in the user's ``runs/`` folder and can be inspected like any run.
Sampling draws u ~ N(0, I), decodes it to the second stage's likelihood mean, and
undoes the standardisation.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import torch

from vaelab.fileio import atomic_write_bytes
from vaelab.progress import say
from vaelab.sampling.base import Sampler, register_sampler
from vaelab.sampling.linalg import check_codes

STAGE2 = "stage2"  # the nested run directory, inside the sampler folder
CODES = "codes.npy"  # the standardised codes it is trained on


def standardise(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes - mean) / std per dimension; a constant dimension keeps std 1 (nothing to scale)."""
    mean = codes.mean(axis=0)  # (d,)
    std = codes.std(axis=0)  # (d,)
    std = np.where(std > 1e-12, std, 1.0)
    return (codes - mean) / std, mean, std  # (N, d), (d,), (d,)


def stage2_config(codes_path: Path, d: int, options: dict, device) -> dict:
    """The second stage's config: an MLP VAE with latent_dim = code dim (Dai & Wipf's kappa = d) on real data.

    The Gaussian decoder's log-variance bound is wide (``logvar_bound``) because
    Dai & Wipf's argument needs the decoder variance gamma free to shrink.
    """
    return {
        "data": {"name": "array", "binarize": "none", "valid_fraction": 0.1, "test_fraction": 0.0,
                 "options": {"path": str(codes_path.resolve()), "kind": "real"}},
        "model": {"name": "vae", "latent_dim": options["latent_dim"] or d, "hidden": list(options["hidden"]),
                  "likelihood": "gaussian", "logvar_bound": options["logvar_bound"]},
        "train": {"epochs": options["epochs"], "batch_size": options["batch_size"], "seed": options["seed"],
                  "device": str(device), "progress": False},  # 100 epoch lines would drown the command's output
        "optim": {"lr": options["lr"]},
    }


@register_sampler
class TwoStageSampler(Sampler):
    """z = std * E[p(z | u)] + mean with u ~ N(0, I): a second VAE models the aggregate posterior.

    Dai & Wipf 2019, 'Diagnosing and enhancing VAE models', sec. 4: the first stage's
    codes do not follow N(0, I), but a second VAE of the same latent size, trained on
    them, learns to map N(0, I) onto where they are.
    """

    name = "two-stage"
    option_defaults = {"epochs": 100, "hidden": [256, 256], "latent_dim": None, "batch_size": 100, "lr": 1e-3,
                       "logvar_bound": 8.0, "seed": 0}

    def __init__(self, options: dict, device, mean, std, stage2_run):
        super().__init__(options, device)
        self.mean = torch.as_tensor(mean, dtype=torch.float32, device=self.device)  # (d,)
        self.std = torch.as_tensor(std, dtype=torch.float32, device=self.device)  # (d,)
        self.stage2 = stage2_run

    @classmethod
    def check_options(cls, options: dict) -> None:
        for key in ("epochs", "batch_size"):
            if options[key] < 1:
                raise ValueError(f"option {key}={options[key]}: must be at least 1")
        if not options["hidden"] or min(options["hidden"]) < 1:
            raise ValueError(f"option hidden={options['hidden']}: must be a non-empty list of positive sizes")
        if options["latent_dim"] is not None and options["latent_dim"] < 1:
            raise ValueError(f"option latent_dim={options['latent_dim']}: must be positive (or null: the code dim)")
        if options["lr"] <= 0 or options["logvar_bound"] <= 0:
            raise ValueError("options lr and logvar_bound must be positive")

    @classmethod
    def fit(cls, codes, options, folder: Path, device, progress: bool = True) -> "TwoStageSampler":
        from vaelab.config import make_config
        from vaelab.rundir import load_run
        from vaelab.training import train_run

        check_codes(codes, cls.name, least=10)
        scaled, mean, std = standardise(codes)
        buf = io.BytesIO()
        np.save(buf, scaled.astype(np.float32), allow_pickle=False)
        atomic_write_bytes(folder / CODES, buf.getvalue())
        say(f"two-stage: training a second-stage VAE on {len(codes)} codes for {options['epochs']} epochs in "
            f"{folder / STAGE2}", progress)
        t0 = time.perf_counter()
        with torch.random.fork_rng(devices=[]):  # training seeds the global RNG; leave the caller's alone
            cfg = make_config(stage2_config(folder / CODES, codes.shape[1], options, device))
            run = load_run(train_run(cfg, out=folder / STAGE2), device=str(device))
        say(f"two-stage: trained in {time.perf_counter() - t0:.1f} s", progress)
        return cls(options, device, mean, std, run)

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean.cpu().numpy(), "std": self.std.cpu().numpy()}

    @classmethod
    def from_state(cls, arrays, options, folder: Path, device) -> "TwoStageSampler":
        from vaelab.rundir import load_run

        return cls(options, device, arrays["mean"], arrays["std"], load_run(folder / STAGE2, device=str(device)))

    def summary(self) -> dict:
        s = self.stage2.summary
        return {"stage2_run": STAGE2, "stage2_epochs": s.get("epochs_completed"),
                "stage2_valid_neg_elbo": (s.get("final") or {}).get("valid_neg_elbo")}

    def generator(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    @torch.no_grad()
    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """u ~ N(0, I), then z ~ N(mu(u), gamma(u)) from the second stage's Gaussian decoder.

        Dai & Wipf decode with the mean because their gamma -> 0 at the optimum; drawing
        from the full decoder gives the same codes then, and stays right when the second
        stage has not shrunk gamma (a short fit, or codes already close to Gaussian, where
        the mean alone collapses every draw onto the codes' centre).
        """
        model = self.stage2.model.eval()
        u = model.prior.sample(n, generator=generator)  # (n, d2)
        p = model.decode(u)  # Gaussian over the standardised codes, batch (n,)
        eps = torch.randn(p.loc.shape, generator=generator, device=p.loc.device, dtype=p.loc.dtype)  # (n, d)
        z = p.loc + p.stddev * eps  # (n, d)
        return z * self.std + self.mean  # (n, d), back in the first stage's units
