"""``evaluate_run(run)``: every diagnostic of a run on one split, written to the split's diagnostics file.

``diagnostics.json`` holds the test split's, ``diagnostics-<split>.json`` another
split's (:func:`vaelab.rundir.layout.diagnostics_file`), so evaluating one split never
replaces another's.

This module only orchestrates: each figure comes from a pure function in its own
file (likelihood, mutual_info, activity, reencode, bubbles, frechet). The posterior
arrays it computes on the way are saved to ``arrays/posterior_<split>.npz`` for the
figures (docs/run-arrays.md).
"""

from __future__ import annotations

import time

import torch

from vaelab.data.checks import check_eval_split
from vaelab.device import keep_freed_memory
from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.bubbles import posterior_bubbles
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll
from vaelab.diagnostics.mutual_info import mutual_information, mutual_information_batched
from vaelab.diagnostics.reencode import reencode_error
from vaelab.distributions import DiagonalGaussian, kl_divergence
from vaelab.errors import ConfigError
from vaelab.fileio import save_npz, write_json
from vaelab.nn.batching import take
from vaelab.pipeline.defaults import FD_SAMPLERS, IW_BATCH, IW_SAMPLES, IW_SAMPLES_TOKENS, MOLECULE_SAMPLES
from vaelab.pipeline.fd_net import fd_feature_net
from vaelab.pipeline.feature_net import features
from vaelab.pipeline.molecules import molecule_metrics
from vaelab.pipeline.writer import writing
from vaelab.progress import bar, stage
from vaelab.rundir.run import SUBSET_RULE
from vaelab.sampling import SamplerMismatch
from vaelab.threads import apply_thread_policy
from vaelab.views import posterior_arrays, prior_side, sampled_codes, sampler_label


def check_counts(**counts) -> None:
    """Counts must be whole numbers, at least 1 (``iw_samples``: at least 0, where 0 skips); None means the default."""
    for name, value in counts.items():
        if value is None:
            continue
        least = 0 if name == "iw_samples" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} must be a whole number >= {least}, got {value!r}")


def default_iw_samples(run) -> int:
    """K of the IW NLL when the caller gives none: :data:`IW_SAMPLES` (Burda et al.), or :data:`IW_SAMPLES_TOKENS` on
    token (molecule) runs."""
    return IW_SAMPLES_TOKENS if run.data.kind == "tokens" else IW_SAMPLES


def _latent_metrics(run, split: str, seed: int) -> tuple[dict, dict, torch.Tensor]:
    """KL per dimension, MI, active units and bubbles from the posterior arrays; saves them, returns the means too."""
    arrays = posterior_arrays(run, split)
    save_npz(run.layout.arrays(f"posterior_{split}"), arrays)
    mu = torch.as_tensor(arrays["mu"])  # (N, d)
    out, skipped = dict(active_units(mu)), {}
    if "logvar" not in arrays:
        why = "deterministic encoder: q(z|x) has no variance"
        return out, {k: why for k in ("kl_per_dim", "mi", "kl_minus_mi", "bubbles", "reencode_lp")}, mu
    logvar = torch.as_tensor(arrays["logvar"])  # (N, d)
    q = DiagonalGaussian(mu.double(), logvar.double())
    out["kl_per_dim"] = kl_divergence(q, run.model.prior).mean(0).tolist()  # (d,)
    out.update(mutual_information(mu, logvar, generator=torch.Generator().manual_seed(seed)))
    out.update(mutual_information_batched(mu, logvar, generator=torch.Generator().manual_seed(seed)))
    out["bubbles"] = posterior_bubbles(arrays["mu"], arrays["logvar"], arrays["labels"],
                                       group_by=str(arrays["label_name"]))
    return out, skipped, mu


@torch.no_grad()
def _fd_metrics(run, split: str, seed: int, mu: torch.Tensor, samplers=FD_SAMPLERS,
                refit: bool = False, max_n: int = 10000) -> dict:
    """FD (feature net) against the split of: reconstructions, samples, interpolation midpoints and held-out data.

    ``fd_n`` is the "N" column of Ghosh et al. 2020 (Table 1): samples from the model's
    ``n_sampler`` (the prior for VAEs and WAEs, one fitted Gaussian for CV-VAEs, RAEs and
    AEs); files written before the rename call it ``fd_prior`` (see
    :data:`vaelab.diagnostics.catalogue.RENAMED`).
    Each name in ``samplers`` adds ``fd_<name>`` from that fitted sampler (e.g. ``fd_gmm``).
    The feature net is the one shipped for the run's data, else one trained on it
    (:func:`vaelab.pipeline.fd_net.fd_feature_net`); its record, with the weights'
    sha256, goes to ``feature_net``.
    """
    binary = run.meta.get("binarize", "none") != "none" or run.data.kind == "binary"
    net, info = fd_feature_net(run, binary)
    x = run.eval_data(split)[:max_n]
    side = take(run.eval_side(split), slice(0, x.shape[0]))
    n = x.shape[0]
    gen = torch.Generator(device=run.device).manual_seed(seed)
    mu = mu[:n].to(run.device)  # (n, d), the posterior means already computed for the split
    perm = torch.randperm(n, generator=gen, device=run.device)
    n_sampler = run.model.n_sampler
    candidates = {
        "rec": run.decode_means(mu, side=side),
        "n": run.decode_means(sampled_codes(run, n_sampler, n, seed, gen, refit), side=prior_side(run, n)),
        "interp": run.decode_means(0.5 * (mu + mu[perm]), side=side),
    }
    for name in samplers:
        codes = sampled_codes(run, name, n, seed, gen, refit)  # (n, d)
        candidates[name.replace("-", "_")] = run.decode_means(codes, side=prior_side(run, n))
    other = "train" if split != "train" else "valid"
    held_out = run.eval_data(other)  # a random subset: a split may be stored sorted by label
    candidates["data"] = held_out[torch.randperm(held_out.shape[0], generator=gen, device=run.device)[:n]]
    ref = features(net, x)
    out = {f"fd_{name}": frechet_distance(ref.numpy(), features(net, c).numpy()) for name, c in candidates.items()}
    about = {"reference": f"{n} {split} images",
             "fd_data": f"{min(n, held_out.shape[0])} random {other} images vs the {split} images",
             "fd_n": f"sampler {sampler_label(run, n_sampler)}",
             **{f"fd_{name.replace('-', '_')}": f"sampler {sampler_label(run, name)}" for name in samplers}}
    return {"feature_net": {**info, **about}, "n_sampler": n_sampler, **out}


def _fd_or_refit_hint(run, split, seed, mu, samplers, refit) -> dict:
    """:func:`_fd_metrics`, with a stale sampler fit naming evaluate's own flag."""
    try:
        return _fd_metrics(run, split, seed, mu, samplers=samplers, refit=refit)
    except SamplerMismatch as err:
        raise SamplerMismatch(f"{err} (vaelab evaluate: --refit-samplers; API: refit_samplers=True)") from None


def evaluate_run(run, split: str = "test", iw_samples: int | None = None, batch_size: int = IW_BATCH,
                 limit: int | None = None, seed: int = 0, fd: bool = True, write: bool = True,
                 progress: bool = True, fd_samplers=FD_SAMPLERS, refit_samplers: bool = False,
                 molecule_samples: int = MOLECULE_SAMPLES) -> dict:
    """Every diagnostic of ``run`` on ``split``; see docs/run-arrays.md and :mod:`vaelab.diagnostics.catalogue`.

    Bounds (-ELBO, reconstruction, KL, KL per dimension, the importance-weighted NLL
    with K = ``iw_samples``: by default Burda et al.'s 5000, or 100 on token data), mutual information,
    active units, re-encoding error, KL - MI, posterior bubbles per label (or k-means
    cluster) and the FD (feature net) of reconstructions, samples from the model's
    N-sampler (``fd_n``) and interpolation midpoints. All in nats per example unless named otherwise.
    ``limit`` evaluates N examples of the split, the same N for every run (a seeded random
    subset, recorded as ``subset``: :meth:`vaelab.rundir.Run.limited`); ``fd=False`` skips the FD.
    ``fd_samplers`` names fitted samplers (``vaelab sample``) whose samples also get an
    FD, ``fd_<name>``; they are fitted once on the training codes and saved in the run
    (``refit_samplers=True`` fits them again, e.g. after the checkpoint changed).
    Token (molecule) runs get ``molecules`` instead of the FD: reconstruction and token
    accuracy, and the MOSES metrics of ``molecule_samples`` decoded samples.
    With ``write``, the result goes to ``diagnostics.json`` (test) or ``diagnostics-<split>.json``.
    """
    check_counts(batch_size=batch_size, limit=limit, iw_samples=iw_samples, molecule_samples=molecule_samples)
    keep_freed_memory()  # the IW bound's chunks are fresh tensors every time: no page faults on each
    apply_thread_policy()  # the cores other processes leave free (vaelab.threads), as training does
    samplers = (run.model.n_sampler, *fd_samplers)
    targets = [run.layout.diagnostics_of(split), run.layout.arrays(f"posterior_{split}")]
    with writing(run, *targets, *(run.layout.sampler(name) for name in samplers)):
        result = _diagnostics(run, split, iw_samples=iw_samples, batch_size=batch_size, limit=limit, seed=seed, fd=fd,
                              progress=progress, fd_samplers=tuple(fd_samplers), refit_samplers=refit_samplers,
                              molecule_samples=molecule_samples)
        if write:
            write_json(run.layout.diagnostics_of(split), result)
    return result


def _diagnostics(run, split: str, *, iw_samples: int | None, batch_size: int, limit: int | None, seed: int, fd: bool,
                 progress: bool, fd_samplers: tuple, refit_samplers: bool, molecule_samples: int) -> dict:
    """The figures of :func:`evaluate_run`, computed (and the posterior arrays saved) under the run's lock."""
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    iw_samples = default_iw_samples(run) if iw_samples is None else iw_samples
    if limit is not None:
        run = run.limited(split, limit)
    x, side = run.eval_data(split), run.eval_side(split)
    check_eval_split(split, int(x.shape[0]), limit)
    run.model.eval()
    result = {"split": split, "n": int(x.shape[0]), "checkpoint": run.checkpoint, "seed": seed,
              **({"subset": SUBSET_RULE} if limit is not None else {})}
    with stage("evaluate: ELBO terms", progress):
        result.update(elbo_terms_mean(run.model, x, batch_size=max(batch_size, 1000), side=side))
    with stage("evaluate: posterior, KL per dimension, MI, active units, bubbles", progress):
        latent, skipped, mu = _latent_metrics(run, split, seed)
    deterministic = not run.model.has_elbo  # the posterior has no variance
    if deterministic:  # no ELBO and no importance weights without a posterior density
        for key in ("neg_elbo", "kl"):
            result.pop(key)
            skipped[key] = "deterministic encoder: no ELBO (the loss and reconstruction are reported)"
    result.update(latent)
    gen = torch.Generator(device=run.device).manual_seed(seed)
    with stage("evaluate: re-encoding error", progress):
        result.update(reencode_error(run.model.encode, run.model.decode, x, generator=gen, side=side))
    if "mi" in result:
        result["kl_minus_mi"] = result["kl"] - result["mi"]
    if run.data.kind == "tokens":  # molecules: chemistry metrics instead of the image FD
        with stage("evaluate: molecule metrics", progress):
            result["molecules"] = molecule_metrics(run, split, mu, n_samples=molecule_samples, seed=seed)
        skipped["fd"] = "token data: FD (feature net) is for images; see molecules.samples.fcd_test (FCD)"
    elif fd:
        with stage("evaluate: FD (feature net)", progress):
            result["fd"] = _fd_or_refit_hint(run, split, seed, mu, fd_samplers, refit_samplers)
    if deterministic:
        skipped["iw_nll"] = "deterministic encoder: no posterior density to importance-sample"
    elif iw_samples > 0:
        with bar(f"evaluate: IW NLL (K={iw_samples})", int(x.shape[0]), progress) as update:
            result.update(iw_nll(run.model, x, k=iw_samples, batch_size=batch_size, progress=update, side=side))
    else:
        skipped["iw_nll"] = "iw_samples = 0"
    if not fd and "fd" not in skipped:
        skipped["fd"] = "fd = False"
    if skipped:
        result["skipped"] = skipped
    result["time_s"] = time.perf_counter() - t0
    return result

