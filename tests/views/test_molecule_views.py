"""The molecule figures' arrays (vaelab.views.molecules), built from a stub token run with a known decoder."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit")

from tests.helpers.molecule_arrays import INVALID, qm9_gap, qm9_smiles  # noqa: E402
from tests.helpers.stub_runs import StubRun  # noqa: E402
from vaelab.chem.properties import properties  # noqa: E402
from vaelab.chem.smiles import canonicalize_one  # noqa: E402
from vaelab.chem.tokenize import get_tokenizer  # noqa: E402
from vaelab.chem.vocab import Vocabulary  # noqa: E402
from vaelab.plots import FigureNotApplicable, FIGURES  # noqa: E402
from vaelab.fileio import save_npz  # noqa: E402
from vaelab.views import BUILDERS, ensure_arrays  # noqa: E402
from vaelab.chem.decode import canonical_or_decoded, ids_to_texts  # noqa: E402
from vaelab.views.molecules import (MOLECULE_BUILDERS, molecule_interpolation_arrays,  # noqa: E402
                                    molecule_map_arrays, molecule_traversal_arrays, property_histogram_arrays)

D = 4
ACTIVITY = [2.0, 1.0, 0.5, 0.0]  # dimension 0 most active, 3 collapsed
INVALID_ABOVE = 1.0  # the stub decodes z[1] > 1 to a string that is not a molecule


class StubModel:
    """Decodes z to a training molecule chosen by tanh(z0), or to INVALID when z1 > 1; encodes ids linearly."""

    latent_dim, n_sampler, has_prior, side_inputs = D, "prior", True, ()

    def __init__(self, vocab: Vocabulary, molecules: list[str], max_len: int):
        self.vocab, self.molecules, self.max_len = vocab, molecules, max_len
        self.bad = vocab.encode([get_tokenizer("smiles").tokenize(INVALID)], max_len)[0]
        self.prior = SimpleNamespace(sample=lambda n, generator=None: torch.randn(n, D, generator=generator))
        self.w = torch.randn(max_len + 2, D, generator=torch.Generator().manual_seed(0)) / max_len
        self.w[:, 3] = 0.0

    def eval(self):
        return self

    def pick(self, z: torch.Tensor) -> np.ndarray:
        """Index of the molecule each code decodes to (-1: INVALID)."""
        k = ((torch.tanh(z[:, 0]) + 1) / 2 * len(self.molecules)).long().clamp(0, len(self.molecules) - 1)
        return torch.where(z[:, 1] > INVALID_ABOVE, -1, k).numpy()

    def decode(self, z: torch.Tensor):
        tok = get_tokenizer("smiles")
        ids = [self.bad if k < 0 else self.vocab.encode([tok.tokenize(self.molecules[k])], self.max_len)[0]
               for k in self.pick(z)]
        return SimpleNamespace(mean=torch.stack(ids) if ids else torch.zeros(0, self.max_len + 2, dtype=torch.long))

    def encode(self, x: torch.Tensor):
        return SimpleNamespace(mean=x.float() @ self.w)


def stub_run(path: Path, kind: str = "tokens", score: str | None = "gap") -> "StubRun":
    """A run-like object with the attributes the molecule builders use."""
    smiles = [canonicalize_one(s) for s in qm9_smiles()]
    gap = qm9_gap()
    splits = {"train": slice(0, 120), "valid": slice(120, 160), "test": slice(160, 200)}
    tok = get_tokenizer("smiles")
    vocab = Vocabulary.build([tok.tokenize(s) for s in smiles[:120]] + [tok.tokenize(INVALID)])
    max_len = max(len(tok.tokenize(s)) for s in smiles)
    ids = {k: vocab.encode([tok.tokenize(s) for s in smiles[sl]], max_len) for k, sl in splits.items()}
    info = {"tokenizer": "smiles", "vocabulary": vocab.to_dict(), "max_len": max_len,
            "smiles": {k: smiles[sl] for k, sl in splits.items()},
            "properties": {k: gap[sl, None] for k, sl in splits.items()}, "property_names": ["gap"],
            "property_units": {"gap": "Ha"}, "score": score}
    model = StubModel(vocab, smiles[:120], max_len)
    data = SimpleNamespace(kind=kind, info=info)
    (path / "arrays").mkdir(parents=True, exist_ok=True)
    return StubRun(path, model, data, ids, {"kind": kind, "event_shape": [max_len + 2]},
                   diagnostics={"activity_per_dim": ACTIVITY})



@pytest.fixture
def run(tmp_path):
    return stub_run(tmp_path / "run")


def _expected(run, z: np.ndarray) -> tuple[list[str], np.ndarray]:
    picks = run.model.pick(torch.as_tensor(z, dtype=torch.float32))
    return [INVALID if k < 0 else run.model.molecules[k] for k in picks], picks >= 0


def _roundtrip(tmp_path, arrays: dict) -> dict:
    path = save_npz(tmp_path / "a.npz", arrays)
    with np.load(path, allow_pickle=False) as f:
        loaded = {k: f[k] for k in f.files}
    assert set(loaded) == set(arrays)
    for key, value in arrays.items():
        assert loaded[key].dtype.kind != "O", key
        np.testing.assert_array_equal(loaded[key], value)
    return loaded


def test_molecule_map_arrays(run, tmp_path):
    a = _roundtrip(tmp_path, molecule_map_arrays(run))
    test = run.data.info["smiles"]["test"]
    assert a["mu"].shape == (len(test), D) and a["mu"].dtype == np.float32
    assert a["smiles"].dtype.kind == "U" and a["smiles"].tolist() == test
    decoded, valid = _expected(run, a["mu"])
    assert a["decoded"].tolist() == decoded and a["decoded_valid"].tolist() == valid.tolist()
    assert a["property_names"].tolist() == ["gap", "logp", "qed"]
    assert a["property_units"].tolist() == ["Ha", "", ""]
    assert str(a["colour_by"]) == "gap" and int(a["n_test"]) == len(test)
    np.testing.assert_allclose(a["properties"][:, 0], qm9_gap()[160:200])
    np.testing.assert_allclose(a["properties"][:, 1], properties(test, ["logp"])["logp"], rtol=1e-5)
    assert str(a["kind"]) == "tokens" and str(a["tokenizer"]) == "smiles"


def test_molecule_map_subset_saved_codes_and_default_colour(tmp_path):
    run = stub_run(tmp_path / "run", score=None)
    saved = np.arange(40 * D, dtype=np.float32).reshape(40, D) / 100
    np.savez(run.path / "arrays" / "posterior_test.npz", mu=saved)
    a = molecule_map_arrays(run, max_points=10, seed=3)
    assert len(a["index"]) == 10 and np.all(np.diff(a["index"]) > 0)
    np.testing.assert_array_equal(a["mu"], saved[a["index"]])  # the saved posterior means, not a new encoding
    test = run.data.info["smiles"]["test"]
    assert a["smiles"].tolist() == [test[i] for i in a["index"]]
    assert str(a["colour_by"]) == "logp"  # no score: RDKit's logP


def test_traversal_arrays_follow_activity_and_mark_invalid(run, tmp_path):
    a = _roundtrip(tmp_path, molecule_traversal_arrays(run, steps=7, limit=3.0, max_dims=3))
    assert a["dims"].tolist() == [0, 1, 2] and a["activity"].tolist() == ACTIVITY[:3]
    assert a["smiles"].shape == a["valid"].shape == (3, 7)
    values = a["values"]
    z = np.zeros((3, 7, D), np.float32)
    z[np.arange(3), :, a["dims"]] = values
    decoded, valid = _expected(run, z.reshape(-1, D))
    assert a["smiles"].reshape(-1).tolist() == decoded
    assert a["valid"][1].tolist() == (values <= INVALID_ABOVE).tolist()  # row of z1: invalid above 1
    assert a["valid"][0].all() and len(set(a["smiles"][0].tolist())) > 3  # z0 walks through molecules
    assert str(a["base"]) == "zero" and str(a["base_smiles"]) == "" and int(a["latent_dim"]) == D
    data = molecule_traversal_arrays(run, steps=3, base="data")
    assert str(data["base_smiles"]) == run.data.info["smiles"]["test"][0]
    with pytest.raises(ValueError, match="zero' or 'data"):
        molecule_traversal_arrays(run, base="mean")


def test_interpolation_arrays(run, tmp_path):
    a = _roundtrip(tmp_path, molecule_interpolation_arrays(run, pairs=3, steps=5, seed=1))
    test = run.data.info["smiles"]["test"]
    assert a["index"].shape == (3, 2) and a["t"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert a["start"].tolist() == [test[i] for i in a["index"][:, 0]]
    assert a["end"].tolist() == [test[i] for i in a["index"][:, 1]]
    for key in ("linear", "spherical"):
        assert a[key].shape == a[f"{key}_valid"].shape == (3, 5)
    ends = run.model.encode(run.eval_data("test")[torch.as_tensor(a["index"][:, 0])]).mean.numpy()
    assert a["linear"][:, 0].tolist() == _expected(run, ends)[0]  # t = 0 decodes the start's code
    assert a["spherical"][:, 0].tolist() == a["linear"][:, 0].tolist()


def test_property_histogram_arrays(run, tmp_path):
    a = _roundtrip(tmp_path, property_histogram_arrays(run, n=60, n_train=50, seed=2))
    assert a["names"].tolist() == ["logp", "qed", "sa"]
    assert a["samples"].shape == (60, 3) and a["train"].shape == (50, 3)
    z = run.model.prior.sample(60, generator=torch.Generator().manual_seed(2)).numpy()
    decoded, valid = _expected(run, z)
    assert a["valid"].tolist() == valid.tolist() and 0 < valid.sum() < 60
    assert np.isnan(a["samples"][~valid]).all() and np.isfinite(a["samples"][valid]).all()
    ok = [s for s, v in zip(decoded, valid) if v]
    np.testing.assert_allclose(a["samples"][valid, 0], properties(ok, ["logp"])["logp"], rtol=1e-5)
    assert np.isfinite(a["train"]).all() and int(a["n_train"]) == 120 and str(a["sampler"]) == "prior"


def test_non_token_runs_get_the_reason_and_the_figures_skip(tmp_path):
    run = stub_run(tmp_path / "run", kind="binary")
    for name, build in MOLECULE_BUILDERS.items():
        arrays = build(run)
        assert set(arrays) == {"kind", "reason"} and str(arrays["kind"]) == "binary"
        kind = name.replace("_", "-")
        with pytest.raises(FigureNotApplicable, match=r"not token data \(binary\)"):
            FIGURES[kind].draw(arrays)


def test_ensure_arrays_writes_every_molecule_file(run):
    assert set(MOLECULE_BUILDERS) <= set(BUILDERS)
    paths = ensure_arrays(run, list(MOLECULE_BUILDERS))
    for name, path in paths.items():
        assert path == run.path / "arrays" / f"{name}.npz"
        with np.load(path, allow_pickle=False) as f:
            assert str(f["kind"]) == "tokens" and "reason" not in f.files


def test_image_builders_write_the_reason_for_a_token_run_and_decode_nothing(run, tmp_path):
    from vaelab.plots import draw
    from vaelab.plots.errors import TOKENS_REASON

    image_names = ["reconstructions", "samples", "traversals", "interpolations", "lattice"]
    run.model = None  # nothing may be decoded: any use of the model fails
    paths = ensure_arrays(run, image_names)
    for name in image_names:
        with np.load(paths[name], allow_pickle=False) as f:
            assert set(f.files) == {"kind", "reason"} and str(f["reason"]) == TOKENS_REASON
    written, skipped = draw(run.path, kinds=image_names, out_dir=tmp_path)
    assert written == [] and dict(skipped) == {name: TOKENS_REASON for name in image_names}


def test_selfies_ids_read_back_as_canonical_smiles():
    pytest.importorskip("selfies")
    tok = get_tokenizer("selfies")
    smiles = ["OCC1=CC=CC=C1", "C[N+](=O)[O-]", "CCO"]
    tokens = [tok.tokenize(s) for s in smiles]
    vocab = Vocabulary.build(tokens, "selfies")
    ids = vocab.encode(tokens, max(len(t) for t in tokens))
    info = {"vocabulary": vocab.to_dict(), "tokenizer": "selfies"}
    texts, decoded = ids_to_texts(ids, info)
    out, valid = canonical_or_decoded(decoded, texts)
    assert valid.all() and out == [canonicalize_one(s) for s in smiles]
    texts, decoded = ids_to_texts(torch.zeros(1, 4, dtype=torch.long), info)
    out, valid = canonical_or_decoded(decoded, texts)
    assert out == [""] and not valid.any()  # all padding: an empty string, not a molecule


def test_a_real_token_run_plots_its_molecule_figures(tmp_path):
    """End to end on a tiny SMILES VAE trained for one epoch on the 200-molecule fixture (about 10 s)."""
    import vaelab
    from vaelab.models import model_table

    if "vae-smiles" not in {row["name"] for row in model_table()}:
        pytest.skip("no sequence models in this build")
    fixture = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
    cfg = {"data": {"name": "smiles", "options": {"path": str(fixture), "score": "gap"}},
           "model": {"name": "vae-smiles", "latent_dim": 4},
           "train": {"epochs": 1, "batch_size": 50, "progress": False}}
    run = vaelab.train(cfg, out=tmp_path / "run")
    kinds = ["molecule-map", "molecule-traversals", "molecule-interpolations", "property-histograms"]
    result = vaelab.plot(run.path, kinds, view_options={"property_histograms": {"n": 100, "n_train": 50}})
    assert result.skipped == [] and [p.stem for p in result.written] == kinds
    with np.load(run.path / "arrays" / "molecule_map.npz", allow_pickle=False) as f:
        assert f["mu"].shape == (len(run.data.info["smiles"]["test"]), 4) and str(f["colour_by"]) == "gap"
    with np.load(run.path / "arrays" / "property_histograms.npz", allow_pickle=False) as f:
        assert f["samples"].shape == (100, 3) and f["valid"].dtype == bool
