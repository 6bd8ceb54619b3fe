"""One function per subcommand; each parses nothing and holds no logic beyond calling the API."""

from __future__ import annotations

from pathlib import Path

from vaelab.cli.output import console, print_listing, print_table


def _train_kwargs(args) -> dict:
    keys = ["model", "data", "data_dir", "epochs", "latent_dim", "seed", "batch_size", "lr", "device",
            "beta", "posterior", "likelihood"]
    kw = {k: getattr(args, k) for k in keys}
    kw["compile"] = args.compile  # None (auto) is skipped
    return kw


def cmd_train(args) -> int:
    from vaelab.api import train

    overrides = list(args.set or [])
    if args.no_progress:
        overrides.append("train.progress=false")
    resume = args.resume is not None
    out = args.out
    if isinstance(args.resume, str):
        out = args.resume
    run = train(args.config, out=out, resume=resume, overrides=overrides, **_train_kwargs(args))
    s = run.summary
    final = s.get("final", {})
    print_table(f"trained {run.config.model.name} on {run.config.data.name}", [
        ("run directory", str(run.path)),
        ("status", s.get("status")),
        ("epochs", f"{s.get('epochs_completed')}/{s.get('epochs_planned')}"),
        ("train -ELBO (nats)", final.get("train_neg_elbo")),
        ("valid -ELBO (nats)", final.get("valid_neg_elbo")),
        ("valid rec / KL", f"{final.get('valid_rec', 0):.2f} / {final.get('valid_kl', 0):.2f}"),
        ("best checkpoint", s.get("best", {}).get("checkpoint")),
        ("train time (s)", s.get("train_time_s")),
        ("device", s.get("device")),
    ])
    console.print(f"run directory: {run.path}", highlight=False, soft_wrap=True)
    return 0


def cmd_evaluate(args) -> int:
    from vaelab.api import evaluate

    d = evaluate(args.run_dir, split=args.split, iw_samples=args.iw_samples, checkpoint=args.checkpoint,
                 limit=args.limit, batch_size=args.batch_size, seed=args.seed)
    print_table(f"diagnostics on {d['split']} ({d['n']} examples, checkpoint {d['checkpoint']})", [
        ("-ELBO (nats)", d["neg_elbo"]),
        ("reconstruction", d["rec"]),
        ("KL", d["kl"]),
        (f"IW NLL, K={d.get('iw_samples')}", f"{d['iw_nll']:.2f} ± {d['iw_nll_se']:.2f}" if "iw_nll" in d else "skipped"),
    ])
    console.print(f"wrote {Path(args.run_dir) / 'diagnostics.json'}", highlight=False, soft_wrap=True)
    return 0


def cmd_datasets(args) -> int:
    from vaelab.data import dataset_table

    print_listing("datasets", dataset_table(args.data_dir), ["name", "status", "description"])
    console.print("Files are looked for under --data-dir or $VAELAB_DATA, then in the cache "
                  "($VAELAB_CACHE, default ~/.cache/vaelab).", highlight=False)
    return 0


def cmd_models(args) -> int:
    from vaelab.distributions import LIKELIHOODS, POSTERIORS
    from vaelab.models import model_table
    from vaelab.models.registry import markdown_table

    if args.markdown:
        print(markdown_table())
        return 0
    print_listing("models (vaelab train --model NAME)", model_table(), ["name", "description", "source"])
    print_listing("posteriors (model.posterior)", [{"name": k, "description": v} for k, v in POSTERIORS.items()],
                  ["name", "description"])
    print_listing("likelihoods (model.likelihood)", [{"name": k, "description": v} for k, v in LIKELIHOODS.items()],
                  ["name", "description"])
    return 0
