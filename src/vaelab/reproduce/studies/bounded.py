"""The molecule article's MNIST bubbles: plain, bounded mean, bounded log-variance, and both, in 2-D.

Cho, 'Helping VAE by regularizing latent vector' (figs. 6-9): a 2-D VAE on MNIST draws each
posterior N(mu, sigma^2) as a bubble; digits 0 and 1 get two very large bubbles (fig. 6).
Bounding the mean (mu = 3 tanh) keeps every bubble inside the prior's 99th percentile and
shrinks the bubble of 1 (fig. 7); bounding the log-variance (tanh) shrinks the bubbles of 0
and 1 (fig. 8); bounding both (fig. 9) spreads them more evenly. Volume = mean of
sum_k log sigma_k^2 per digit, distance = mean ||mu|| (vaelab.diagnostics.bubbles).
"""

from __future__ import annotations

import numpy as np

from vaelab.reproduce import figures as fig
from vaelab.reproduce.studies.common import clearly_lower, smoke, sweep_of
from vaelab.reproduce.study import Budget, Claim, Column, Study, fmt, get
from vaelab.rundir.layout import RunLayout

ARMS = {"plain": {"model.name": "vae"}, "bounded-mean": {"model.name": "bounded-mean"},
        "bounded-logvar": {"model.name": "bounded-logvar"}, "bounded-both": {"model.name": "bounded-both"}}
BASE = {"data": {"name": "mnist5k"}, "model": {"name": "vae", "latent_dim": 2, "hidden": [200, 200]},
        "train": {"batch_size": 100, "progress": False}, "optim": {"lr": 1e-3}}
EVALUATE = {"split": "test", "iw_samples": 100, "fd": False}


def _sweep(epochs: int, seeds: int) -> dict:
    return sweep_of({**BASE, "train": {**BASE["train"], "epochs": epochs}}, ARMS, seeds=seeds, evaluate=EVALUATE)


SHORT = _sweep(100, 3)
FULL = _sweep(300, 5)
SMOKE = smoke(_sweep(1, 1), **{"model.hidden": [32, 32]})
SMOKE["evaluate"]["limit"] = 500  # every digit's bubble (all of mnist5k's 500 test digits)
DIGITS = tuple(str(d) for d in range(10))


def _max_abs_mean(collected, budget: str) -> dict:
    """Per arm, the largest |mu| over the test split and seeds (the bound of the mean is 3)."""
    out: dict[str, dict] = {}
    for t in collected.trials:
        mu = np.load(RunLayout(t.run_dir).arrays("posterior_test"))["mu"]  # (N, 2)
        row = out.setdefault(t.arm, {"max_abs_mu": 0.0})
        row["max_abs_mu"] = max(row["max_abs_mu"], float(np.abs(mu).max()))
    return out


def _largest_two(t):
    vols = {d: get(t, "plain", f"bubbles.volume.{d}") for d in DIGITS if f"bubbles.volume.{d}" in t.get("plain", {})}
    if len(vols) < 3:
        get(t, "plain", "bubbles.volume.0")
    top = sorted(vols, key=vols.get, reverse=True)[:2]
    return set(top) == {"0", "1"}, "largest bubbles (plain): " + ", ".join(f"{d} {fmt(vols[d])}" for d in top)


def _mean_inside(t):
    m = get(t, "bounded-mean", "max_abs_mu")
    return m <= 3.0, f"max |mu| with the bounded mean: {fmt(m, 3)} (bound 3)"


def _shrinks(arm: str, digits: tuple[str, ...]):
    """Each digit's bubble volume is clearly (beyond the seeds' spread) smaller under ``arm`` than plain."""
    def test(t):
        results = [clearly_lower(t, arm, "plain", f"bubbles.volume.{d}") for d in digits]
        return all(held for held, _ in results), "; ".join(text for _, text in results)
    return test


def _relative(t: dict, arm: str, digit: str) -> float:
    """A digit's bubble volume minus the mean volume over the digits: its size next to the others'."""
    vols = [get(t, arm, f"bubbles.volume.{d}") for d in DIGITS if f"bubbles.volume.{d}" in t.get(arm, {})]
    return get(t, arm, f"bubbles.volume.{digit}") - sum(vols) / len(vols)


def _shrinks_relative(arm: str, digits: tuple[str, ...]):
    """Each digit's bubble is smaller next to the other digits' under ``arm`` than without bounds."""
    def test(t):
        pairs = {d: (_relative(t, arm, d), _relative(t, "plain", d)) for d in digits}
        return all(a < b for a, b in pairs.values()), "; ".join(
            f"digit {d} volume minus the digits' mean: {arm} {fmt(a)} vs plain {fmt(b)}" for d, (a, b) in pairs.items())
    return test


def _more_even(t):
    return clearly_lower(t, "bounded-both", "plain", "bubbles.evenness_cv", 3)


CLAIMS = (
    Claim("Plain VAE: digits 0 and 1 have the two largest bubbles (fig. 6)", _largest_two),
    Claim("Bounding the mean keeps every posterior mean within the prior's +-3 (fig. 7)", _mean_inside),
    Claim("Bounding the mean shrinks the bubble of 1 (fig. 7)", _shrinks("bounded-mean", ("1",))),
    Claim("Bounding the log-variance shrinks the bubbles of 0 and 1 (fig. 8)", _shrinks("bounded-logvar", ("0", "1"))),
    Claim("... next to the other digits' bubbles (fig. 8 shows sizes relative to the map)",
          _shrinks_relative("bounded-logvar", ("0", "1"))),
    Claim("Bounding both spreads the bubbles more evenly (fig. 9)", _more_even),
)


def _figures(collected, out):
    return fig.written(*fig.run_figures(collected, ARMS, "bubbles", out, "bounded"))


STUDY = Study(
    name="bounded", title="Bounded latents: posterior bubbles of MNIST digits in 2-D",
    source="Cho, 'Helping VAE by regularizing latent vector' (figs. 6-9)",
    setting="mnist5k (5,000 real MNIST digits with labels, grey levels, dynamically binarised), MLP 784-200-200-2, "
            "Bernoulli decoder; the article does not give its MNIST network. Bubble volume = mean sum log sigma^2 "
            "per digit (larger = bigger), distance = mean ||mu||; means over seeds.",
    budgets={"smoke": Budget({"mnist": SMOKE}, 0.3, "300 digits, 1 epoch, 1 seed"),
             "short": Budget({"mnist": SHORT}, 5, "100 epochs, 3 seeds"),
             "full": Budget({"mnist": FULL}, 30, "300 epochs, 5 seeds")},
    columns=(Column("neg_elbo", "-ELBO", 2, True), Column("bubbles.volume.0", "vol 0", 2),
             Column("bubbles.volume.1", "vol 1", 2), Column("bubbles.volume.7", "vol 7", 2),
             Column("bubbles.distance.0", "dist 0", 2), Column("bubbles.distance.1", "dist 1", 2),
             Column("bubbles.evenness_cv", "evenness CV", 3), Column("max_abs_mu", "max |mu|", 2)),
    claims=CLAIMS, figures=_figures, extra=_max_abs_mean,
    differs={"*": "the article shows figures only; its MNIST network is not given"},
)
