"""What the commands write: per-split diagnostics, damaged run files named, output paths checked, one writer.

Every refusal is one line on stderr with its exit code, no traceback, and the run's
files byte for byte as they were.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import one_error_line, snapshot, vaelab
from vaelab.cli.main import main
from vaelab.rundir.lock import run_lock

FAST_EVALUATE = ["--iw-samples", "0", "--no-fd", "--no-progress"]


def cli(capsys, *args) -> tuple[int, str, str]:
    """``vaelab ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- per-split diagnostics -------------------------------------------------------------------

def test_each_split_keeps_its_own_diagnostics(run_dir, capsys):
    code, out, _ = cli(capsys, "evaluate", run_dir, *FAST_EVALUATE)
    assert code == 0 and f"wrote {run_dir / 'diagnostics.json'}" in out
    test_file = (run_dir / "diagnostics.json").read_bytes()
    code, out, _ = cli(capsys, "evaluate", run_dir, "--split", "valid", *FAST_EVALUATE)
    assert code == 0 and f"wrote {run_dir / 'diagnostics-valid.json'}" in out
    assert (run_dir / "diagnostics.json").read_bytes() == test_file  # the test split's file is intact
    test, valid = (json.loads((run_dir / name).read_text()) for name in ("diagnostics.json", "diagnostics-valid.json"))
    assert (test["split"], valid["split"]) == ("test", "valid") and test["neg_elbo"] != valid["neg_elbo"]


def test_the_activity_figure_and_the_report_read_the_split_they_show(run_dir, capsys, tmp_path):
    import vaelab

    assert cli(capsys, "evaluate", run_dir, "--split", "valid", *FAST_EVALUATE)[0] == 0
    result = vaelab.plot(run_dir, ["activity"], split="valid", progress=False)  # only diagnostics-valid.json exists
    assert [p.name for p in result.written] == ["activity.png"]
    code, out, _ = cli(capsys, "plot", run_dir, "--kind", "activity", "--no-progress")
    assert code == 0 and "skipped activity: missing diagnostics.json" in out  # the test split's is not there
    page = vaelab.write_report([run_dir], tmp_path / "r.html").read_text()
    assert "no diagnostics.json" in page  # the report compares the test split, and valid's is not it


# -- damaged files of a run directory --------------------------------------------------------

@pytest.mark.parametrize("name,left_out", [("diagnostics.json", "its diagnostics are left out"),
                                           ("summary.json", "its status, epochs")])
def test_report_names_a_damaged_file_and_what_it_leaves_out(run_dir, tmp_path, name, left_out):
    (run_dir / name).write_text('{"neg_elbo": 9')
    before = snapshot(run_dir)
    r = vaelab("report", run_dir, "--out", tmp_path / "r.html")
    line = one_error_line(r.stderr)
    assert r.returncode == 0 and line.startswith("warning:") and str(run_dir / name) in line and left_out in line
    assert "could not be read" in (tmp_path / "r.html").read_text() and snapshot(run_dir) == before


def test_plot_of_a_garbage_metrics_file_fails_naming_it(run_dir):
    (run_dir / "metrics.jsonl").write_bytes(b"garbage\n\x00\xff\n")
    before = snapshot(run_dir)
    r = vaelab("plot", run_dir, "--kind", "curves", "--no-progress")
    line = one_error_line(r.stderr)
    assert r.returncode == 2 and str(run_dir / "metrics.jsonl") in line and "not a JSON record" in line
    assert snapshot(run_dir) == before


@pytest.mark.parametrize("args", [["evaluate", "RUN", *FAST_EVALUATE], ["sample", "RUN", "--no-progress"],
                                  ["plot", "RUN", "--kind", "samples", "--no-progress"], ["report", "RUN"],
                                  ["lso", "RUN", "--task", "match", "--no-progress"]])
def test_a_damaged_config_is_one_line_naming_it(run_dir, capsys, tmp_path, args):
    (run_dir / "config.yaml").write_text("model: [unclosed\n")
    before = snapshot(run_dir)
    args = [run_dir if a == "RUN" else a for a in args] + (["--out", tmp_path / "r.html"] if args[0] == "report" else [])
    code, _, err = cli(capsys, *args)
    assert code == 2 and str(run_dir / "config.yaml") in one_error_line(err) and snapshot(run_dir) == before


@pytest.mark.parametrize("content", [b"junk", b"PK\x03\x04junk"])
def test_damaged_figure_data_is_one_line_naming_it(run_dir, capsys, content):
    assert cli(capsys, "plot", run_dir, "--kind", "latent-scatter", "--no-progress")[0] == 0
    (run_dir / "arrays" / "posterior_test.npz").write_bytes(content)
    before = snapshot(run_dir)
    code, _, err = cli(capsys, "plot", run_dir, "--kind", "latent-scatter", "--no-progress")
    line = one_error_line(err)
    assert code == 2 and str(run_dir / "arrays" / "posterior_test.npz") in line and "damaged" in line
    assert snapshot(run_dir) == before


def test_damaged_diagnostics_and_sampler_arrays_are_one_line_naming_them(run_dir, capsys):
    (run_dir / "diagnostics.json").write_text('{"au": ')
    code, _, err = cli(capsys, "plot", run_dir, "--kind", "activity", "--no-progress")
    assert code == 2 and str(run_dir / "diagnostics.json") in one_error_line(err)
    assert cli(capsys, "sample", run_dir, "--sampler", "gaussian", "--n", "4", "--no-progress")[0] == 0
    (run_dir / "samplers" / "gaussian" / "params.safetensors").write_bytes(b"junk")
    before = snapshot(run_dir)
    code, _, err = cli(capsys, "sample", run_dir, "--sampler", "gaussian", "--n", "4", "--no-progress")
    assert code == 2 and "params.safetensors" in one_error_line(err) and snapshot(run_dir) == before


# -- output paths ------------------------------------------------------------------------------

@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A folder nobody may write to; as root (who may), ``os.access`` is made to answer as for a user."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == folder and mode & os.W_OK
                            else real(p, mode, **kw))
    yield folder
    folder.chmod(0o755)


def _bad_out(kind: str, tmp_path: Path, read_only: Path) -> tuple[Path, int, str]:
    """(an --out of this kind, the exit code, a phrase of the message)."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "x")
    (tmp_path / "[bold]f").write_text("x")
    return {"file": (tmp_path / "a-file" / "sub", 2, "a-file' is a file, not a folder"),
            "dangling": (tmp_path / "dangling", 2, "is a symbolic link to"),
            "read-only": (read_only, 4, "permission denied"),
            "too-long": (tmp_path / ("n" * 300), 4, "the path is too long"),
            "markup": (tmp_path / "[bold]f" / "sub", 2, "[bold]f' is a file, not a folder")}[kind]


@pytest.mark.parametrize("command", ["sample", "report"])
@pytest.mark.parametrize("kind", ["file", "dangling", "read-only", "too-long", "markup"])
def test_a_bad_out_is_one_line_before_any_work(run_dir, tmp_path, read_only, capsys, command, kind):
    out, exit_code, phrase = _bad_out(kind, tmp_path, read_only)
    before = snapshot(run_dir)
    code, _, err = cli(capsys, command, run_dir, "--out", out if command == "sample" else out / "r.html",
                       *(["--n", "4", "--no-progress"] if command == "sample" else []))
    assert code == exit_code and phrase in one_error_line(err)
    assert snapshot(run_dir) == before


@pytest.mark.parametrize("kind", ["file", "dangling", "too-long", "markup"])
def test_a_bad_train_out_is_one_line(tmp_path, read_only, capsys, kind):
    out, exit_code, phrase = _bad_out(kind, tmp_path, read_only)
    code, _, err = cli(capsys, "train", "--data", "synthetic", "--set", "data.options.n=200", "--epochs", "1",
                       "--no-progress", "--out", out)
    assert code == exit_code and phrase in one_error_line(err)


def test_paths_with_markup_are_printed_literally(trained_run, tmp_path, capsys):
    run = shutil.copytree(trained_run, tmp_path / "[bold]run")
    code, out, _ = cli(capsys, "sample", run, "--n", "4", "--no-progress", "--out", tmp_path / "[red]s")
    assert code == 0 and f"wrote {tmp_path / '[red]s' / 'prior-4-seed0.npz'}" in out
    assert "[bold]run" in out  # the table's title too
    code, out, _ = cli(capsys, "report", run, "--out", tmp_path / "[i]r.html")
    assert code == 0 and f"wrote {tmp_path / '[i]r.html'}" in out


def test_tables_print_smiles_and_user_text_literally(capsys):
    from vaelab.cli.output import print_listing, print_table

    print_table("of [bold]x[/bold]", [("c1cc[nH]c1", "[red]y[/red]")])
    print_listing("best [i]z[/i]", [{"smiles": "c1cc[nH]c1"}], ["smiles"])
    out = capsys.readouterr().out
    assert "of [bold]x[/bold]" in out and out.count("c1cc[nH]c1") == 2 and "[red]y[/red]" in out
    assert "best [i]z[/i]" in out


# -- files of other runs ------------------------------------------------------------------------

def test_sample_never_writes_into_another_run_or_among_training_files(run_dir, trained_run, tmp_path, capsys):
    other = shutil.copytree(trained_run, tmp_path / "other")
    before, others = snapshot(run_dir), snapshot(other)
    for out in (other / "samples", other, run_dir / "checkpoints"):
        code, _, err = cli(capsys, "sample", run_dir, "--n", "4", "--no-progress", "--out", out)
        assert code == 2 and str(out) in one_error_line(err)
    assert snapshot(run_dir) == before and snapshot(other) == others


@pytest.mark.parametrize("args,folder", [(["evaluate", *FAST_EVALUATE], "arrays"),
                                         (["lso", "--task", "match", "--no-progress"], "lso"),
                                         (["plot", "--kind", "curves", "--no-progress"], "plots")])
def test_a_folder_linked_into_another_run_is_refused(run_dir, trained_run, tmp_path, capsys, args, folder):
    other = shutil.copytree(trained_run, tmp_path / "other")
    (other / folder).mkdir(exist_ok=True)
    shutil.rmtree(run_dir / folder, ignore_errors=True)
    (run_dir / folder).symlink_to(other / folder)
    before, others = snapshot(run_dir), snapshot(other)
    code, _, err = cli(capsys, args[0], run_dir, *args[1:])
    assert code == 2 and "another run's files" in one_error_line(err)
    assert snapshot(run_dir) == before and snapshot(other) == others


# -- one writer at a time ------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["evaluate", *FAST_EVALUATE], ["sample", "--n", "4", "--no-progress"],
                                  ["plot", "--kind", "curves", "--no-progress"],
                                  ["lso", "--task", "match", "--no-progress"]])
def test_a_second_writer_gets_one_line_naming_the_holder(run_dir, capsys, args):
    with run_lock(run_dir):  # training (or another evaluate) is writing this run
        before = snapshot(run_dir)
        code, _, err = cli(capsys, args[0], run_dir, *args[1:])
        assert snapshot(run_dir) == before
    line = one_error_line(err)
    assert code == 2 and f"is in use by process {os.getpid()}" in line
    assert not (run_dir / ".lock").exists()


def test_a_writer_releases_the_lock_when_it_is_done(run_dir, capsys):
    assert cli(capsys, "evaluate", run_dir, *FAST_EVALUATE)[0] == 0
    assert not (run_dir / ".lock").exists()
