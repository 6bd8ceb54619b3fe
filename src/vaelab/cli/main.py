"""Entry point: ``vaelab <command> ...``. User errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import sys
import warnings

from vaelab.cli import commands
from vaelab.cli.output import print_error, print_warning


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model; writes a run directory",
                       description="Train a model. Settings come from CONFIG (YAML), then --set key=value, "
                                   "then the short flags.")
    p.add_argument("config", nargs="?", help="YAML config file (optional)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key, e.g. model.latent_dim=2")
    p.add_argument("--out", help="run directory (default runs/<model>-<data>-<time>)")
    p.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR",
                   help="continue a run from its last checkpoint (RUN_DIR or --out)")
    for flag, typ, key in [("--model", str, "model.name"), ("--data", str, "data.name"),
                           ("--data-dir", str, "data.data_dir"), ("--epochs", int, "train.epochs"),
                           ("--latent-dim", int, "model.latent_dim"), ("--seed", int, "train.seed"),
                           ("--batch-size", int, "train.batch_size"), ("--lr", float, "optim.lr"),
                           ("--device", str, "train.device"), ("--beta", float, "kl_schedule.end"),
                           ("--posterior", str, "model.posterior"), ("--likelihood", str, "model.likelihood")]:
        p.add_argument(flag, type=typ, help=f"= --set {key}=...")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile the training step (default: auto, for runs of 20,000+ steps)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=commands.cmd_train)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="diagnostics of a run on a split; writes diagnostics.json")
    p.add_argument("run_dir")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"])
    p.add_argument("--iw-samples", type=int, default=None,
                   help="K of the importance-weighted NLL (default 5000, as Burda et al.; 100 on SMILES/SELFIES "
                        "runs, where each sample is a pass of the GRU; 0 to skip)")
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--limit", type=int, help="evaluate only the first N examples")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-fd", dest="fd", action="store_false",
                   help="skip the FD (feature net), which trains a small classifier on first use")
    p.add_argument("--fd-sampler", dest="fd_samplers", action="append", metavar="NAME",
                   help="a fitted sampler whose samples get an FD column fd_<NAME> (repeatable; default: gmm; "
                        "see `vaelab sample`)")
    p.add_argument("--refit-samplers", action="store_true",
                   help="refit the samplers the FD uses even if RUN_DIR/samplers/ holds fits")
    p.set_defaults(func=commands.cmd_evaluate)


def _pair(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two latent dimensions like 0,3, got {text!r}") from None
    return a, b


def _add_plot(sub) -> None:
    from vaelab.plots import FIGURES

    p = sub.add_parser("plot", help="draw a run's figures into RUN_DIR/plots/",
                       description="Draw figures from the arrays saved in the run directory; arrays that are "
                                   "missing are decoded from the model first (and kept for redrawing).")
    p.add_argument("run_dir")
    p.add_argument("--kind", action="append", choices=list(FIGURES), metavar="KIND",
                   help=f"figure to draw, repeatable (default all): {', '.join(FIGURES)}")
    p.add_argument("--recompute", action="store_true", help="decode the figure arrays again from the model")
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--projection", choices=["pca", "tsne"], help="latent scatter of >2-D codes (default pca)")
    p.add_argument("--dims", type=_pair, metavar="A,B", help="bubbles: the two latent dimensions to show")
    p.add_argument("--show", choices=["data", "decoded"],
                   help="molecule-map: draw the test molecules (data, default) or what their codes decode to")
    p.add_argument("--colour-by", metavar="PROPERTY",
                   help="molecule-map: the property that colours the points (default: the dataset's score)")
    p.add_argument("--lattice-dims", type=_pair, metavar="A,B", help="lattice: the two dimensions to decode over")
    p.add_argument("--traverse-from", choices=["zero", "data"],
                   help="traversals: other dimensions at 0 or at a test example's code (default zero)")
    p.set_defaults(func=commands.cmd_plot)


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="one self-contained HTML page comparing runs",
                       description="Config differences, diagnostics side by side (best marked) and every figure.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--out", default="report.html", help="HTML file to write (default report.html)")
    p.set_defaults(func=commands.cmd_report)


def _add_sample(sub) -> None:
    from vaelab.sampling import SAMPLERS

    names = "; ".join(f"{k}: {cls.description}" for k, cls in SAMPLERS.items())
    p = sub.add_parser("sample", help="draw samples from a run (prior, or a density fitted to the training codes)",
                       description="Draw samples: z from a sampler, decoded to the likelihood mean. Ex-post samplers "
                                   "are fitted to the training codes once and saved in RUN_DIR/samplers/NAME/. "
                                   f"Samplers: {names}.")
    p.add_argument("run_dir")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--sampler", metavar="NAME",
                   help=f"{', '.join(SAMPLERS)} (default: the model's own, the prior for VAEs)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0): same seed, same samples")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="sampler option, repeatable, e.g. components=5 (gmm) or epochs=50 (two-stage)")
    p.add_argument("--refit", action="store_true",
                   help="fit the sampler again, replacing the saved one (needed when options or checkpoint changed)")
    p.add_argument("--out", help="folder for the .npz and .png (default RUN_DIR/samples)")
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--no-progress", action="store_true", help="say nothing while fitting")
    p.set_defaults(func=commands.cmd_sample)


def _norm_bound(text: str):
    if text in ("auto", "none"):
        return None if text == "none" else "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a radius, auto or none, got {text!r}") from None


def _add_lso(sub) -> None:
    p = sub.add_parser("lso", help="latent space optimisation: a property (molecules) or matching target images",
                       description="Property task (--property NAME): fit a predictor of the property on the latent "
                                   "codes, run gradient ascent on it from several starts with a penalty on ||z||, "
                                   "decode the paths (molecules: validity and the real property with RDKit). Match "
                                   "task (--task match): the NE-VAE paper's toy task: freeze the decoder, optimise z "
                                   "to reproduce test images from random starts; iterations to converge and spread of "
                                   "the final codes. Results go to RUN_DIR/lso/.")
    p.add_argument("run_dir")
    p.add_argument("--task", choices=["property", "match"], default="property")
    p.add_argument("--property", metavar="NAME",
                   help="property to optimise (molecules: logp, qed, sa, mw or a dataset column such as gap; "
                        "images: score or label:K); an unknown name lists the run's")
    p.add_argument("--starts", type=int, help="starts (property: default 10; match: per target, default 10)")
    p.add_argument("--steps", type=int, help="Adam steps (property: default 500; match: default 1000)")
    p.add_argument("--lr", type=float, help="Adam learning rate on z (default 0.05)")
    p.add_argument("--seed", type=int, default=0, help="seed of targets, starts and predictor (default 0)")
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    g = p.add_argument_group("property task")
    g.add_argument("--penalty", type=float, default=0.5,
                   help="lambda: the ascent maximises the standardised prediction minus lambda times the "
                        "negative log-density of --penalty-on (default 0.5)")
    g.add_argument("--penalty-on", choices=["codes", "prior"], default="codes",
                   help="codes (default): a full-covariance Gaussian fitted to the training codes, the ascent in its "
                        "whitened coordinates (lr and --max-norm in units of the codes' spread; keeps z where the "
                        "codes are, also after posterior collapse); prior: N(0, I), the ascent on z itself")
    g.add_argument("--start", choices=["worst", "random", "prior"], default="worst",
                   help="start from the test examples with the lowest predicted property (default), random test "
                        "examples, or draws from the model's sampler")
    g.add_argument("--minimize", dest="direction", action="store_const", const="minimize",
                   help="minimise the property (default for sa)")
    g.add_argument("--maximize", dest="direction", action="store_const", const="maximize",
                   help="maximise the property (default, except sa)")
    g.add_argument("--max-norm", type=_norm_bound, default="auto", metavar="R",
                   help="bound the distance from the centre of --penalty-on's Gaussian: a number, auto (the training "
                        "codes' largest; default) or none")
    g.add_argument("--no-box", dest="box", action="store_false",
                   help="with --penalty-on prior: let coordinates leave the training codes' range (kept inside it "
                        "by default: along a collapsed dimension the predictor has seen no variation)")
    g.add_argument("--refit", action="store_true", help="fit the property predictor again, replacing the saved one")
    g = p.add_argument_group("match task")
    g.add_argument("--targets", type=int, default=50, help="test images to match (default 50, as the NE-VAE paper)")
    g.add_argument("--loss", choices=["se", "nll"], default="se",
                   help="se: squared error of the decoded mean (default, the paper's); nll: -log p(x|z)")
    g.add_argument("--init", choices=["sampler", "posterior"], default="sampler",
                   help="starts drawn from the model's sampler (the prior for VAEs; default) or from q(z|x_target)")
    g.add_argument("--tol", type=float, default=0.01,
                   help="converged once the loss stays within tol of its total change of its final value "
                        "(default 0.01)")
    p.set_defaults(func=commands.cmd_lso)


def build_parser() -> argparse.ArgumentParser:
    from vaelab.version import __version__

    parser = argparse.ArgumentParser(prog="vaelab", description="Train VAE-family models and study their latent spaces.")
    parser.add_argument("--version", action="version", version=f"vaelab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_evaluate(sub)
    _add_plot(sub)
    _add_report(sub)
    _add_sample(sub)
    _add_lso(sub)
    p = sub.add_parser("datasets", help="list datasets and whether their data is present")
    p.add_argument("--data-dir", help="data directory to check (default $VAELAB_DATA)")
    p.set_defaults(func=commands.cmd_datasets)
    p = sub.add_parser("models", help="list model variants, posteriors and likelihoods")
    p.add_argument("--markdown", action="store_true", help="print the model table as Markdown")
    p.set_defaults(func=commands.cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    from vaelab.errors import VaelabError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    with warnings.catch_warnings():
        warnings.showwarning = print_warning  # one "warning:" line, no source line
        try:
            return args.func(args)
        except VaelabError as err:
            print_error(str(err))
            return err.exit_code
        except KeyboardInterrupt:
            print_error("interrupted; the last finished epoch is checkpointed: "
                        "continue with `vaelab train --resume RUN_DIR`")
            return 130

if __name__ == "__main__":
    sys.exit(main())
