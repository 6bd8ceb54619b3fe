"""The command line as one tool: light help, the same options everywhere, shortcuts from one table, stage lines."""

import argparse
import json
import subprocess
import sys

import pytest

from tests.helpers import tiny_config, vaelab
from vaelab.cli.main import build_parser

#: command -> the arguments it needs, and whether it takes --seed (every computing command takes --device and
#: --no-progress; report only reads files, datasets and models only list)
COMPUTING = {"train": ([], True), "evaluate": (["RUN"], True), "plot": (["RUN"], True), "sample": (["RUN"], True),
             "lso": (["RUN"], True), "explore": (["RUN"], False)}
HEAVY = ("torch", "matplotlib", "rdkit", "sklearn", "scipy")


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_imports_no_torch_matplotlib_or_rdkit():
    """Every command's help is formatted in a fresh interpreter; only train's reads the config schema (pydantic)."""
    code = ("import argparse, sys\n"
            "from vaelab.cli.main import build_parser\n"
            "parser = build_parser()\n"
            "subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices\n"
            "parser.format_help()\n"
            "[sub.format_help() for name, sub in subs.items() if name != 'train']\n"
            f"print([m for m in {HEAVY + ('pydantic',)!r} if m in sys.modules])\n"
            "subs['train'].format_help()\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]


def test_help_through_the_entry_point_imports_no_torch():
    """``python -m vaelab --help`` as a user runs it: the package's lazy names keep torch out."""
    code = ("import runpy, sys\nsys.argv = ['vaelab', '--help']\n"
            "try:\n    runpy.run_module('vaelab', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('heavy:', [m for m in ('torch', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage: vaelab" in out.stdout and out.stdout.strip().endswith("heavy: []")


def test_the_package_names_load_on_first_use():
    """``import vaelab`` is light, yet ``vaelab.load_run`` and ``from vaelab import Run`` work (PEP 562)."""
    code = ("import sys\nimport vaelab\nlight = 'torch' not in sys.modules\n"
            "from vaelab import Run, load_run\nfrom vaelab.rundir import Run as R\n"
            "print(light, Run is R, callable(load_run), callable(vaelab.train), 'Run' in dir(vaelab))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True"] * 5
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        import vaelab

        vaelab.not_a_name  # noqa: B018


@pytest.mark.parametrize("command", ["", "train", "evaluate", "plot", "report", "sample", "lso", "explore", "datasets",
                                     "models"])
def test_every_help_prints(command):
    r = vaelab(*([command] if command else []), "--help")
    assert r.returncode == 0 and "usage: vaelab" in r.stdout, r.stderr


def test_every_option_has_help_that_states_its_default():
    """Every option that takes a value says its default (0 included); flags are off unless given."""
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            text = sub.formatter_class(prog="x")._get_help_string(action)
            if action.nargs != 0 or action.default not in (None, False):
                assert "default" in text, f"{name} {action.option_strings[0]}: {text!r}"


def test_a_default_of_zero_is_shown():
    text = vaelab("evaluate", "--help").stdout
    assert "evaluation (default: 0)" in " ".join(text.split())


@pytest.mark.parametrize("command", COMPUTING)
def test_computing_commands_take_device_no_progress_and_seed(command):
    positional, seed = COMPUTING[command]
    args = _subparsers()[command].parse_args(positional + ["--device", "cpu", "--no-progress"]
                                             + (["--seed", "3"] if seed else []))
    assert args.device == "cpu" and args.no_progress and (not seed or args.seed == 3)


def test_commands_that_compute_nothing_take_no_device():
    subs = _subparsers()
    for name in set(subs) - set(COMPUTING):
        flags = {s for a in subs[name]._actions for s in a.option_strings}
        assert not flags & {"--device", "--seed"}, name


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


def test_train_help_shows_every_shortcut_with_its_key_and_the_configs_default():
    from vaelab.config.schema import RunConfig
    from vaelab.config.shortcuts import SHORTCUTS, flag

    text = " ".join(vaelab("train", "--help").stdout.split())  # unwrapped
    for name, s in SHORTCUTS.items():
        assert flag(name) in text, name
        if s.type is not bool:
            section, key = s.key.split(".")
            default = getattr(getattr(RunConfig(), section), key)
            shown = "unset" if default is None else str(default)
            assert f"= --set {s.key}=... (default: {shown}, or the preset's)" in text, name
    assert "--beta BETA the KL weight" in text and "kl_schedule.end" in text


def test_out_is_a_directory_except_for_the_report():
    subs = _subparsers()
    helps = {name: next(a.help for a in sub._actions if "--out" in a.option_strings)
             for name, sub in subs.items() if any("--out" in a.option_strings for a in sub._actions)}
    assert set(helps) == {"train", "report", "sample", "sweep", "reproduce"}
    assert all("director" in helps[name] for name in ("train", "sample", "sweep", "reproduce"))
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
    r = vaelab("sample", run.path, "--n", "8", "--sampler", "gaussian", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert "sample: the gaussian sampler (fitted once, then reused): " in r.stderr and "sample: 8 codes decoded: " in r.stderr
    r = vaelab("sample", run.path, "--n", "8", "--no-progress")
    assert r.returncode == 0 and "sample:" not in r.stderr, r.stderr
    r = vaelab("lso", run.path, "--task", "match", "--targets", "2", "--starts", "2", "--steps", "5", "--seed", "1",
               "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert [line.rsplit(": ", 1)[0] for line in r.stderr.splitlines()] == ["lso: matching targets"], r.stderr


def test_train_prints_its_epoch_lines_into_a_log_and_nothing_with_no_progress(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(json.dumps(tiny_config(epochs=2, progress=True)))  # JSON is YAML
    r = vaelab("train", config, "--out", tmp_path / "a", "--device", "cpu", "--seed", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()  # the epoch lines and nothing else: no bar, no blank line a bar leaves behind
    assert [line.split()[:2] for line in lines] == [["epoch", "1"], ["epoch", "2"]], r.stderr
    r = vaelab("train", config, "--out", tmp_path / "b", "--no-progress")
    assert r.returncode == 0 and "epoch" not in r.stderr, r.stderr
