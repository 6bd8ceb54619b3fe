"""Config files a user can get wrong: each is one ConfigError naming the file and the fix."""

import pytest

from vaelab.config import load_config
from vaelab.errors import ConfigError

CASES = {
    "duplicate key": (b"model:\n  latent_dim: 2\n  latent_dim: 3\n", "key 'latent_dim' appears twice"),
    "duplicate section": (b"train: {epochs: 2}\ntrain: {epochs: 3}\n", "key 'train' appears twice"),
    "a list, not a mapping": (b"- model\n- data\n", "holds a list, not a mapping"),
    "a number": (b"42\n", "holds a int, not a mapping"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "is not UTF-8 text"),
    "latin-1": ("model: {name: vä}".encode("latin-1"), "is not UTF-8 text"),
    "broken YAML": (b"model: {name: vae\n", "is not valid YAML"),
    "a python tag": (b"model: !!python/object/apply:os.system ['true']\n", "is not valid YAML"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_config_files_are_one_line(tmp_path, name):
    data, needle = CASES[name]
    path = tmp_path / "c.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=needle) as info:
        load_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value) and len(str(info.value)) < 400


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"# " + b"x" * 2_000_000 + b"\n")
    with pytest.raises(ConfigError, match="more than a config holds"):
        load_config(path)


def test_an_empty_file_is_the_defaults(tmp_path):
    (tmp_path / "c.yaml").write_text("")
    assert load_config(tmp_path / "c.yaml").model.name == "vae"
