"""Read what a report needs from a run directory (see docs/run-arrays.md).

Only ``config.yaml`` is required. ``summary.json``, ``diagnostics.json`` (the test
split's) and ``plots/*.png`` are optional: a run without them still gets a column in
the report, with a note naming the command that produces the missing part. One that
exists but cannot be read is a problem (``RunData.problems``): the page notes it and
:func:`~vaelab.report.build_report` warns, naming the file and what is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vaelab.diagnostics.catalogue import upgrade_diagnostics
from vaelab.errors import CheckpointError, DamagedFile
from vaelab.fileio import read_json
from vaelab.rundir.layout import RunLayout


@dataclass
class RunData:
    """One run directory as the report sees it. ``name`` is unique among the runs of a report."""

    path: Path
    name: str
    config: dict
    config_text: str
    summary: dict | None = None
    diagnostics: dict | None = None
    plots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # optional files that exist but could not be read

    @property
    def model_name(self):
        return (self.config.get("model") or {}).get("name") if isinstance(self.config.get("model"), dict) else None

    @property
    def dataset(self):
        return (self.config.get("data") or {}).get("name") if isinstance(self.config.get("data"), dict) else None


def _child_runs(path: Path) -> list[str]:
    try:
        return sorted(p.name for p in path.iterdir() if RunLayout(p).is_run())
    except OSError:
        return []


def _not_a_run(path: Path, why: str) -> CheckpointError:
    children = _child_runs(path) if path.is_dir() else []
    if children:
        shown = ", ".join(children[:6]) + (", ..." if len(children) > 6 else "")
        fix = f"it holds run directories ({shown}): pass those instead, e.g. {path / children[0]}"
    else:
        fix = "pass a run directory written by `vaelab train` (one that holds config.yaml)"
    return CheckpointError(f"{path} is not a run directory ({why}); {fix}")


#: what the report leaves out of a run when one of its optional files cannot be read
LEFT_OUT = {"summary": "its status, epochs, final valid -ELBO, train time and device are left out",
            "diagnostics": "its diagnostics are left out"}


def _read_json(path: Path, problems: list[str], part: str) -> dict | None:
    """The JSON object in ``path`` (None when absent); a file that cannot be read is a problem naming it."""
    if not path.is_file():
        return None
    try:
        value = read_json(path)
    except (OSError, DamagedFile) as err:
        detail = err.strerror if isinstance(err, OSError) else err.detail
        problems.append(f"{path} could not be read ({detail}); {LEFT_OUT[part]}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{path} does not hold a JSON object; {LEFT_OUT[part]}")
        return None
    return value


def load_run_dir(path, name: str | None = None) -> RunData:
    """Read ``path``'s config (required), summary, diagnostics and the list of its plots.

    Raises :class:`~vaelab.errors.CheckpointError` when ``path`` is missing, is not a
    directory, has no ``config.yaml``, or its config is not a YAML mapping. The config
    is read with ``yaml.safe_load``.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(f"{path} does not exist; pass a run directory written by `vaelab train`")
    if not path.is_dir():
        raise _not_a_run(path, "not a directory")
    layout = RunLayout(path)
    cfg_file = layout.config
    if not cfg_file.is_file():
        raise _not_a_run(path, "no config.yaml")
    try:
        text = cfg_file.read_text(encoding="utf-8")
        config = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        detail = " ".join(str(err).split())
        raise CheckpointError(f"{cfg_file} could not be read as YAML ({detail}); "
                              "restore the run's config.yaml (it is written by `vaelab train`)") from err
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise CheckpointError(f"{cfg_file} does not hold a mapping of settings; "
                              "restore the run's config.yaml (it is written by `vaelab train`)")
    problems: list[str] = []
    summary = _read_json(layout.summary, problems, "summary")
    diagnostics = _read_json(layout.diagnostics_of("test"), problems, "diagnostics")
    if diagnostics is not None:  # keys written under older names (fd_prior) read as the catalogue's (fd_n)
        diagnostics = upgrade_diagnostics(diagnostics)
    plot_dir = layout.plots
    plots = sorted(p for p in plot_dir.glob("*.png") if p.is_file()) if plot_dir.is_dir() else []
    return RunData(path=path, name=name or path.resolve().name or str(path), config=config, config_text=text,
                   summary=summary, diagnostics=diagnostics, plots=plots, problems=problems)


def unique_names(paths: list[Path]) -> list[str]:
    """Short distinct names: the directory name, with parent folders added only where two would clash."""
    resolved = [Path(p).expanduser().resolve() for p in paths]
    names = [p.name or str(p) for p in resolved]
    depth = 1
    while len(set(names)) < len(names) and depth < 8:
        depth += 1
        clashing = {n for n in names if names.count(n) > 1}
        names = ["/".join(p.parts[-depth:]) if n in clashing else n for n, p in zip(names, resolved)]
    seen: dict[str, int] = {}
    out = []
    for n in names:  # the same directory passed twice
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
