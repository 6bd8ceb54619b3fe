"""Bettencourt & Craddock's MLP VAE study: decoders, IWAE, batch norm, warm-up and the latent size.

Bettencourt, G. & Craddock, "Variational autoencoders in TensorFlow" (course project after
Kingma & Welling 2013 and Burda et al. 2016): an MLP 200-200 softplus encoder and decoder with
Xavier initialisation, Adam, batch 100, binarized MNIST. Its results are figures (training
curves, activity per dimension), so the published columns are empty and the claims are
the text's qualitative statements.
"""

from __future__ import annotations

from vaelab.reproduce import figures as fig
from vaelab.reproduce.studies.common import lower, smoke, spread, sweep_of
from vaelab.reproduce.study import Budget, Claim, Column, Study, fmt, get

LATENT = 20
BASE = {"data": {"name": "binarized-mnist"},
        "model": {"name": "vae", "latent_dim": LATENT, "hidden": [200, 200], "activation": "softplus",
                  "likelihood": "bernoulli"},
        "train": {"batch_size": 100, "progress": False}, "optim": {"lr": 1e-3}}


def _arms(warmup_epochs: int) -> dict[str, dict]:
    iwae = {"model.name": "iwae", "model.options.k": 5}
    return {"bernoulli": {}, "gaussian": {"model.likelihood": "gaussian"}, "iwae-5": iwae,
            "batch-norm": {"model.batch_norm": True},
            "warm-up": {"kl_schedule.kind": "linear", "kl_schedule.start": 0.0, "kl_schedule.end": 1.0,
                        "kl_schedule.epochs": warmup_epochs},
            **{f"nz-{n}": {**iwae, "model.latent_dim": n} for n in (2, 10, 50, 100)}}


def _sweep(epochs: int, evaluate: dict) -> dict:
    base = {**BASE, "train": {**BASE["train"], "epochs": epochs}}
    return sweep_of(base, _arms(max(1, epochs // 2)), evaluate=evaluate)


SHORT = _sweep(20, {"split": "test", "iw_samples": 1000, "limit": 2000})
FULL = _sweep(200, {"split": "test", "iw_samples": 5000})
SMOKE = smoke(_sweep(1, {"fd": True}), **{"data.name": "mnist5k", "model.hidden": [32, 32]})
NZ_HIGH = ("nz-10", "iwae-5", "nz-50", "nz-100")  # iwae-5 is the n_z = 20 IWAE


def _bernoulli_beats_gaussian(t):
    rec, rec_text = lower(t, "bernoulli", "gaussian", "fd.fd_rec")
    smp, smp_text = lower(t, "bernoulli", "gaussian", "fd.fd_n")
    return rec and smp, f"FD of reconstructions {rec_text}; FD of prior samples {smp_text}"


def _same_bound_above_10(t):
    gap, text = spread(t, NZ_HIGH, "iw_nll")
    mean = sum(get(t, a, "iw_nll") for a in NZ_HIGH) / len(NZ_HIGH)
    return gap <= 0.02 * mean, f"spread {fmt(gap)} nats (within 2 % = {fmt(0.02 * mean)}?); {text}"


def _two_worse(t):
    two, best = get(t, "nz-2", "iw_nll"), min(get(t, a, "iw_nll") for a in NZ_HIGH)
    return two > best + 5, f"iw_nll: nz-2 {fmt(two)} vs best of n_z >= 10 {fmt(best)}"


def _au_stops_growing(t):
    au = {a: get(t, a, "au") for a in ("nz-10", "iwae-5", "nz-50", "nz-100")}
    held = au["nz-100"] <= au["nz-50"] + 5 and au["nz-100"] < 50
    return held, "active units: " + ", ".join(f"{a} {int(v)}" for a, v in au.items())


def _warmup_more_active(t):
    a, b = get(t, "warm-up", "au"), get(t, "bernoulli", "au")
    return a >= b, f"active units: warm-up {int(a)} vs no warm-up {int(b)}"


CLAIMS = (
    Claim("A Bernoulli decoder beats a Gaussian one on binary data (sec. 3.1; decided on FD of reconstructions and "
          "samples, since a density and a probability mass are not comparable in nats)", _bernoulli_beats_gaussian),
    Claim("IWAE with K = 5 gives a better bound than the VAE (sec. 3.2.1)",
          lambda t: lower(t, "iwae-5", "bernoulli", "iw_nll")),
    Claim("Models with n_z >= 10 reach about the same bound (sec. 3.2.4)", _same_bound_above_10),
    Claim("n_z = 2 trains less well than larger latent spaces (sec. 3.2.4)", _two_worse),
    Claim("The number of active units stops growing with n_z (sec. 3.2.4)", _au_stops_growing),
    Claim("Warm-up keeps at least as many units active as no warm-up (sec. 2.6)", _warmup_more_active),
)

COMPARISONS = {"decoder": ["bernoulli", "gaussian"], "VAE vs IWAE (K=5)": ["bernoulli", "iwae-5"],
               "batch norm": ["bernoulli", "batch-norm"], "warm-up": ["bernoulli", "warm-up"],
               "latent size (IWAE K=5)": ["nz-2", "nz-10", "iwae-5", "nz-50", "nz-100"]}


def _figures(collected, out):
    return fig.written(fig.curves(collected, COMPARISONS, out / "bettencourt-curves.png"),
                       fig.activity(collected, list(collected.table), out / "bettencourt-activity.png",
                                    "Activity per dimension per variant"))


STUDY = Study(
    name="bettencourt", title="MLP VAE: decoders, IWAE, batch norm, warm-up, latent size",
    source="Bettencourt & Craddock, 'Variational autoencoders' (MLP 200-200 softplus, Xavier, Adam, batch 100)",
    setting="Statically binarized MNIST (50,000 train), MLP 784-200-200-n_z softplus, n_z = 20 unless named, Adam "
            "lr 1e-3, batch 100. The paper reports figures, not tables: no published numbers to put beside ours.",
    budgets={"smoke": Budget({"mnist": SMOKE}, 0.5, "mnist5k, 300 training digits, 1 epoch, MLP 32-32"),
             "short": Budget({"mnist": SHORT}, 18, "20 epochs; IW NLL with K = 1000 on 2,000 test digits"),
             "full": Budget({"mnist": FULL}, 150, "200 epochs; IW NLL with K = 5000 on the 10,000 test digits")},
    columns=(Column("iw_nll", "IW NLL", 2, True), Column("neg_elbo", "-ELBO", 2, True), Column("kl", "KL", 2),
             Column("au", "AU", 0), Column("fd.fd_rec", "FD rec", 1, True), Column("fd.fd_n", "FD samples", 1, True),
             Column("wall_time_s", "train s", 0)),
    claims=CLAIMS, figures=_figures,
    differs={"gaussian": "its -ELBO is a density on binary pixels: not comparable with the Bernoulli rows"},
)
