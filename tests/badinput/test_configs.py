"""Bad configs: files that are not YAML mappings, unsafe YAML, and values out of range or of the wrong shape."""

import pytest

from tests.helpers.badinput import Case, assert_one_clean_line, cli

BASE = ["--data", "synthetic", "--set", "data.options.n=200", "--no-progress"]


def _file(content: bytes | str):
    """A case builder: ``train CONFIG`` with ``content`` as the config file."""
    def build(tmp, run):
        path = tmp / "config.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["train", path, "--no-progress", "--out", tmp / "out"]
    return build


def _sets(*pairs: str):
    """A case builder: ``train --set PAIR ...`` on tiny synthetic data."""
    def build(tmp, run):
        return ["train", *BASE, *(a for p in pairs for a in ("--set", p)), "--out", tmp / "out"]
    return build


def _bomb(levels: int = 9) -> str:
    """A YAML alias bomb (9 ** 9 leaves from a few hundred bytes), under the real key model.hidden."""
    nodes = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    nodes += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return f"model: {{hidden: [{', '.join(nodes)}]}}\n"


CASES = [
    Case("binary-file", _file(bytes(range(256)) * 4), "config.yaml"),
    Case("latin-1-text", _file("model:\n  name: vae  # caf\xe9\n".encode("latin-1")), "UTF-8"),
    Case("list-root", _file("- a\n- b\n"), "mapping"),
    Case("scalar-root", _file("42\n"), "mapping"),
    Case("duplicate-key", _file("train:\n  epochs: 1\ntrain:\n  epochs: 2\n"), "twice"),
    Case("malformed-yaml", _file("model: {latent_dim: [1, 2\n"), "config.yaml"),
    Case("python-tag", _file("model: !!python/object/apply:os.system ['echo hi']\n"), "config.yaml"),
    Case("alias-bomb", _file(_bomb()), "model.hidden"),
    Case("over-1-mb", _file("# " + "x" * (1 << 20) + "\n"), "1,000,000"),
    Case("missing-file", lambda tmp, run: ["train", tmp / "nope.yaml", "--out", tmp / "o"], "nope.yaml"),
    Case("folder-as-file", lambda tmp, run: ["train", tmp, "--out", tmp / "o"], str("folder")),
    Case("unknown-section", _file("modle: {latent_dim: 2}\n"), "modle"),
    Case("unknown-key-suggests", _sets("model.latnt_dim=2"), "latent_dim"),
    Case("wrong-type", _sets("model.latent_dim=abc"), "model.latent_dim"),
    Case("betas-not-a-pair", _sets("optim.betas=[0.9]"), "optim.betas"),
    Case("betas-a-number", _sets("optim.betas=5"), "optim.betas"),
    Case("betas-out-of-range", _sets("optim.betas=[0.9,1.5]"), "optim.betas"),
    Case("latent-dim-huge", _sets("model.latent_dim=1000000000"), "model.latent_dim"),
    Case("latent-dim-zero", _sets("model.latent_dim=0"), "model.latent_dim"),
    Case("latent-dim-negative", _sets("model.latent_dim=-3"), "model.latent_dim"),
    Case("hidden-negative", _sets("model.hidden=[-3]"), "model.hidden"),
    Case("hidden-huge", _sets("model.hidden=[100000000000]"), "model.hidden"),
    Case("epochs-zero", _sets("train.epochs=0"), "train.epochs"),
    Case("epochs-negative", _sets("train.epochs=-1"), "train.epochs"),
    Case("batch-size-zero", _sets("train.batch_size=0"), "train.batch_size"),
    Case("batch-norm-batches-of-one", _sets("model.batch_norm=true", "train.batch_size=1"), "batch norm"),
    Case("mmd-batches-of-one", lambda tmp, run: ["train", *BASE, "--model", "wae-mmd", "--batch-size", "1",
                                                 "--out", tmp / "out"], "the MMD"),
    Case("lr-negative", _sets("optim.lr=-0.1"), "optim.lr"),
    Case("lr-nan", _sets("optim.lr=.nan"), "optim.lr"),
    Case("valid-fraction-zero", _sets("data.valid_fraction=0"), "valid_fraction"),
    Case("valid-fraction-above-one", _sets("data.valid_fraction=1.5"), "valid_fraction"),
    Case("unknown-model", lambda tmp, run: ["train", *BASE, "--model", "vea", "--out", tmp / "o"], "vae"),
    Case("unknown-dataset", lambda tmp, run: ["train", "--data", "mnits", "--out", tmp / "o"], "mnist"),
    Case("override-without-equals", _sets("model.latent_dim"), "key=value"),
    Case("unknown-model-option", _sets("model.options.nope=1"), "nope"),
    Case("bad-kl-schedule", _sets("train.kl_schedule=sideways"), "kl"),
    Case("unknown-flag", lambda tmp, run: ["train", "--epochz", "3"], "--epochz"),
    Case("bad-choice", lambda tmp, run: ["evaluate", run, "--split", "tset"], "tset"),
    Case("unknown-command", lambda tmp, run: ["trian"], "trian"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_config_is_one_clean_line(case, tmp_path, protected_run, capsys):
    code, err = cli(capsys, case.build(tmp_path, protected_run))
    assert_one_clean_line(code, err, case.code, case.needle)
    assert not (tmp_path / "out").exists(), "a refused config must not leave a run directory behind"
