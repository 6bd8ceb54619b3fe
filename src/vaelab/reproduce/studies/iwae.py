"""Burda, Grosse & Salakhutdinov (2016): VAE and IWAE with one stochastic layer at k = 1, 5, 50.

Their Table 1 (MNIST, one stochastic layer 784-200-200-50 tanh, Adam with eps = 1e-4, 3,280
passes: stage i = 3**i passes at lr 0.001 * 10**(-i/7), i = 0..7; test NLL from k = 5000
importance samples). Their MNIST is dynamically binarised (each example resampled every time
it is used); we could not confirm static-binarisation figures in the paper, so ours, on the
one statically binarised MNIST available offline, sit beside the dynamic ones: static
binarisation is a smaller effective training set and overfits, so expect a higher NLL.
"""

from __future__ import annotations

from vaelab.reproduce.studies.common import smoke, sweep_of
from vaelab.reproduce.study import Budget, Claim, Column, Study, fmt, get

#: the arms in training order: the full budget trains one at a time (--workers 1), the VAE k = 1 first
ARMS = {"vae-k1": {"model.name": "vae", "model.options.k": 1}, "iwae-k5": {"model.name": "iwae", "model.options.k": 5},
        "vae-k5": {"model.name": "vae", "model.options.k": 5}, "vae-k50": {"model.name": "vae", "model.options.k": 50},
        "iwae-k1": {"model.name": "iwae", "model.options.k": 1},
        "iwae-k50": {"model.name": "iwae", "model.options.k": 50}}
BASE = {"data": {"name": "binarized-mnist"},
        "model": {"name": "vae", "latent_dim": 50, "hidden": [200, 200], "activation": "tanh"},
        "train": {"epochs": 3280, "batch_size": 100, "progress": False},
        "optim": {"lr": 0.001, "eps": 0.0001, "lr_schedule": "burda"}}
FULL = sweep_of(BASE, ARMS, evaluate={"split": "test", "iw_samples": 5000, "fd": False})
SHORT = sweep_of({**BASE, "train": {**BASE["train"], "epochs": 30}, "optim": {"lr": 0.001, "eps": 0.0001}}, ARMS,
                 evaluate={"split": "test", "iw_samples": 5000, "limit": 2000, "fd": False})
SMOKE = smoke(SHORT, **{"data.name": "mnist5k", "model.hidden": [32, 32], "model.latent_dim": 8})

#: Burda et al. 2016, Table 1, MNIST, one stochastic layer, dynamic binarisation: test NLL (k = 5000)
PUBLISHED = {"vae-k1": {"iw_nll": 86.76}, "vae-k5": {"iw_nll": 86.47}, "vae-k50": {"iw_nll": 86.35},
             "iwae-k1": {"iw_nll": 86.76}, "iwae-k5": {"iw_nll": 85.54}, "iwae-k50": {"iw_nll": 84.78}}


def _iwae_improves_with_k(t):
    v = [get(t, f"iwae-k{k}", "iw_nll") for k in (1, 5, 50)]
    return v[0] > v[1] > v[2], "IWAE NLL at k = 1, 5, 50: " + ", ".join(fmt(x) for x in v)


def _iwae_beats_vae(t):
    pairs = {k: (get(t, f"iwae-k{k}", "iw_nll"), get(t, f"vae-k{k}", "iw_nll")) for k in (5, 50)}
    return all(i < v for i, v in pairs.values()), "; ".join(
        f"k = {k}: IWAE {fmt(i)} vs VAE {fmt(v)}" for k, (i, v) in pairs.items())


def _vae_flat_in_k(t):
    v = [get(t, f"vae-k{k}", "iw_nll") for k in (1, 5, 50)]
    return max(v) - min(v) < 1.0, "VAE NLL at k = 1, 5, 50: " + ", ".join(fmt(x) for x in v)


def _more_active_units(t):
    i, v = get(t, "iwae-k50", "au"), get(t, "vae-k50", "au")
    return i >= v, f"active units at k = 50: IWAE {int(i)} vs VAE {int(v)}"


def _within_one_nat(t):
    ours = get(t, "vae-k1", "iw_nll")
    return abs(ours - PUBLISHED["vae-k1"]["iw_nll"]) <= 1.0, (
        f"VAE k = 1: {fmt(ours)} vs the published {PUBLISHED['vae-k1']['iw_nll']} (dynamic binarisation)")


CLAIMS = (
    Claim("IWAE's test NLL improves as k grows (k = 1 > 5 > 50)", _iwae_improves_with_k),
    Claim("IWAE beats the VAE trained with the same number of samples (k = 5, 50)", _iwae_beats_vae),
    Claim("More samples barely change the VAE (NLL within 1 nat over k = 1, 5, 50)", _vae_flat_in_k),
    Claim("IWAE keeps at least as many active units as the VAE (k = 50)", _more_active_units),
    Claim("VAE k = 1 within 1 nat of the published NLL", _within_one_nat, on_paper=False),
)

STUDY = Study(
    name="iwae", title="Importance weighted autoencoders: VAE and IWAE at k = 1, 5, 50",
    source="Burda, Grosse & Salakhutdinov 2016, 'Importance weighted autoencoders', Table 1 (MNIST, one stochastic "
           "layer)",
    setting="Statically binarized MNIST (50,000 train; theirs: dynamic binarisation of 60,000), MLP 784-200-200-50 "
            "tanh, Adam eps 1e-4, batch 100 (theirs 20), test NLL from k = 5000 importance samples.",
    budgets={"smoke": Budget({"mnist": SMOKE}, 0.5, "mnist5k, 300 digits, 1 epoch, MLP 32-32, d = 8"),
             "short": Budget({"mnist": SHORT}, 75, "30 epochs at lr 1e-3; NLL on 2,000 test digits (the two k = 50 rows "
                                                 "took 55 of the 65 minutes of training here)"),
             "full": Budget({"mnist": FULL}, 2000, "their schedule: 3,280 epochs, lr 0.001*10**(-i/7) for 3**i "
                                                  "epochs; NLL on the 10,000 test digits; about 1.5 h for VAE k = 1, "
                                                  "far more for k = 50")},
    columns=(Column("iw_nll", "test NLL (k=5000)", 2, True), Column("neg_elbo", "-ELBO", 2, True),
             Column("kl", "KL", 2), Column("au", "AU", 0), Column("epochs_completed", "epochs", 0)),
    published=PUBLISHED,
    published_source="Burda et al. 2016, Table 1, MNIST, one stochastic layer (dynamic binarisation); static-"
                     "binarisation figures could not be confirmed in the paper",
    claims=CLAIMS,
    differs={"*": "static binarisation (theirs dynamic), 50,000 training digits (theirs 60,000), batch 100 (theirs 20)"},
)
