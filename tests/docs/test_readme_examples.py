"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_block_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ and report.html land in a temporary folder
    code = _python_blocks()[index]
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "readme"})


def test_api_functions_survive_importing_the_subpackages():
    import vaelab
    import vaelab.plots  # noqa: F401  importing a subpackage sets an attribute on the package
    import vaelab.report  # noqa: F401

    assert callable(vaelab.plot) and callable(vaelab.write_report) and callable(vaelab.evaluate)
