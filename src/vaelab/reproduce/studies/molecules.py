"""The molecule article's QM9 study: a plain VAE, bounded latents and NE-VAE, with the MOSES metrics.

Cho, 'Helping VAE by regularizing latent vector': a SMILES VAE on QM9 with four Conv1D encoder
layers and four fully connected decoder layers (latent 16; fig. 1's latent map); its remedy
bounds the posterior mean (3 tanh) and log-variance (tanh) so that the bubbles spread evenly and
decoded points between them stay valid. The MOSES metrics (Polykovskiy et al. 2020) score the
prior samples against QM9's training and test molecules. The article gives figures, not numbers.
"""

from __future__ import annotations

from vaelab.reproduce import figures as fig
from vaelab.reproduce.studies.common import smoke, sweep_of
from vaelab.reproduce.study import Budget, Claim, Column, Study, fmt, get

BASE = {"data": {"name": "qm9"},
        "model": {"name": "vae", "latent_dim": 16, "seq_encoder": "article-conv", "seq_decoder": "fc",
                  "activation": "relu"},
        "train": {"batch_size": 100, "progress": False}, "optim": {"lr": 1e-3}}
BOUNDED = {"model.posterior": "bounded-gaussian", "model.bound": "both", "model.bound_m": 3.0, "model.bound_s": 1.0,
           "model.bound_v": 0.0}
ARMS = {"vae": {}, "bounded": BOUNDED, "ne-vae-se": {"model.name": "ne-vae", "model.options.reencode": "se"}}


def _sweep(epochs: int, limit: int | None, evaluate: dict) -> dict:
    data = {**BASE["data"], **({"limit": limit} if limit else {})}
    return sweep_of({**BASE, "data": data, "train": {**BASE["train"], "epochs": epochs}}, ARMS, evaluate=evaluate)


SHORT = _sweep(10, 50000, {"split": "test", "iw_samples": 100, "limit": 2000, "molecule_samples": 1000})
FULL = _sweep(50, None, {"split": "test", "iw_samples": 100, "molecule_samples": 10000})
SMOKE = smoke(_sweep(1, None, {"molecule_samples": 50}), **{"data.limit": 200, "model.decoder_hidden": [32, 32]})
S = "molecules.samples."


def _bounded_more_even(t):
    a, b = get(t, "bounded", "bubbles.evenness_cv"), get(t, "vae", "bubbles.evenness_cv")
    return a < b, f"evenness CV of bubble volumes over k-means groups: bounded {fmt(a, 3)} vs plain {fmt(b, 3)}"


def _bounded_valid(t):
    a, b = get(t, "bounded", S + "validity"), get(t, "vae", S + "validity")
    return a >= b, f"validity of prior samples: bounded {fmt(a, 3)} vs plain {fmt(b, 3)}"


def _nevae_active(t):
    a, b = get(t, "ne-vae-se", "au"), get(t, "vae", "au")
    return a >= b, f"active units: NE-VAE se {int(a)} vs VAE {int(b)}"


def _bounded_reconstructs(t):
    a, b = (get(t, arm, "molecules.reconstruction_accuracy") for arm in ("bounded", "vae"))
    return a >= b, f"reconstruction accuracy: bounded {fmt(a, 3)} vs plain {fmt(b, 3)}"


CLAIMS = (
    Claim("Bounded latents spread the posterior bubbles more evenly (figs. 7-9, on QM9 here)", _bounded_more_even),
    Claim("Bounded latents decode prior samples into valid molecules at least as often (no valleys between bubbles)",
          _bounded_valid),
    Claim("NE-VAE se keeps at least as many latent units active as the plain VAE", _nevae_active),
    Claim("Bounded latents reconstruct at least as well as the plain VAE", _bounded_reconstructs),
)


def _figures(collected, out):
    return fig.written(*fig.run_figures(collected, ARMS, "molecule-map", out, "molecules"))


STUDY = Study(
    name="molecules", title="SMILES VAEs on QM9: plain, bounded latents, NE-VAE, with the MOSES metrics",
    source="Cho, 'Helping VAE by regularizing latent vector' (QM9, fig. 1 and 9); metrics of Polykovskiy et al. 2020 "
           "(MOSES)",
    setting="QM9 SMILES, the article's network (four Conv1D layers, four fully connected decoder layers, latent 16), "
            "bounded = mean 3 tanh and log-variance tanh; 1,000 prior samples scored against QM9's train and test "
            "molecules. The article reports figures only: no published numbers.",
    budgets={"smoke": Budget({"qm9": SMOKE}, 0.5, "200 molecules, 1 epoch, 50 samples"),
             "short": Budget({"qm9": SHORT}, 10, "50,000 molecules, 10 epochs, 1,000 samples"),
             "full": Budget({"qm9": FULL}, 240, "all of QM9, 50 epochs, 10,000 samples")},
    columns=(Column("molecules.reconstruction_accuracy", "recon acc", 3), Column(S + "validity", "valid", 3),
             Column(S + "uniqueness", "unique", 3), Column(S + "novelty", "novel", 3),
             Column(S + "fcd_test", "FCD/test", 2, True), Column(S + "snn_test", "SNN/test", 3),
             Column(S + "frag_test", "Frag/test", 3), Column(S + "filters", "Filters", 3),
             Column(S + "logp_w1_test", "logP W1", 3, True), Column(S + "qed_w1_test", "QED W1", 3, True),
             Column(S + "sa_w1_test", "SA W1", 3, True), Column(S + "mw_w1_test", "MW W1", 1, True),
             Column("au", "AU", 0),
             Column("bubbles.evenness_cv", "evenness CV", 3), Column("neg_elbo", "-ELBO", 2, True)),
    claims=CLAIMS, figures=_figures,
    differs={"*": "the article gives no numbers; CPU budget"},
)
