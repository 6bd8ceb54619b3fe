"""Named settings over the variants: the seeds' configurations, selectable by name."""

from __future__ import annotations

from vaelab.models import anchored, cvae, cvvae, free_bits, iwae, nevae, rae, vae, wae  # noqa: F401  (register the variants first)
from vaelab.models.registry import register_preset

ANNEAL = {"kl_schedule.kind": "linear", "kl_schedule.start": 0.1, "kl_schedule.end": 1.0, "kl_schedule.epochs": 10}

register_preset("annealed-vae", "vae", ANNEAL,
                "VAE with KL annealing 0.1 -> 1 over the first 10 epochs", "NE-VAE paper, sec. 5.1")
register_preset("warmup-vae", "vae",
                {"kl_schedule.kind": "linear", "kl_schedule.start": 0.0, "kl_schedule.end": 1.0,
                 "kl_schedule.epochs": 10},
                "VAE with warm-up: beta 0 -> 1 over N_T = 10 epochs", "Bettencourt & Craddock, sec. 2.6, eq. 4")
register_preset("beta-vae", "vae", {**ANNEAL, "kl_schedule.cap": 0.8},
                "beta-VAE: annealed like the others, then held at beta (kl_schedule.cap, default 0.8)",
                "Higgins et al. 2017; NE-VAE paper, sec. 5.1")
register_preset("batchnorm-vae", "vae", {"model.batch_norm": True},
                "VAE with batch norm on every hidden layer (running statistics at evaluation)",
                "Bettencourt & Craddock, sec. 2.5")
register_preset("bernoulli-vae", "vae", {"model.likelihood": "bernoulli"},
                "VAE with a Bernoulli decoder", "Kingma & Welling 2013, app. C.1")
register_preset("gaussian-vae", "vae", {"model.likelihood": "gaussian", "data.binarize": "none"},
                "VAE with a Gaussian decoder: sigmoid mean, tanh log-variance", "Kingma & Welling 2013, app. C.2")
_BOUNDED = {"model.posterior": "bounded-gaussian", "model.bound_m": 3.0, "model.bound_s": 1.0, "model.bound_v": 0.0}
register_preset("bounded-mean", "vae", {**_BOUNDED, "model.bound": "mean"},
                "bounded latents: mean = 3 tanh(.)", "Cho, 'Helping VAE by regularizing latent vector'")
register_preset("bounded-logvar", "vae", {**_BOUNDED, "model.bound": "logvar"},
                "bounded latents: log-variance = tanh(.) (s=1, v=0)", "Cho, 'Helping VAE by regularizing latent vector'")
register_preset("bounded-both", "vae", {**_BOUNDED, "model.bound": "both"},
                "bounded latents: both mean and log-variance bounded", "Cho, 'Helping VAE by regularizing latent vector'")
register_preset("ne-vae-se", "ne-vae", {**ANNEAL, "model.options.reencode": "se"},
                "NE-VAE with the squared-error re-encoding loss", "NE-VAE paper, eq. 7")
register_preset("ne-vae-lp", "ne-vae", {**ANNEAL, "model.options.reencode": "lp", "model.options.cap": 0.0},
                "NE-VAE with the capped log-probability re-encoding loss (cap c = 0)", "NE-VAE paper, eq. 8-9")
register_preset("aggressive-vae", "vae", {**ANNEAL, "train.step": "aggressive", "optim.grad_clip": 5.0},
                "VAE trained with aggressive encoder updates until validation MI stops improving",
                "He et al. 2019, 'Lagging inference networks', Algorithm 1")
# -- posterior-collapse remedies (issue #15, study 2; docs/remedies.md); free-bits-vae is a variant (models/free_bits.py)
register_preset("cyclical-vae", "vae",
                {"kl_schedule.kind": "cyclical", "kl_schedule.start": 0.0, "kl_schedule.end": 1.0,
                 "kl_schedule.cycles": 4, "kl_schedule.ratio": 0.5},
                "VAE with cyclical KL annealing: M = 4 cycles over train.epochs, beta rising 0 -> 1 over the first "
                "half (R = 0.5) of each, then held at 1; beta is set per epoch",
                "Fu et al. 2019, 'Cyclical annealing schedule: a simple approach to mitigating KL vanishing', sec. 3")
register_preset("bn-vae", "vae", {"model.posterior": "bn-gaussian", "model.bn_gamma": 0.6},
                "BN-VAE: posterior means batch-normalised with a fixed scale gamma and a learned shift, so each "
                "dimension's batch-mean KL is at least gamma^2 / 2 (running statistics at evaluation)",
                "Zhu et al. 2020, 'A batch normalized inference network keeps the KL vanishing away', sec. 4")
register_preset("delta-vae", "vae", {"model.posterior": "delta-gaussian", "model.committed_rate": 0.1},
                "delta-VAE, independent Gaussian case: posterior variance <= sigma_u^2 < 1, so every dimension's KL "
                "is at least delta (model.committed_rate, nats) for every input",
                "Razavi et al. 2019, 'Preventing posterior collapse with delta-VAEs', sec. 2")
register_preset("pixelcnn-vae", "vae",
                {"model.architecture": "resnet", "model.likelihood": "pixelcnn", "model.latent_dim": 32},
                "VAE with a ResNet encoder and a gated PixelCNN decoder: the posterior-collapse setting",
                "He et al. 2019, sec. 6.1; van den Oord et al. 2016 (gated PixelCNN)")
register_preset("rae-l2", "rae", {"model.options.reg": "l2"},
                "RAE with Tikhonov regularisation of the decoder weights, lam · ‖θ_dec‖², at the authors' "
                "weights and loss scaling (beta 1e-4, lam 1e-7)",
                "Ghosh et al. 2020, eq. 4; the authors' MNIST configuration")
register_preset("rae-gp", "rae", {"model.options.reg": "gp"},
                "RAE with the decoder gradient penalty lam · mean_k (∂_z_k Σ D(z)²)², the authors' form, at their "
                "weights and loss scaling (beta 1e-4, lam 5e-8)",
                "Ghosh et al. 2020, sec. 3.1; the authors' MNIST configuration")
register_preset("rae-sn", "rae", {"model.options.reg": "sn"},
                "RAE with spectral normalisation on every decoder layer, at the authors' beta (9e-3) and loss scaling",
                "Ghosh et al. 2020, sec. 3.1; Miyato et al. 2018; the authors' MNIST configuration")
register_preset("ae", "rae", {"model.options.code_weight": 0.0, "model.options.reg": "none"},
                "plain deterministic autoencoder: reconstruction only, the authors' per-pixel mean squared error "
                "(the RAE paper's AE baseline)",
                "Ghosh et al. 2020, Table 1")

# -- token data (SMILES/SELFIES): the molecule VAEs (SMILES/SELFIES) --------------------------------------------
_SMILES = {"data.name": "qm9", "model.seq_encoder": "chemvae", "model.seq_decoder": "gru",
           "model.activation": "relu", "model.latent_dim": 156}
register_preset("vae-smiles", "vae", _SMILES,
                "SMILES VAE on QM9: chemvae conv encoder (3 Conv1D + dense 435), GRU decoder with teacher "
                "forcing (one layer of 256 for CPU budgets; the paper stacks three: model.seq_layers, "
                "model.seq_hidden), latent 156", "Gómez-Bombarelli et al. 2018, 'Automatic chemical design', QM9 model")
register_preset("vae-smiles-zinc", "vae", {**_SMILES, "data.name": "zinc:250k", "model.latent_dim": 196},
                "vae-smiles on ZINC (the 250k MOSES subset by default): latent 196",
                "Gómez-Bombarelli et al. 2018, 'Automatic chemical design', ZINC model")
register_preset("vae-smiles-moses", "vae", {**_SMILES, "kl_schedule.kind": "linear", "kl_schedule.start": 0.0,
                                            "kl_schedule.end": 0.05, "kl_schedule.epochs": 16, "train.epochs": 16},
                "vae-smiles with the MOSES VAE's KL weight: linear 0 -> 0.05 over the 16 epochs (kl_schedule.epochs "
                "with train.epochs); the useful QM9 model of docs/molecules.md, trained in about 17 min on 2 CPU cores",
                "Polykovskiy et al. 2020 (MOSES), VAE baseline: kl_w_start 0, kl_w_end 0.05")
_ARTICLE = {"model.seq_encoder": "article-conv", "model.seq_decoder": "fc", "model.activation": "relu"}
register_preset("article-qm9", "vae", {**_ARTICLE, "data.name": "qm9", "model.latent_dim": 16},
                "the molecule article's QM9 VAE: four Conv1D layers, four fully connected decoder layers "
                "(model.decoder_hidden, default 256-512-1024, then the logits), latent 16",
                "Cho, 'Helping VAE by regularizing latent vector', fig. 1")
register_preset("article-zinc", "vae", {**_ARTICLE, "data.name": "zinc:250k", "model.latent_dim": 256},
                "the molecule article's ZINC VAE (article-qm9's parts), latent 256: the degenerate latent space "
                "of its fig. 2", "Cho, 'Helping VAE by regularizing latent vector', fig. 2")
register_preset("article-bounded-qm9", "vae", {**_ARTICLE, **_BOUNDED, "model.bound": "both", "data.name": "qm9",
                                               "model.latent_dim": 16},
                "article-qm9 with the article's remedy: bounded mean (3 tanh) and log-variance (tanh)",
                "Cho, 'Helping VAE by regularizing latent vector', fig. 9")
register_preset("article-bounded-zinc", "vae", {**_ARTICLE, **_BOUNDED, "model.bound": "both",
                                                "data.name": "zinc:250k", "model.latent_dim": 256},
                "article-zinc with bounded mean (3 tanh) and log-variance (tanh), the remedy the article "
                "proposes for its degenerate ZINC latent space", "Cho, 'Helping VAE by regularizing latent vector', fig. 9")
