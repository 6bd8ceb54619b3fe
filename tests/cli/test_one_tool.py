"""The command line as one tool: light help, the same options everywhere, shortcuts from one table, stage lines."""

import argparse
import json
import subprocess
import sys

import pytest

from tests.helpers import tiny_config, vaelab
from vaelab.cli.main import build_parser

COMPUTING = {"evaluate": True, "plot": True, "sample": True, "lso": True}  # command -> takes --seed


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_imports_no_torch_matplotlib_or_rdkit():
    code = ("import sys\nfrom vaelab.cli.main import build_parser\nbuild_parser()\n"
            "print([m for m in ('torch', 'matplotlib', 'rdkit', 'sklearn', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("command", ["", "train", "evaluate", "plot", "report", "sample", "lso", "datasets",
                                     "models"])
def test_every_help_prints(command):
    r = vaelab(*([command] if command else []), "--help")
    assert r.returncode == 0 and "usage: vaelab" in r.stdout, r.stderr


def test_every_option_has_help_that_states_its_default():
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            text = sub.formatter_class(prog="x")._get_help_string(action)
            if action.default not in (None, False):
                assert "default" in text, f"{name} {action.option_strings[0]}: {text!r}"


@pytest.mark.parametrize("command, seed", COMPUTING.items())
def test_computing_commands_take_device_no_progress_and_seed(command, seed):
    args = _subparsers()[command].parse_args(["RUN", "--device", "cpu", "--no-progress"] + (["--seed", "3"] if seed else []))
    assert args.device == "cpu" and args.no_progress and (not seed or args.seed == 3)


def test_train_flags_come_from_the_one_shortcut_table():
    from vaelab.config.shortcuts import SHORTCUTS, flag

    train = _subparsers()["train"]
    flags = {s for a in train._actions for s in a.option_strings}
    assert {flag(name) for name in SHORTCUTS} <= flags
    args = train.parse_args(["--latent-dim", "3", "--beta", "0.5", "--no-compile"])
    from vaelab.cli.commands import _train_kwargs
    from vaelab.config.shortcuts import shortcut_overrides

    assert sorted(shortcut_overrides(_train_kwargs(args))) == ["kl_schedule.end=0.5", "model.latent_dim=3",
                                                                "train.compile=false"]


def test_out_is_a_directory_except_for_the_report():
    subs = _subparsers()
    helps = {name: next(a.help for a in sub._actions if "--out" in a.option_strings)
             for name, sub in subs.items() if any("--out" in a.option_strings for a in sub._actions)}
    assert set(helps) == {"train", "report", "sample"}
    assert "director" in helps["train"] and "director" in helps["sample"]
    assert "HTML file" in helps["report"] and "not a directory" in helps["report"]


def test_the_api_function_train_survives_importing_the_training_package():
    import vaelab
    import vaelab.training.trainer  # noqa: F401  (the package is vaelab.training, not vaelab.train)

    assert callable(vaelab.train) and callable(vaelab.lso)


def test_long_commands_print_one_line_per_stage_into_a_log(tmp_path):
    """Not a terminal (a pipe here): no bars, one line per stage on stderr; --no-progress silences them."""
    import vaelab as api

    cfg = tiny_config(epochs=1)
    cfg["data"]["options"] = {"n": 300, "image_side": 8}
    run = api.train(cfg, out=tmp_path / "run")
    r = vaelab("evaluate", run.path, "--iw-samples", "10", "--no-fd")
    assert r.returncode == 0, r.stderr
    stages = [line for line in r.stderr.splitlines() if line.startswith("evaluate: ")]
    assert [s.split(":")[1].strip() for s in stages][:2] == ["ELBO terms",
                                                             "posterior, KL per dimension, MI, active units, bubbles"]
    assert any(s.startswith("evaluate: IW NLL (K=10): ") and s.endswith(" s") for s in stages), r.stderr
    assert json.loads((run.path / "diagnostics.json").read_text())["iw_samples"] == 10
    r = vaelab("plot", run.path, "--kind", "samples", "--seed", "4")
    assert r.returncode == 0, r.stderr
    assert "plot: figure data samples:" in r.stderr and "plot: drawing 1 figure(s):" in r.stderr
    r = vaelab("sample", run.path, "--n", "8", "--no-progress")
    assert r.returncode == 0 and "sample:" not in r.stderr, r.stderr
