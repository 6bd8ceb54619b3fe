"""Output paths that cannot be written: a file where a folder is needed, dangling links, long names, no permission."""

import os

import pytest

from tests.helpers.badinput import Case, assert_one_clean_line, cli

TRAIN = ["train", "--data", "synthetic", "--set", "data.options.n=200", "--epochs", "1", "--no-progress", "--out"]
LONG = "x" * 300  # longer than any file system's name limit (255 bytes)


def _a_file(tmp):
    (tmp / "taken").write_text("mine\n")
    return tmp / "taken"


def _dangling(tmp):
    (tmp / "link").symlink_to(tmp / "nowhere" / "deeper")
    return tmp / "link"


def _unwritable(tmp):
    return "/proc/vaelab-cannot-write-here"


def _train_out(make):
    return lambda tmp, run: [*TRAIN, make(tmp)]


def _report_out(make):
    return lambda tmp, run: ["report", run, "--out", make(tmp)]


def _sample_out(make):
    return lambda tmp, run: ["sample", run, "--n", "4", "--no-progress", "--out", make(tmp)]


CASES = [
    Case("train-out-is-a-file", _train_out(_a_file), "taken"),
    Case("train-out-under-a-file", _train_out(lambda tmp: _a_file(tmp) / "run"), "taken"),
    Case("train-out-name-too-long", _train_out(lambda tmp: tmp / LONG), "too long", code=4),
    Case("train-out-dangling-link", _train_out(_dangling), "link"),
    Case("train-out-unwritable", _train_out(_unwritable), "/proc", code=4),
    Case("report-out-under-a-file", _report_out(lambda tmp: _a_file(tmp) / "r.html"), "taken"),
    Case("report-out-name-too-long", _report_out(lambda tmp: tmp / f"{LONG}.html"), "too long", code=4),
    Case("report-out-unwritable", _report_out(lambda tmp: f"{_unwritable(tmp)}/r.html"), "/proc", code=4),
    Case("report-out-is-a-run-file", lambda tmp, run: ["report", run, "--out", run / "config.yaml"], "config.yaml"),
    Case("sample-out-is-a-file", _sample_out(_a_file), "taken"),
    Case("sample-out-name-too-long", _sample_out(lambda tmp: tmp / LONG), "too long", code=4),
    Case("sample-out-unwritable", _sample_out(_unwritable), "/proc", code=4),
    Case("sample-out-is-the-checkpoints", lambda tmp, run: ["sample", run, "--n", "4", "--no-progress", "--out",
                                                            run / "checkpoints"], "checkpoints"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_an_unwritable_output_is_one_clean_line(case, tmp_path, protected_run, capsys):
    if os.name != "posix":
        pytest.skip("the cases use POSIX paths")
    code, err = cli(capsys, case.build(tmp_path, protected_run))
    assert_one_clean_line(code, err, case.code, case.needle)


def test_rich_markup_in_a_path_is_printed_literally(tmp_path, capsys):
    """A folder named like rich markup is a folder like any other: created, and named as typed."""
    out = tmp_path / "[bold]run[/bold]"
    code, err = cli(capsys, [*TRAIN, out])
    assert code == 0, err
    assert (out / "config.yaml").is_file()
    code, err = cli(capsys, ["evaluate", out / "nope"])
    assert code == 2 and "[bold]run[/bold]" in err, err


def test_a_report_out_that_is_a_folder_gets_report_html_inside(tmp_path, protected_run, capsys):
    code, err = cli(capsys, ["report", protected_run, "--out", tmp_path])
    assert code == 0, err
    assert (tmp_path / "report.html").is_file()
