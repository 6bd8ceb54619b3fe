"""The property predictor: R² on a target that is a function of the codes, the bounded output, saving and reuse."""

import json

import pytest
import torch

from vaelab.errors import ConfigError
from vaelab.latentopt import fit_predictor, r2_score

FAST = {"epochs": 150, "patience": 15, "batch_size": 256, "lr": 1e-2}


def test_r2_score_oracle():
    y = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y) == pytest.approx(1.0)
    assert r2_score(torch.full((4,), 2.5), y) == pytest.approx(0.0)


def test_a_linear_function_of_the_codes_is_learned_with_high_r2():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(700, 5, generator=gen) * torch.tensor([2.0, 1.0, 0.5, 0.01, 1.0])  # one near-constant dim
    y = 3.0 * z[:, 0] - 2.0 * z[:, 2] + 10.0  # in its own units, far from 0
    model, fit = fit_predictor(z[:500], y[:500], FAST)
    assert fit.r2_valid > 0.98 and fit.best_epoch <= fit.epochs
    with torch.no_grad():
        assert r2_score(model(z[500:]), y[500:]) > 0.98
        # standardised() is the prediction in training-target SDs: the ascent's unit-free score
        torch.testing.assert_close(model.standardised(z[:5]) * model.y_std + model.y_mean, model(z[:5]))


def test_a_sigmoid_output_predicts_a_class_indicator_as_a_probability():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(500, 3, generator=gen)
    y = (z[:, 1] > 0.5).float()
    model, fit = fit_predictor(z, y, {**FAST, "output": "sigmoid"})
    with torch.no_grad():
        p = model(z)
    assert float(p.min()) >= 0 and float(p.max()) <= 1
    assert float(((p > 0.5).float() == y).float().mean()) > 0.95
    far = torch.tensor([[0.0, 50.0, 0.0]])  # far outside the data the probability saturates, it does not grow
    assert float(model(far)) <= 1.0


def test_the_predictor_is_saved_reused_and_refitted(image_run_dir):
    import vaelab
    from vaelab.latentopt import fitted_predictor, resolve

    run = vaelab.load_run(image_run_dir)
    target = resolve(run, "label:1")
    first = fitted_predictor(run, target, FAST, progress=False)
    model, record, now = first.model, first.record, first.fitted_now
    folder = image_run_dir / "lso" / "label-1"
    assert now and (folder / "predictor.safetensors").is_file()
    saved = json.loads((folder / "predictor.json").read_text())
    assert saved["property"] == "label:1" and saved["options"]["output"] == "sigmoid"
    assert saved["r2_test"] is not None and saved["n_codes"] == len(run.data.train)
    second = fitted_predictor(run, target, progress=False)  # options None: the saved fit's own
    again, record2, now2 = second.model, second.record, second.fitted_now
    assert not now2 and record2["fitted_at"] == record["fitted_at"]
    z = torch.randn(7, run.model.latent_dim)
    torch.testing.assert_close(again(z), model(z))
    with pytest.raises(ConfigError, match="--refit"):
        fitted_predictor(run, target, {**FAST, "epochs": 5}, progress=False)
    assert fitted_predictor(run, target, {**FAST, "epochs": 5}, refit=True, progress=False).fitted_now
    # the statistics of the training codes travel with the predictor: the whitening inverts
    z = torch.randn(3, run.model.latent_dim)
    torch.testing.assert_close(second.stats.codes(second.stats.whitened(z)), z, atol=1e-4, rtol=1e-4)
    assert (folder / "codes.safetensors").is_file()


def test_a_damaged_predictor_record_names_the_fix(image_run_dir):
    import vaelab
    from vaelab.errors import CheckpointError
    from vaelab.latentopt import fitted_predictor, resolve

    run = vaelab.load_run(image_run_dir)
    folder = image_run_dir / "lso" / "label-0"
    folder.mkdir(parents=True)
    (folder / "predictor.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="--refit"):
        fitted_predictor(run, resolve(run, "label:0"), progress=False)
