"""The typed options models: names, defaults, types and help read from one declaration."""

from vaelab.models.options import option_rows, type_text
from vaelab.models.registry import describe_options, get_entry, options_text


def test_describe_options_reads_names_defaults_types_and_help_from_the_options_model():
    rows = {r["name"]: r for r in describe_options("rae")}
    assert list(rows) == ["rec", "code_weight", "reg", "lam", "gp_form", "scaling"]
    assert rows["code_weight"]["default"] is None and rows["code_weight"]["type"] == "a number >= 0, or null"
    assert rows["reg"]["type"] == "one of none, l2, gp, sn"
    assert rows["lam"]["type"] == "a number >= 0, or null" and "l2 1e-07" in rows["lam"]["help"]
    assert "½‖z‖²" in rows["code_weight"]["help"] and "sn 0.009" in rows["code_weight"]["help"]
    assert rows["scaling"]["default"] == "authors" and rows["scaling"]["type"] == "one of authors, vaelab"
    assert {r["name"]: r["default"] for r in describe_options("ae")}["code_weight"] == 0.0  # the preset's
    assert options_text("iwae") == "k=5" and options_text("vae") == "k=1"
    assert option_rows(get_entry("wae-mmd").options)[3]["type"] == "a list of numbers > 0 (at least 1)"


def test_type_text_reads_common_annotations():
    from typing import Literal, Optional

    assert type_text(bool) == "true or false" and type_text(int) == "an integer"
    assert type_text(Optional[Literal["a", "b"]]) == "one of a, b, or null"
    assert type_text(list[int]) == "a list of integers"


def test_parse_options_takes_a_mapping_or_an_options_instance():
    from vaelab.models.options import parse_options
    from vaelab.models.rae import RAEOptions

    typed = parse_options(RAEOptions, {"reg": "l2", "lam": "1e-3"}, "rae")
    assert typed.reg == "l2" and typed.lam == 1e-3 and typed.code_weight is None and typed.scaling == "authors"
    assert parse_options(RAEOptions, typed, "rae") == typed and parse_options(RAEOptions, None, "rae") == RAEOptions()
