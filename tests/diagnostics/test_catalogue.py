"""The metric catalogue: formats by hand, old key names, and every key a real evaluation writes has an entry."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from vaelab.diagnostics.catalogue import (METRICS, ROLES, context_text, format_number, format_value, lookup, metric,
                                          read_diagnostics, rows, skip_reason, upgrade_diagnostics)

SMILES = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"


# --------------------------------------------------------------------------- the entries


def test_every_entry_is_well_formed_and_listed_once():
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    for m in METRICS:
        assert m.role in ROLES and m.direction in (None, "lower", "higher") and m.glossary.strip(), m.key
        assert m.unit in ("", "nats", "count", "share", "seconds"), m.key
        assert set(m.data) <= {"images", "tokens"} and m.data, m.key


def test_every_scored_metric_cites_where_it_comes_from():
    cited = re.compile(r"[A-Z][\w-]+( et al\.| & [A-Z][\w-]+)? (19|20)\d\d")
    for m in METRICS:
        if m.role == "metric" and not m.key.startswith("bubbles."):  # the bubbles' molecule article: title only
            assert cited.search(m.glossary), m.key
    assert "Cho, " in metric("bubbles.evenness_cv").glossary


def test_the_n_sampler_fd_is_named_for_what_it_measures():
    m = metric("fd.fd_n")
    assert m.label == "FD (feature net) N-sampler" and m.direction == "lower" and m.decimals == 1
    assert "Ghosh et al. 2020" in m.glossary and "fd_prior" in m.glossary  # says what it was called before
    assert metric("fd.fd_prior").label == "FD (feature net) prior"  # now only `--fd-sampler prior` writes it
    assert metric("fd.fd_two_stage").label == "FD (feature net) two-stage"
    assert metric("fd.fd_two_stage").data == ("images",)
    assert metric("no_such_key") is None and metric("fd.feature_net.x") is None


def test_applies_to_runs_by_data_and_elbo():
    assert metric("neg_elbo").applies("binary", has_elbo=True)
    assert not metric("neg_elbo").applies("binary", has_elbo=False)
    assert metric("rec").applies("tokens", has_elbo=False)
    assert metric("fd.fd_rec").applies("real", True) and not metric("fd.fd_rec").applies("tokens", True)
    assert metric("molecules.samples.validity").applies("tokens", False)
    assert not metric("molecules.samples.validity").applies("unit", True)


# --------------------------------------------------------------------------- formatting


def test_format_number_by_hand():
    assert format_number(95.2, 2) == "95.20" and format_number(21.46, 1) == "21.5"
    assert format_number(0.0012, 2) == "0.00" and format_number(-0.004, 3) == "-0.004"  # fixed decimals
    assert format_number(0.0, 2) == "0.00" and format_number(13, 2) == "13" and format_number(True) == "true"
    assert format_number(None) == "\u2014" and format_number(math.nan) == "\u2014"
    assert format_number(math.inf) == "\u221e" and format_number(-math.inf) == "\u2212\u221e"
    assert format_number(1234.5678, None) == "1235" and format_number("epoch_0030") == "epoch_0030"


def test_values_with_error_total_and_context():
    d = {"iw_nll": 91.8, "iw_nll_se": 0.214, "iw_samples": 1000, "au": 13, "activity_per_dim": [1.0] * 32,
         "bubbles": {"evenness_cv": 0.12, "group_by": "digit label"}}
    assert format_value(metric("iw_nll"), d) == "91.80 \u00b1 0.21"
    assert context_text(metric("iw_nll"), d) == "K=1000"
    assert format_value(metric("au"), d) == "13/32"
    assert format_value(metric("bubbles.evenness_cv"), d) == "0.120"
    assert context_text(metric("bubbles.evenness_cv"), d) == "groups: digit label"
    assert format_value(metric("mi"), d) is None and context_text(metric("rec"), d) is None
    del d["iw_samples"]
    assert context_text(metric("iw_nll"), d) is None  # a missing field: no half-filled text


def test_rows_follow_the_catalogue_and_put_further_samplers_after_the_fd_rows():
    a = {"split": "test", "neg_elbo": 90.0, "fd": {"fd_rec": 3.0, "fd_n": 9.0, "fd_two_stage": 5.0, "n_sampler": "x"}}
    b = {"split": "test", "mi": 2.0, "fd": {"fd_rec": 4.0, "fd_kde": 6.0}, "time_s": 1.0}
    keys = [m.key for m in rows([a, None, b])]
    assert keys == ["split", "neg_elbo", "mi", "fd.fd_rec", "fd.fd_n", "fd.fd_kde", "fd.fd_two_stage", "time_s"]
    assert [m.key for m in rows([a], roles=("metric",))] == ["neg_elbo", "fd.fd_rec", "fd.fd_n", "fd.fd_two_stage"]


def test_skip_reasons_from_the_skipped_map_and_from_siblings():
    d = {"skipped": {"fd": "token data", "iw_nll": None}, "molecules": {"samples": {"fcd_test_skipped": "too few"}}}
    assert skip_reason(d, "fd.fd_rec") == "token data" and skip_reason(d, "iw_nll") == "skipped"
    assert skip_reason(d, "molecules.samples.fcd_test") == "too few"
    assert skip_reason(d, "mi") is None and skip_reason(None, "mi") is None


# --------------------------------------------------------------------------- old files


def _old_fd() -> dict:
    return {"fd": {"feature_net": {"name": "FD (feature net)", "fd_prior": "sampler prior"}, "n_sampler": "prior",
                   "fd_rec": 3.2, "fd_prior": 21.5, "fd_gmm": 17.0}}


def test_old_fd_prior_reads_as_fd_n_in_place():
    old = _old_fd()
    new = upgrade_diagnostics(old)
    assert list(new["fd"]) == ["feature_net", "n_sampler", "fd_rec", "fd_n", "fd_gmm"]  # same place, new name
    assert new["fd"]["fd_n"] == 21.5 and new["fd"]["feature_net"]["fd_n"] == "sampler prior"
    assert "fd_prior" not in new["fd"] and "fd_prior" not in new["fd"]["feature_net"]
    assert old == _old_fd()  # the input is not changed


def test_a_file_with_both_keys_keeps_both():
    d = {"fd": {"fd_n": 9.0, "fd_prior": 8.0}}  # fd_prior from `--fd-sampler prior` beside the N column
    assert upgrade_diagnostics(d) == d
    assert upgrade_diagnostics({"neg_elbo": 1.0}) == {"neg_elbo": 1.0}


def test_read_diagnostics_maps_old_names(tmp_path):
    (tmp_path / "diagnostics.json").write_text(json.dumps(_old_fd()))
    assert read_diagnostics(tmp_path / "diagnostics.json")["fd"]["fd_n"] == 21.5
    (tmp_path / "diagnostics.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        read_diagnostics(tmp_path / "diagnostics.json")


# --------------------------------------------------------------------------- against real evaluations


def _uncovered(value, prefix: str = "") -> list[str]:
    """Dotted keys of ``value`` that neither have a catalogue entry nor sit under one."""
    out = []
    for key, v in value.items():
        path = f"{prefix}.{key}" if prefix else key
        if metric(path) is not None:
            continue
        out += _uncovered(v, path) if isinstance(v, Mapping) else [path]
    return out


def _missing(d: dict, data_kind: str, has_elbo: bool) -> list[str]:
    """Shown entries that apply to the run but that ``d`` neither has nor gives a reason for skipping."""
    return [m.key for m in METRICS if m.role != "detail" and m.applies(data_kind, has_elbo)
            and lookup(d, m.key) is None and skip_reason(d, m.key) is None]


def _image_config(model: str) -> dict:
    return {"data": {"name": "synthetic", "options": {"n": 600, "dim": 32}},
            "model": {"name": model, "latent_dim": 4, "hidden": [32, 32]},
            "train": {"epochs": 1, "batch_size": 50, "progress": False}}


@pytest.mark.parametrize("model", ["vae", "rae"])
def test_every_key_an_image_evaluation_writes_has_an_entry(model, tmp_path, monkeypatch):
    import vaelab
    from vaelab.pipeline import feature_net

    monkeypatch.setattr(feature_net, "MAX_STEPS", 200)
    run = vaelab.train(_image_config(model), out=tmp_path / model)
    d = vaelab.evaluate(run, iw_samples=10, progress=False)
    assert _uncovered(d) == []
    assert _missing(d, run.data.kind, run.model.has_elbo) == []
    assert "fd.fd_n" in [m.key for m in rows([d])] and "fd_prior" not in d["fd"]
    assert d["fd"]["n_sampler"] == ("prior" if model == "vae" else "gaussian")
    # an old file: the key renamed back on disk reads as fd_n through the run and the report
    from vaelab.report.load import load_run_dir

    old = json.loads((run.path / "diagnostics.json").read_text())
    old["fd"]["fd_prior"] = old["fd"].pop("fd_n")
    (run.path / "diagnostics.json").write_text(json.dumps(old))
    assert run.diagnostics["fd"]["fd_n"] == d["fd"]["fd_n"] and "fd_prior" not in run.diagnostics["fd"]
    assert load_run_dir(run.path).diagnostics["fd"]["fd_n"] == d["fd"]["fd_n"]


def test_every_key_a_token_evaluation_writes_has_an_entry(tmp_path):
    pytest.importorskip("rdkit")
    import torch

    import vaelab

    small = {"latent_dim": 4, "seq_embedding": 8, "seq_hidden": 16, "seq_dense": 16, "conv_channels": [4, 4, 8, 8],
             "decoder_hidden": [16], "seq_encoder": "gru", "seq_decoder": "gru"}
    cfg = {"data": {"name": "smiles", "options": {"path": str(SMILES)}}, "model": {"name": "vae", **small},
           "train": {"epochs": 1, "batch_size": 80, "progress": False}}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny GRUs: threads cost more than they give
    try:
        run = vaelab.train(cfg, out=tmp_path / "smiles")
        d = vaelab.evaluate(run, iw_samples=5, limit=20, progress=False, molecule_samples=30)
    finally:
        torch.set_num_threads(threads)
    assert _uncovered(d) == []
    assert _missing(d, "tokens", True) == []
    assert "molecules.samples.validity" in [m.key for m in rows([d])]


def test_the_catalogue_module_imports_neither_torch_nor_other_vaelab_modules():
    import subprocess
    import sys

    import vaelab.diagnostics.catalogue as catalogue

    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('catalogue', sys.argv[1]); "
            "module = sys.modules['catalogue'] = importlib.util.module_from_spec(spec); "
            "spec.loader.exec_module(module); "
            "assert module.metric('fd.fd_n').label; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'vaelab', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code, catalogue.__file__], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
