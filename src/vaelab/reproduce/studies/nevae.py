"""The NE-VAE paper's Tables 1 and 2 where posterior collapse really happens on a CPU, plus today's remedies.

NE-VAE paper ('neighbor embedding VAE'), Table 1 (d = 32: -ELBO, KL, MI, AU per method) and
Table 2 (AU at d = 8, 16, 64), on Omniglot with a ResNet encoder and a 13-layer gated
PixelCNN decoder. A plain MLP decoder does not collapse (docs/collapse-comparison.md), so the
study runs two settings where it does: a GRU SMILES decoder on QM9 and a small gated
PixelCNN decoder on binarized MNIST. MI is He et al.'s per-batch estimate (``mi_batch``,
batches of 50, ceiling log 50 = 3.9), the scale of the paper's MI column.
"""

from __future__ import annotations

from vaelab.reproduce import figures as fig
from vaelab.reproduce.lso import match_columns
from vaelab.reproduce.studies.common import smoke, sweep_of
from vaelab.reproduce.study import Budget, Claim, Column, Study, fmt, get

D = 32
QM9 = {"data": {"name": "qm9"},
       "model": {"name": "vae", "latent_dim": D, "seq_encoder": "chemvae", "seq_decoder": "gru",
                 "activation": "relu"},
       "train": {"batch_size": 100, "progress": False}, "optim": {"lr": 1e-3}}
PIXELCNN = {"data": {"name": "binarized-mnist"},
            "model": {"name": "vae", "latent_dim": D, "architecture": "resnet", "likelihood": "pixelcnn"},
            "train": {"batch_size": 100, "progress": False}, "optim": {"lr": 1e-3}}
BETAS = (0.9, 0.8, 0.7, 0.6, 0.5)
CAPS = (5.0, 3.0, 1.0, 0.1, 0.0, -0.1, -1.0, -3.0, -5.0)


def _anneal(epochs: int) -> dict:
    return {"kl_schedule.kind": "linear", "kl_schedule.start": 0.1, "kl_schedule.end": 1.0,
            "kl_schedule.epochs": epochs}


def table1_arms(anneal: int, caps=CAPS, betas=BETAS) -> dict[str, dict]:
    """The rows of Table 1, annealing 0.1 -> 1 over ``anneal`` epochs where the paper anneals."""
    a = _anneal(anneal)
    aggressive = {"train.step": "aggressive", "optim.grad_clip": 5.0}
    return {"vae-no-anneal": {}, "vae": a, "aggressive": {**aggressive, **a}, "aggr-no-anneal": aggressive,
            **{f"beta-{b}": {**a, "kl_schedule.cap": b} for b in betas},
            "ne-vae-se": {**a, "model.name": "ne-vae", "model.options.reencode": "se"},
            **{f"ne-vae-lp-c{c:g}": {**a, "model.name": "ne-vae", "model.options.reencode": "lp",
                                      "model.options.cap": c} for c in caps}}


def remedy_arms(cycles: int) -> dict[str, dict]:
    """The remedies users reach for today, at their authors' defaults (docs/remedies.md), beside the paper's rows.

    Free bits (Kingma et al. 2016, app. C.8: lambda = 0.5 nats per dimension), cyclical annealing
    (Fu et al. 2019, sec. 3: ``cycles`` cycles over the run, rising over the first half of each),
    BN-VAE (Zhu et al. 2020, sec. 4: gamma = 0.6) and the delta-VAE's committed rate (Razavi et
    al. 2019, sec. 2: delta = 0.1 nats per dimension). None of them anneals otherwise.
    """
    return {"free-bits": {"model.name": "free-bits-vae", "model.options.free_bits": 0.5},
            "cyclical": {"kl_schedule.kind": "cyclical", "kl_schedule.start": 0.0, "kl_schedule.end": 1.0,
                         "kl_schedule.cycles": cycles, "kl_schedule.ratio": 0.5},
            "bn-vae": {"model.posterior": "bn-gaussian", "model.bn_gamma": 0.6},
            "delta-vae": {"model.posterior": "delta-gaussian", "model.committed_rate": 0.1}}


REMEDIES = tuple(remedy_arms(1))


def table2_arms(anneal: int) -> dict[str, dict]:
    """Table 2: VAE, aggressive and NE-VAE se at d = 8, 16, 64."""
    rows = table1_arms(anneal, caps=(), betas=())
    return {f"{name}-d{d}": {**rows[name], "model.latent_dim": d}
            for name in ("vae", "aggressive", "ne-vae-se") for d in (8, 16, 64)}


def _ends_of_table2(anneal: int) -> dict[str, dict]:
    """Table 2's rows that its claim reads: VAE and NE-VAE se at d = 8 and 64."""
    rows = table2_arms(anneal)
    return {k: rows[k] for k in ("vae-d8", "vae-d64", "ne-vae-se-d8", "ne-vae-se-d64")}


def _part(base: dict, epochs: int, limit: int | None, arms: dict, evaluate: dict) -> dict:
    base = {**base, "train": {**base["train"], "epochs": epochs},
            "data": {**base["data"], **({"limit": limit} if limit else {})}}
    return sweep_of(base, arms, evaluate=evaluate)


QM9_EVAL = {"split": "test", "iw_samples": 100, "limit": 2000, "molecule_samples": 200}
MNIST_EVAL = {"split": "test", "iw_samples": 100, "limit": 1000, "fd": False}
def _without_aggressive(rows: dict[str, dict]) -> dict[str, dict]:
    """``rows`` less the aggressive ones but Table 1's annealed one: the inner loop costs ~10x a VAE on a CPU."""
    return {k: v for k, v in rows.items() if not k.startswith("aggr") or k == "aggressive"}


def _no_aggressive(rows: dict[str, dict]) -> dict[str, dict]:
    """``rows`` without aggressive training: with a PixelCNN decoder its inner loop costs ~10x a VAE's hour."""
    return {k: v for k, v in rows.items() if not k.startswith("aggr")}


#: the PixelCNN part at the short budget: mnist5k's 4,000 training digits, binarised afresh in every batch
#: (statically binarized MNIST's 10,000 validation digits alone cost a PixelCNN a minute per epoch here)
PIXELCNN_SHORT = {**PIXELCNN, "data": {"name": "mnist5k", "binarize": "dynamic"}}

SHORT = {"qm9-gru": _part(QM9, 6, 20000, _without_aggressive({**table1_arms(3), **table2_arms(3), **remedy_arms(2)}),
                         QM9_EVAL),
         "mnist-pixelcnn": _part(PIXELCNN_SHORT, 3, None, {
             **_no_aggressive(table1_arms(2, caps=(0.0, -5.0), betas=(0.9, 0.5))), **_ends_of_table2(2),
             **remedy_arms(1)}, {"split": "test", "iw_samples": 20, "fd": False})}
FULL = {"qm9-gru": _part(QM9, 50, None, {**table1_arms(10), **table2_arms(10), **remedy_arms(4)},
                         {"split": "test", "iw_samples": 500, "molecule_samples": 1000}),
        "mnist-pixelcnn": _part(PIXELCNN, 100, None, {**table1_arms(10), **table2_arms(10), **remedy_arms(4)},
                                {"split": "test", "iw_samples": 500, "fd": False})}
def _smoke_arms() -> dict[str, dict]:
    """Every kind of row the claims read, once (the aggressive step once: its inner loop is the slow part)."""
    rows = table1_arms(1, caps=(0.0, -5.0), betas=(0.9, 0.5))
    del rows["aggr-no-anneal"]
    return {**rows, **_ends_of_table2(1), **remedy_arms(1)}


SMOKE = {"qm9-gru": smoke(_part(QM9, 1, None, _smoke_arms(), QM9_EVAL),
                          **{"data.limit": 200, "model.latent_dim": 8, "model.seq_hidden": 32}),
         "mnist-pixelcnn": smoke(_part(PIXELCNN, 1, None, _smoke_arms(), MNIST_EVAL),
                                 **{"data.name": "mnist5k", "data.limit": 200, "model.pixelcnn_layers": 2,
                                    "model.pixelcnn_channels": 8, "model.resnet_channels": [8, 8, 8],
                                    "model.latent_dim": 8})}

#: the toy LSO task (sec. 5.4) on the image part's rows the paper compares; Adam steps of the match task
LSO_ROWS = ("vae", "aggressive", "beta-0.9", "ne-vae-se")
LSO = {"smoke": {"targets": 4, "starts": 2, "steps": 20},
       "short": {"targets": 10, "starts": 3, "steps": 200},
       "full": {"targets": 50, "starts": 10, "steps": 2000}}


LSO_TABLE_ROWS = tuple(f"mnist-pixelcnn/{r}" for r in LSO_ROWS)


def _lso(collected, budget: str) -> dict:
    """The match task's columns for :data:`LSO_ROWS` of the MNIST PixelCNN part (the paper used 50 Omniglot images)."""
    return match_columns(collected, LSO_TABLE_ROWS, LSO[budget])


#: Table 1 and Table 2 of the paper (Omniglot, ResNet + 13-layer gated PixelCNN, d = 32)
PUBLISHED = {
    "vae-no-anneal": {"neg_elbo": 88.79, "kl": 1.10, "mi_batch": 1.08, "au": 2},
    "vae": {"neg_elbo": 88.91, "kl": 2.12, "mi_batch": 1.83, "au": 6, "lso_steps": 26900},
    "aggressive": {"neg_elbo": 88.71, "kl": 1.80, "mi_batch": 1.64, "au": 5, "lso_steps": 35900},
    "aggr-no-anneal": {"neg_elbo": 88.84, "kl": 2.38, "mi_batch": 2.28, "au": 6},
    "beta-0.9": {"neg_elbo": 89.42, "kl": 5.48, "mi_batch": 3.32, "au": 27, "lso_steps": 21600},
    "beta-0.8": {"neg_elbo": 90.92, "kl": 16.25, "mi_batch": 3.86, "au": 32},
    "beta-0.7": {"neg_elbo": 93.65, "kl": 27.56, "mi_batch": 3.87, "au": 32},
    "beta-0.6": {"neg_elbo": 96.77, "kl": 37.12, "mi_batch": 3.87, "au": 32},
    "beta-0.5": {"neg_elbo": 100.62, "kl": 46.37, "mi_batch": 3.87, "au": 32},
    "ne-vae-se": {"neg_elbo": 89.57, "kl": 2.55, "mi_batch": 2.39, "au": 26, "lso_steps": 16200},
    "ne-vae-lp-c5": {"neg_elbo": 88.93, "kl": 2.01, "mi_batch": 1.33, "au": 6},
    "ne-vae-lp-c3": {"neg_elbo": 88.89, "kl": 1.75, "mi_batch": 1.19, "au": 6},
    "ne-vae-lp-c1": {"neg_elbo": 88.96, "kl": 1.69, "mi_batch": 0.47, "au": 6},
    "ne-vae-lp-c0.1": {"neg_elbo": 89.61, "kl": 3.40, "mi_batch": 0.81, "au": 28},
    "ne-vae-lp-c0": {"neg_elbo": 89.64, "kl": 4.02, "mi_batch": 0.87, "au": 22},
    "ne-vae-lp-c-0.1": {"neg_elbo": 89.89, "kl": 5.23, "mi_batch": 1.21, "au": 28},
    "ne-vae-lp-c-1": {"neg_elbo": 94.33, "kl": 19.28, "mi_batch": 3.71, "au": 32},
    "ne-vae-lp-c-3": {"neg_elbo": 122.03, "kl": 60.03, "mi_batch": 3.87, "au": 32},
    "ne-vae-lp-c-5": {"neg_elbo": 148.33, "kl": 87.50, "mi_batch": 3.87, "au": 32},
    "vae-d8": {"au": 5}, "vae-d16": {"au": 7}, "vae-d64": {"au": 4},
    "aggressive-d8": {"au": 7}, "aggressive-d16": {"au": 7}, "aggressive-d64": {"au": 4},
    "ne-vae-se-d8": {"au": 8}, "ne-vae-se-d16": {"au": 12}, "ne-vae-se-d64": {"au": 55},
}


def view(table: dict, part: str) -> dict:
    """The rows of one part with the part prefix dropped; a table without parts (the paper's) as it is."""
    if not any("/" in arm for arm in table):
        return table
    return {arm.split("/", 1)[1]: row for arm, row in table.items() if arm.startswith(part + "/")}


def _se_keeps_units(t):
    au, d = get(t, "ne-vae-se", "au"), (t["ne-vae-se"].get("latent_dim") or D)
    return au >= d / 2, f"NE-VAE se: {int(au)} of {int(d)} units active"


def _se_similar_elbo(t):
    se, vae = get(t, "ne-vae-se", "neg_elbo"), get(t, "vae", "neg_elbo")
    return se <= vae * 1.02, f"-ELBO: NE-VAE se {fmt(se)} vs VAE {fmt(vae)} (within 2 %?)"


def _others_collapse(t):
    se, vae, agg = (get(t, a, "au") for a in ("ne-vae-se", "vae", "aggressive"))
    return vae < se and agg < se, f"active units: VAE {int(vae)}, aggressive {int(agg)}, NE-VAE se {int(se)}"


def _beta_raises_kl(t):
    kls = [get(t, f"beta-{b}", "kl") for b in BETAS if f"beta-{b}" in t]
    if len(kls) < 2:
        raise_missing("two beta rows")
    return all(a < b for a, b in zip(kls, kls[1:])), "KL from beta 0.9 down: " + ", ".join(fmt(k) for k in kls)


def _negative_cap_costs(t):
    lo, hi = get(t, "ne-vae-lp-c-5", "neg_elbo"), get(t, "ne-vae-lp-c0", "neg_elbo")
    return lo > hi + 5, f"-ELBO: lp c = -5 {fmt(lo)} vs c = 0 {fmt(hi)}"


def _table2(t):
    se = [get(t, f"ne-vae-se-d{d}", "au") for d in (8, 64)]
    vae = [get(t, f"vae-d{d}", "au") for d in (8, 64)]
    return se[1] > se[0] and vae[1] <= vae[0] + 3, (f"AU at d = 8 and 64: NE-VAE se {int(se[0])} -> {int(se[1])}, "
                                                    f"VAE {int(vae[0])} -> {int(vae[1])}")


def _remedies_beat_vae(t):
    vae = get(t, "vae", "au")
    rows = {r: (get(t, r, "au"), get(t, r, "neg_elbo")) for r in REMEDIES if r in t}
    if not rows:
        raise_missing("the remedy rows")
    alive = {r: v for r, v in rows.items() if v[0] > vae}
    cheapest = min(alive, key=lambda r: alive[r][1]) if alive else "none"
    listing = ", ".join(f"{r} {int(au)} AU at {fmt(e)}" for r, (au, e) in rows.items())
    return len(alive) == len(rows), (f"VAE {int(vae)} AU at {fmt(get(t, 'vae', 'neg_elbo'))}; {listing}; "
                                     f"the least -ELBO among those above the VAE: {cheapest}")


def _lso_values(t, key: str, rows) -> dict[str, float]:
    """``key`` of the LSO rows measured (NE-VAE se and the VAE at least; aggressive is not run at every budget)."""
    return {r: get(t, r, key) for r in rows if r in ("vae", "ne-vae-se") or key in t.get(r, {})}


def _lso_fastest(t):
    steps = _lso_values(t, "lso_steps", LSO_ROWS)
    fastest = min(steps, key=steps.get)
    return fastest == "ne-vae-se", "steps to converge: " + ", ".join(f"{r} {v:.0f}" for r, v in steps.items())


def _lso_closest(t):
    dist = _lso_values(t, "lso_code_dist", ("vae", "aggressive", "ne-vae-se"))
    return min(dist, key=dist.get) == "ne-vae-se", ("sq. distance between the codes of different starts: "
                                                    + ", ".join(f"{r} {fmt(v, 3)}" for r, v in dist.items()))


def raise_missing(what: str):
    from vaelab.reproduce.study import Missing

    raise Missing(what)


TESTS = (("NE-VAE se keeps most latent units active (AU >= d/2)", _se_keeps_units),
         ("... at a -ELBO within 2 % of the annealed VAE's", _se_similar_elbo),
         ("The VAE and aggressive training keep fewer units active than NE-VAE se", _others_collapse),
         ("Lowering beta raises the KL monotonically", _beta_raises_kl),
         ("A negative lp cap (c = -5) costs -ELBO against c = 0", _negative_cap_costs),
         ("Table 2: NE-VAE se's active units grow with d while the VAE's do not", _table2),
         ("Remedies (not in the paper): free bits, cyclical annealing, BN-VAE and delta-VAE each keep more units "
          "active than the annealed VAE", _remedies_beat_vae))
LSO_TESTS = (("Toy LSO: codes converge in the fewest steps for NE-VAE se", _lso_fastest),
             ("Toy LSO: different starts end closest together for NE-VAE se (the paper gives no numbers, only the "
              "ordering)", _lso_closest))
CLAIMS = (*(Claim(f"[{part}] {text}", lambda t, p=part, f=fn: f(view(t, p)))
            for part in ("qm9-gru", "mnist-pixelcnn") for text, fn in TESTS),
          *(Claim(f"[mnist-pixelcnn] {text}", lambda t, f=fn: f(view(t, "mnist-pixelcnn"))) for text, fn in LSO_TESTS))

def _figures(collected, out):
    """Activity per dimension of the collapse-prone rows in each part (the paper's fig. 1), and the latent
    traversals of the QM9 VAE and NE-VAE se (decoded molecules along each active dimension)."""
    rows = ("vae-no-anneal", "vae", "aggressive", "beta-0.9", "ne-vae-se", *REMEDIES)
    activity = [fig.activity(collected, [f"{part}/{r}" for r in rows], out / f"nevae-{part}-activity.png",
                             f"{part}: activity per latent dimension") for part in ("qm9-gru", "mnist-pixelcnn")]
    traversals = fig.run_figures(collected, ("qm9-gru/vae-no-anneal", "qm9-gru/ne-vae-se"), "molecule-traversals",
                                 out, "nevae")
    return fig.written(*activity, *traversals)


STUDY = Study(
    name="nevae", title="Posterior collapse: NE-VAE against annealing, beta-VAE and aggressive training",
    source="NE-VAE paper ('neighbor embedding VAE'), Tables 1 and 2",
    setting="Two settings where a strong decoder collapses the posterior on a CPU: (qm9-gru) the chemvae Conv1D "
            "encoder and a GRU SMILES decoder on QM9, and (mnist-pixelcnn) a ResNet encoder and a small gated "
            "PixelCNN decoder on statically binarized MNIST; d = 32 unless named. The paper uses Omniglot with a "
            "13-layer PixelCNN for 100 epochs. MI is the per-batch estimate (mi_batch), as in the paper.",
    budgets={"smoke": Budget(SMOKE, 1.0, "200 molecules / 200 digits, 1 epoch, tiny networks"),
             "short": Budget(SHORT, 100, "qm9-gru: 20,000 molecules, 6 epochs, annealing over 3, aggressive "
                                         "training only in Table 1's annealed row (its inner loop makes a row ~10x "
                                         "slower: 11 min on QM9); mnist-pixelcnn: mnist5k's 4,000 training digits "
                                         "binarised afresh in every batch (not the static binarisation), 3 epochs, "
                                         "annealing over 2, no aggressive rows, IW NLL with K = 20 on the 500 test "
                                         "digits, the toy LSO on 10 test digits x 3 starts x 200 Adam steps; the "
                                         "remedies' cyclical schedule in 2 cycles (QM9) or 1 (MNIST), the full "
                                         "budget's 4"),
             "full": Budget(FULL, 1500, "all of QM9 for 50 epochs, all of MNIST for 100 (days on a CPU)")},
    columns=(Column("neg_elbo", "-ELBO", 2, True), Column("kl", "KL", 2), Column("mi_batch", "MI", 2),
             Column("au", "AU", 0), Column("iw_nll", "IW NLL", 2, True),
             Column("lso_steps", "LSO steps", 0, True, LSO_TABLE_ROWS),
             Column("lso_code_dist", "LSO code dist.", 3, True, LSO_TABLE_ROWS)),
    published=PUBLISHED, published_source="NE-VAE paper, Table 1 (d = 32), Table 2 (AU) and sec. 5.4 (LSO steps at "
                                          "stopping threshold 0), Omniglot",
    claims=CLAIMS, figures=_figures, extra=_lso,
    differs={"*": "data and decoder (QM9 GRU or MNIST PixelCNN, not Omniglot), CPU budget"},
)
