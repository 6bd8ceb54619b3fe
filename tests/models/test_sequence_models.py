"""Sequence VAEs on the 200-molecule QM9 fixture: every encoder x decoder and the latent variants train."""

import json
import math
from pathlib import Path

import pytest
import torch

import vaelab
from vaelab.errors import ConfigError
from vaelab.models import build_model, resolve_likelihood

pytest.importorskip("rdkit")

FIXTURE = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
SMALL = {"latent_dim": 4, "seq_embedding": 8, "seq_hidden": 16, "seq_dense": 16, "conv_channels": [4, 4, 8, 8],
         "decoder_hidden": [16]}


@pytest.fixture(autouse=True)
def _one_thread():
    """Models this small run faster on one thread (and far faster on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train(tmp_path, name="vae", **model):
    cfg = {"data": {"name": "smiles", "options": {"path": str(FIXTURE)}},
           "model": {"name": name, **SMALL, **model},
           "train": {"epochs": 1, "batch_size": 80, "progress": False}}
    return vaelab.train(cfg, out=tmp_path / "run")


def _finite_record(run) -> dict:
    record = run.metrics()[-1]
    figures = {k: v for k, v in record.items() if k.startswith(("train_", "valid_")) and isinstance(v, float)}
    assert all(math.isfinite(v) for v in figures.values()), figures
    return record


@pytest.mark.parametrize("encoder", ["chemvae", "article-conv", "gru"])
@pytest.mark.parametrize("decoder", ["gru", "fc"])
def test_a_tiny_smiles_vae_trains_one_epoch(tmp_path, encoder, decoder):
    run = _train(tmp_path, seq_encoder=encoder, seq_decoder=decoder)
    record = _finite_record(run)
    assert record["valid_rec"] > 0 and len(record["valid_kl_per_dim"]) == 4
    x = run.eval_data("test")[:5]
    p = run.decode(run.encode(x).mean)
    length = x.shape[1]
    assert p.mean.shape == (5, length) and p.mean.dtype == torch.int64
    assert (p.mean[:, 0] == 1).all()  # bos
    assert run.sample(3).shape == (3, length)


@pytest.mark.parametrize("name", ["ne-vae-se", "bounded-both", "aggressive-vae", "iwae", "rae"])
def test_latent_variants_train_on_tokens(tmp_path, name):
    # GRUs where they are cheap; aggressive training's inner loops (up to 100 steps) take the conv/fc parts
    parts = {"seq_encoder": "article-conv", "seq_decoder": "fc"} if name == "aggressive-vae" else \
        {"seq_encoder": "gru", "seq_decoder": "gru"}
    run = _train(tmp_path, name, **parts)
    record = _finite_record(run)
    if name == "ne-vae-se":
        assert record["train_reencode"] >= 0
    if name == "rae":
        assert record["valid_kl"] == 0.0 and record["valid_rec"] > 0


def test_nevae_reencodes_soft_probabilities_with_gradients(tmp_path):
    run = _train(tmp_path, "ne-vae-se", seq_encoder="chemvae", seq_decoder="gru")
    model = run.model.train()
    x = run.eval_data("train")[:8]
    model.zero_grad()
    out = model(x, 1.0)
    out.extras["reencode"].mean().backward()
    decoder_grads = [p.grad for p in model.likelihood_head.parameters() if p.grad is not None]
    assert decoder_grads and any(g.abs().sum() > 0 for g in decoder_grads)  # through the soft tokens


def test_a_token_run_reloads_with_identical_codes_and_keeps_its_vocabulary(tmp_path):
    run = _train(tmp_path, seq_encoder="gru", seq_decoder="gru")
    vocab = json.loads((run.path / "vocabulary.json").read_text())
    assert vocab["tokens"][:3] == ["<pad>", "<bos>", "<eos>"]
    assert run.meta["vocab_size"] == len(vocab["tokens"]) and run.meta["likelihood"] == "categorical"
    again = vaelab.load_run(run.path)
    x = run.eval_data("test")
    assert torch.equal(again.encode(x).mean, run.encode(x).mean)
    assert torch.equal(again.decode(run.encode(x).mean).mean, run.decode(run.encode(x).mean).mean)


def test_the_likelihood_must_fit_the_data_kind():
    cfg = vaelab.make_config({"model": {"likelihood": "categorical"}})
    with pytest.raises(ConfigError, match="categorical likelihood is for token data"):
        resolve_likelihood(cfg.model, "binary")
    cfg = vaelab.make_config({"model": {"likelihood": "bernoulli"}})
    with pytest.raises(ConfigError, match="does not fit tokens data"):
        resolve_likelihood(cfg.model, "tokens")
    assert resolve_likelihood(vaelab.make_config({}).model, "tokens") == "categorical"
    with pytest.raises(ConfigError, match="vocabulary size"):
        build_model(vaelab.make_config({}).model, (10,), "tokens")
    with pytest.raises(ConfigError, match="model.seq_encoder"):
        build_model(vaelab.make_config({"model": {"architecture": "conv"}}).model, (10,), "tokens", vocab_size=8)


def test_smiles_presets_fill_in_the_literature_settings():
    cfg = vaelab.make_config({"model": {"name": "vae-smiles"}})
    assert (cfg.data.name, cfg.model.latent_dim, cfg.model.seq_encoder, cfg.model.seq_decoder) == \
        ("qm9", 156, "chemvae", "gru")
    cfg = vaelab.make_config({"model": {"name": "article-bounded-zinc"}})
    assert (cfg.model.latent_dim, cfg.model.seq_encoder, cfg.model.seq_decoder, cfg.model.posterior) == \
        (256, "article-conv", "fc", "bounded-gaussian")
