"""One function per subcommand; each parses nothing and holds no logic beyond calling the API."""

from __future__ import annotations

from vaelab.cli.output import console, print_listing, print_table, say, say_skipped
from vaelab.errors import ConfigError


def _train_kwargs(args) -> dict:
    """The shortcut flags given (None: not given) as :func:`vaelab.train` keywords, from the one shortcut table."""
    from vaelab.config.shortcuts import SHORTCUTS

    return {name: getattr(args, name) for name in SHORTCUTS}


def _nproc_args(argv: list[str]) -> list[str]:
    from vaelab.training.launch import worker_args

    return ["train", *worker_args(argv[argv.index("train") + 1:] if "train" in argv else argv)]


def cmd_train(args) -> int:
    from vaelab.api import launch_train, train

    overrides = list(args.set or [])
    if args.no_progress:
        overrides.append("train.progress=false")
    resume = args.resume is not None
    out = args.out
    if isinstance(args.resume, str):
        out = args.resume
    if getattr(args, "ensemble", None):
        return _train_ensemble(args, out, resume, overrides)
    code = launch_train(_nproc_args(getattr(args, "argv", [])), args.nproc, args.config, out=out, resume=resume,
                        overrides=overrides, **_train_kwargs(args))
    if code is not None:  # data-parallel workers ran it; rank 0 printed the result
        return code
    run = train(args.config, out=out, resume=resume, overrides=overrides, **_train_kwargs(args))
    if run is None:  # a data-parallel rank > 0: rank 0 prints
        return 0
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
    say(f"run directory: {run.path}")
    return 0


def _train_ensemble(args, out, resume: bool, overrides) -> int:
    """``vaelab train --ensemble KEY=V1,V2,...``: the members as one stacked model, one table row each."""
    from vaelab.api import train_ensemble

    if args.nproc:
        raise ConfigError("--ensemble trains in one process; drop --nproc")
    runs = train_ensemble(args.config, members=args.ensemble, out=out, resume=resume, overrides=overrides,
                          **_train_kwargs(args))
    rows = []
    for run in runs:
        s = run.summary
        final = s.get("final", {})
        rows.append((run.path.name, f"{s.get('status')}, {s.get('epochs_completed')}/{s.get('epochs_planned')} epochs, "
                                    f"valid -ELBO {final.get('valid_neg_elbo', float('nan')):.2f}"))
    print_table(f"trained an ensemble of {len(runs)} {runs[0].config.model.name} on {runs[0].config.data.name}", rows)
    say(f"run directories: {runs[0].path.parent}/<member>")
    return 0


def _evaluate_rows(d: dict) -> list[tuple[str, str]]:
    """One row per catalogue metric that ``d`` has (its context, e.g. K, in brackets), then the skipped ones."""
    from vaelab.diagnostics.catalogue import context_text, format_value, rows

    out = []
    for m in rows([d]):
        text, context = format_value(m, d), context_text(m, d)
        out.append((m.heading, f"{text} ({context})" if context else text))
    return out + [(f"skipped: {k}", v) for k, v in d.get("skipped", {}).items()]


def cmd_evaluate(args) -> int:
    from vaelab.api import evaluate
    from vaelab.pipeline.defaults import FD_SAMPLERS
    from vaelab.rundir.layout import RunLayout

    d = evaluate(args.run_dir, split=args.split, iw_samples=args.iw_samples, checkpoint=args.checkpoint,
                 limit=args.limit, batch_size=args.batch_size, seed=args.seed, fd=args.fd,
                 fd_samplers=tuple(args.fd_samplers or FD_SAMPLERS), refit_samplers=args.refit_samplers,
                 device=args.device, progress=not args.no_progress)
    print_table(f"diagnostics of {args.run_dir}", _evaluate_rows(d))
    say(f"wrote {RunLayout(args.run_dir).diagnostics_of(args.split)}")
    return 0


def cmd_plot(args) -> int:
    from vaelab.api import plot

    options = {k: v for k, v in (("projection", args.projection), ("dims", args.dims), ("show", args.show),
                                 ("colour_by", args.colour_by)) if v is not None}
    views = {}
    if args.lattice_dims is not None:
        views["lattice"] = {"dims": args.lattice_dims}
    if args.traverse_from is not None:
        views["traversals"] = {"base": args.traverse_from}
    result = plot(args.run_dir, args.kind, recompute=args.recompute, checkpoint=args.checkpoint,
                  view_options=views, seed=args.seed, device=args.device, progress=not args.no_progress, **options)
    for path in result.written:
        say(f"wrote {path}")
    for kind, why in result.skipped:
        say_skipped(kind, why)
    return 0


def cmd_report(args) -> int:
    from vaelab.api import write_report

    path = write_report(args.run_dirs, args.out)
    say(f"wrote {path} (self-contained: open it in any browser)")
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
    print_listing("models (vaelab train --model NAME)", model_table(), ["name", "description", "options", "source"])
    print_listing("posteriors (model.posterior)", [{"name": k, "description": v} for k, v in POSTERIORS.items()],
                  ["name", "description"])
    print_listing("likelihoods (model.likelihood)", [{"name": k, "description": v} for k, v in LIKELIHOODS.items()],
                  ["name", "description"])
    return 0


def _sample_rows(result) -> list[tuple[str, object]]:
    s, info = result.sampler, result.sampler.info
    rows = [("sampler", f"{s.name}: {s.description}"), ("source", s.source),
            ("samples", f"{result.z.shape[0]} codes of dimension {result.z.shape[1]}")]
    if s.options:
        rows.append(("options", ", ".join(f"{k}={v}" for k, v in s.options.items())))
    if s.needs_fit:
        how = "now" if s.fitted_now else "earlier (reused)"
        rows.append(("fitted", f"{how}, on {info.get('n_codes')} training codes at {info.get('checkpoint')} "
                               f"in {info.get('fit_time_s', 0):.2f} s"))
    summary = info.get("summary", {})
    if "weights" in summary:
        w = summary["weights"]
        rows.append(("component weights", " ".join(f"{v:.3f}" for v in w[:12]) + (" ..." if len(w) > 12 else "")))
        rows.append(("effective components (w >= 0.01)", f"{summary['effective_components']}/{len(w)}"))
        if not summary.get("converged", True):
            rows.append(("note", f"EM did not converge in {summary.get('n_iter')} iterations (option max_iter)"))
    if summary.get("stage2_valid_neg_elbo") is not None:
        rows.append(("second stage valid -ELBO", summary["stage2_valid_neg_elbo"]))
    if result.molecules is not None:
        rows.append(("molecules", _molecule_counts(result.molecules)))
    return rows


def _molecule_counts(counts: dict) -> str:
    """``47/64 valid (73%), 30 unique among the valid`` for a token run's samples."""
    n, valid, unique = counts["n"], counts["valid"], counts["unique"]
    if valid is None:
        return f"{n} decoded SMILES (validity unknown: RDKit is not installed)"
    return f"{valid}/{n} valid ({valid / n:.0%}), {unique} unique among the valid"


def cmd_sample(args) -> int:
    from vaelab.api import sample
    from vaelab.sampling import parse_options

    result = sample(args.run_dir, args.n, args.sampler, seed=args.seed, options=parse_options(args.option),
                    refit=args.refit, out=args.out, checkpoint=args.checkpoint, device=args.device,
                    progress=not args.no_progress)
    print_table(f"samples from {args.run_dir}", _sample_rows(result))
    for path in result.files:
        say(f"wrote {path}")
    if result.png_skipped:
        say_skipped("the PNG grid", result.png_skipped)
    return 0


def cmd_lso(args) -> int:
    from vaelab.api import lso
    from vaelab.latentopt.match_report import match_rows
    from vaelab.latentopt.report import best_rows, summary_rows

    result = lso(args.run_dir, args.property, task=args.task, starts=args.starts, steps=args.steps, lr=args.lr,
                 penalty=args.penalty, penalty_on=args.penalty_on, start=args.start, direction=args.direction,
                 max_norm=args.max_norm, box=args.box,
                 targets=args.targets, loss=args.loss, init=args.init, tol=args.tol, seed=args.seed,
                 refit=args.refit, checkpoint=args.checkpoint, device=args.device, progress=not args.no_progress)
    s = result.summary
    if s["task"] == "match":
        print_table(f"latent matching on {args.run_dir}", match_rows(s))
    else:
        print_table(f"latent optimisation of {s['property']} on {args.run_dir}", summary_rows(s))
        best = best_rows(s)
        if best:
            print_listing(f"best molecules (by {s['molecules']['ranked_by']} {s['property']}, starts excluded)", best,
                          ["smiles", "real", "predicted", "step", "path"])
    for path in result.files:
        say(f"wrote {path}")
    return 0


#: results.csv columns the sweep command prints when any trial has them, with their short headers
SWEEP_COLUMNS = {"trial": "trial", "status": "status", "epochs": "epochs", "valid_neg_elbo": "valid -ELBO",
                 "best_valid_loss": "best valid loss", "valid_au": "AU", "test_iw_nll": "test IW NLL",
                 "test_mi": "test MI", "error": "error"}


def cmd_sweep(args) -> int:
    from vaelab.api import sweep

    from vaelab.rundir.layout import SweepLayout

    rows = sweep(args.sweep, args.out, workers=args.workers, executor=args.executor, ray_address=args.ray_address,
                 progress=not args.no_progress)
    done = sum(r["status"] in ("completed", "early-stopped") or str(r["status"]).startswith("stopped") for r in rows)
    shown = {c: label for c, label in SWEEP_COLUMNS.items() if any(r.get(c) not in (None, "") for r in rows)}
    if "valid_neg_elbo" in shown:  # the loss is the -ELBO for ELBO models: one of the two is enough
        del shown["best_valid_loss"]
    print_listing(f"sweep: {done}/{len(rows)} trials finished", [{shown[c]: r.get(c) for c in shown} for r in rows],
                  list(shown.values()))
    layout = SweepLayout(args.out)
    say(f"results: {layout.results}" + (f"; figure: {layout.figure}" if layout.figure.is_file() else "")
        + f"; compare them: vaelab report {layout.root}")
    return 0 if done == len(rows) else 2


def cmd_reproduce(args) -> int:
    if args.list:
        from vaelab.reproduce.runner import list_studies

        studies = list_studies()
        rows = [{"study": r["name"], **{b: f"{v['trials']} trials, ~{v['minutes']:g} min"
                                        for b, v in r["budgets"].items()}} for r in studies]
        print_listing("studies (vaelab reproduce STUDY --budget smoke|short|full; minutes on a 2-core CPU)", rows,
                      ["study", "smoke", "short", "full"])
        for r in studies:
            console.print(f"{r['name']}: {r['title']}. {r['source']}.", highlight=False)
        return 0
    if not args.study:
        raise ConfigError("name a study (vaelab reproduce --list shows them), e.g. vaelab reproduce rae --budget smoke")
    from vaelab.api import reproduce

    rec = reproduce(args.study, args.budget, args.out, executor=args.executor, workers=args.workers,
                    progress=not args.no_progress, results_dir=args.results_dir, record_only=args.record_only)
    verdict = {True: "held", False: "not held", None: "not measured"}
    print_listing(f"{rec['title']} ({rec['budget']})",
                  [{"claim": c["claim"], "ours": verdict[c["held"]], "on the paper's numbers":
                    verdict[c["published_held"]] if c["published_held"] is not None else "—", "evidence": c["evidence"]}
                   for c in rec["claims"]], ["claim", "ours", "on the paper's numbers", "evidence"])
    out = args.out or f"runs/reproduce/{args.study}-{args.budget}"
    say(f"table: {out}/reproduction.md; report: {out}/report.html")
    return 2 if rec["missing"] else 0


def cmd_explore(args) -> int:
    import sys

    from vaelab.api import explore

    def say_now(text: str) -> None:  # flushed: a script waiting for the URL on a pipe gets it at once
        say(text)
        sys.stdout.flush()

    explore(args.run_dirs, split=args.split, port=args.port, browser=not args.no_browser, max_points=args.max_points,
            export_dir=args.export_dir, checkpoint=args.checkpoint, device=args.device,
            progress=not args.no_progress, say=say_now)
    return 0
