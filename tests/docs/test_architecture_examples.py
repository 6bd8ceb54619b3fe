"""The four "where new code goes" examples of docs/architecture.md run as written."""

import re
from pathlib import Path

import pytest
import torch

import vaelab
from tests.helpers import tiny_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _blocks() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## Where new code goes"):]
    section = section[: section.index("\n## ", 5)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return vaelab.train(tiny_config(epochs=1), out=tmp_path_factory.mktemp("arch") / "run")


def test_there_are_four_examples_of_at_most_fifteen_lines():
    blocks = _blocks()
    assert len(blocks) == 4
    assert all(len(b.strip().splitlines()) <= 15 for b in blocks)


def test_the_variant_example_registers_a_trainable_model(tmp_path):
    from vaelab.models import registry

    try:
        exec(_blocks()[0], {})
        trained = vaelab.train(tiny_config(epochs=1), model="my-vae", out=tmp_path / "my")
        assert type(trained.model).__name__ == "MyVAE" and trained.summary["status"] == "completed"
    finally:
        registry.MODELS.pop("my-vae", None)
        registry.ENTRIES.pop("my-vae", None)


def test_the_metric_example_computes_and_has_a_catalogue_entry():
    from vaelab.diagnostics.catalogue import Metric

    ns = {"Metric": Metric}
    exec(_blocks()[1], ns)
    mu = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    assert ns["mean_code_norm"](mu) == {"code_norm": 3.0}


def test_the_figure_example_builds_and_draws(run):
    from matplotlib.figure import Figure

    from vaelab.plots.registry import FigureSpec
    from vaelab.plots.style import new_figure
    from vaelab.rundir.layout import arrays_file

    ns = {"Figure": Figure, "new_figure": new_figure, "FigureSpec": FigureSpec, "arrays_file": arrays_file,
          "BUILDERS": {}, "FIGURES": {}}
    code = _blocks()[2].replace("# src/vaelab/plots/norms.py, and FIGURES", "# FIGURES")
    exec(code, ns)
    arrays = ns["norm_arrays"](run)
    assert arrays["norm"].shape == (len(run.eval_data("test")),)
    assert isinstance(ns["draw_norms"](arrays, bins=10), Figure)


def test_the_pipeline_step_example_writes_into_the_run(run):
    from vaelab.rundir import load_run

    ns = {"load_run": load_run}
    exec(_blocks()[3], ns)
    out = ns["norms"](run.path)
    assert (run.path / "norms.json").is_file() and out["mean"] > 0 and out["checkpoint"] == run.checkpoint
