"""`vaelab lso`: bad input is one line and exit code 2, no traceback; a short match and property run work."""

from types import SimpleNamespace

import pytest
import torch

from vaelab.cli.main import main
from vaelab.errors import ConfigError


def _lso(capsys, *args):
    code = main(["lso", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args,needle", [
    (["--property", "logp"], "unknown property 'logp' for this run; available: label:0 .. label:3 (class indicators)"),
    ([], "lso needs a property: --property NAME (this run has: label:0"),
    (["--task", "match", "--property", "label:1"], "--property belongs to the property task"),
    (["--task", "match", "--loss", "nll", "--steps", "0"], "argument --steps: expected a whole number >= 1"),
    (["--property", "label:1", "--start", "random", "--starts", "100000"], "fewer than --starts 100000"),
])
def test_bad_input_is_one_line_and_exit_2(image_run_dir, capsys, args, needle):
    code, out, err = _lso(capsys, image_run_dir, *args, "--no-progress")
    assert code == 2 and needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or needle in err.replace("\n", " ")


def test_not_a_run_directory(tmp_path, capsys):
    code, _, err = _lso(capsys, tmp_path, "--task", "match")
    assert code == 2 and "not a run directory" in err


def test_a_run_without_properties_says_what_would_have_them():
    from vaelab.data.base import DataBundle, Split
    from vaelab.latentopt.targets import resolve

    x = Split(torch.zeros(4, 3))
    run = SimpleNamespace(data=DataBundle("vectors", "real", (3,), x, x, x))
    with pytest.raises(ConfigError, match="no property to optimise.*--task match"):
        resolve(run, "score")


def test_match_and_property_from_the_command_line(image_run_dir, capsys):
    # Both tasks print their tables and the files they wrote.
    import vaelab
    from vaelab.latentopt import fitted_predictor, resolve

    code, out, err = _lso(capsys, image_run_dir, "--no-progress", "--task", "match", "--targets", "3", "--starts", "2",
                          "--steps", "30")
    assert code == 0, err
    assert "steps to converge" in out and "final code spread" in out and "match.png" in out
    assert (image_run_dir / "lso" / "match" / "match.png").is_file()
    run = vaelab.load_run(image_run_dir)  # a quick predictor fit, which the command reuses
    fitted_predictor(run, resolve(run, "label:2"), {"epochs": 30, "lr": 1e-2}, progress=False)
    code, out, err = _lso(capsys, image_run_dir, "--no-progress", "--property", "label:2", "--starts", "3",
                          "--steps", "30")
    assert code == 0, err
    assert "predictor R²" in out and "(reused)" in out and "predicted only" in out
    for name in ("paths.png", "paths_images.png", "result.json", "predictor.safetensors"):
        assert (image_run_dir / "lso" / "label-2" / name).is_file(), name


def test_vaelab_lso_is_the_function_beside_the_package():
    # The package is vaelab.latentopt, so importing it never replaces the function vaelab.lso.
    import vaelab
    import vaelab.latentopt.match  # noqa: F401

    assert callable(vaelab.lso) and vaelab.latentopt.optimize_property is not None
    with pytest.raises(ConfigError, match="unknown lso task 'nope'"):
        vaelab.lso("anywhere", task="nope")


def test_the_summary_warns_of_a_weak_predictor_and_extrapolation():
    from vaelab.latentopt.report import notes

    s = {"property": "gap", "predictor": {"r2_test": 0.2}, "predicted_only": True, "settings": {"penalty_on": "prior"},
         "predicted": {"beyond_training_share": 0.5, "best_in_training": 0.34}}
    text = " ".join(notes(s))
    assert "test R² is 0.20" in text and "50% of the paths" in text and "predicted only" in text
    assert "--penalty-on codes" in text
    s.update(predictor={"r2_test": 0.9}, predicted_only=False, predicted={"beyond_training_share": 0.0})
    assert notes(s) == []
