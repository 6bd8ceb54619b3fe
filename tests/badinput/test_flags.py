"""Bad flags and bad run paths: counts out of range, unknown names, a run directory that is not one."""

import pytest

from tests.helpers.badinput import Case, assert_one_clean_line, cli


def _on_run(*args):
    """A case builder: ``COMMAND RUN ARGS`` on the protected run."""
    def build(tmp, run):
        return [args[0], run, *args[1:], "--no-progress"]
    return build


def _on_path(command: str, make):
    """A case builder: ``COMMAND PATH`` where ``make(tmp)`` returns PATH."""
    return lambda tmp, run: [command, make(tmp)]


def _empty_dir(tmp):
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _only_config(tmp):
    (tmp / "half").mkdir()
    (tmp / "half" / "config.yaml").write_text("model: {latent_dim: 2}\n")
    return tmp / "half"


def _a_file(tmp):
    (tmp / "file.txt").write_text("not a run\n")
    return tmp / "file.txt"


CASES = [
    Case("evaluate-batch-size-0", _on_run("evaluate", "--batch-size", "0"), "--batch-size"),
    Case("evaluate-batch-size-negative", _on_run("evaluate", "--batch-size", "-4"), "--batch-size"),
    Case("evaluate-limit-0", _on_run("evaluate", "--limit", "0"), "--limit"),
    Case("evaluate-limit-negative", _on_run("evaluate", "--limit", "-5"), "--limit"),
    Case("evaluate-iw-samples-negative", _on_run("evaluate", "--iw-samples", "-5"), "--iw-samples"),
    Case("evaluate-iw-samples-text", _on_run("evaluate", "--iw-samples", "many"), "--iw-samples"),
    Case("evaluate-unknown-device", _on_run("evaluate", "--device", "tpu9"), "tpu9"),
    Case("evaluate-unknown-fd-sampler", _on_run("evaluate", "--fd-sampler", "gmn"), "gmm"),
    Case("evaluate-bad-checkpoint-choice", _on_run("evaluate", "--checkpoint", "first"), "first"),
    Case("sample-n-0", _on_run("sample", "--n", "0"), "--n"),
    Case("sample-n-negative", _on_run("sample", "--n", "-3"), "--n"),
    Case("sample-unknown-sampler", _on_run("sample", "--sampler", "gausian"), "gaussian"),
    Case("sample-option-without-equals", _on_run("sample", "--sampler", "gmm", "--option", "components"), "key=value"),
    Case("sample-option-unknown", _on_run("sample", "--sampler", "gmm", "--option", "nope=1"), "nope"),
    Case("sample-option-wrong-type", _on_run("sample", "--sampler", "gmm", "--option", "components=abc"),
         "components"),
    Case("plot-unknown-kind", _on_run("plot", "--kind", "bubles"), "bubbles"),
    Case("plot-dims-out-of-range", _on_run("plot", "--kind", "bubbles", "--dims", "0,99"), "99"),
    Case("plot-dims-not-numbers", _on_run("plot", "--kind", "bubbles", "--dims", "a,b"), "--dims"),
    Case("lso-steps-0", _on_run("lso", "--property", "label:0", "--steps", "0"), "--steps"),
    Case("lso-starts-0", _on_run("lso", "--property", "label:0", "--starts", "0"), "--starts"),
    Case("lso-lr-negative", _on_run("lso", "--property", "label:0", "--lr", "-1"), "--lr"),
    Case("lso-unknown-property", _on_run("lso", "--property", "colour"), "colour"),
    Case("lso-targets-0", _on_run("lso", "--task", "match", "--targets", "0"), "--targets"),
    Case("lso-tol-negative", _on_run("lso", "--task", "match", "--tol", "-1"), "--tol"),
    Case("lso-max-norm-negative", _on_run("lso", "--property", "label:0", "--max-norm", "-1"), "--max-norm"),
    Case("evaluate-missing-run", _on_path("evaluate", lambda tmp: tmp / "nope"), "not a run directory"),
    Case("evaluate-a-file", _on_path("evaluate", _a_file), "file.txt"),
    Case("evaluate-empty-folder", _on_path("evaluate", _empty_dir), "empty"),
    Case("evaluate-config-but-no-checkpoint", _on_path("evaluate", _only_config), "checkpoint"),
    Case("plot-empty-folder", _on_path("plot", _empty_dir), "empty"),
    Case("sample-a-file", _on_path("sample", _a_file), "file.txt"),
    Case("resume-a-file", lambda tmp, run: ["train", "--resume", _a_file(tmp)], "file.txt"),
    Case("resume-empty-folder", lambda tmp, run: ["train", "--resume", _empty_dir(tmp)], "empty"),
    Case("train-epochs-flag-0", lambda tmp, run: ["train", "--data", "synthetic", "--epochs", "0", "--out", tmp / "o"],
         "epochs"),
    Case("train-latent-dim-flag-negative", lambda tmp, run: ["train", "--data", "synthetic", "--latent-dim", "-1",
                                                             "--out", tmp / "o"], "latent"),
    Case("train-into-an-existing-run", lambda tmp, run: ["train", "--data", "synthetic", "--out", run], "--resume"),
    Case("reproduce-unknown-study", lambda tmp, run: ["reproduce", "rea", "--out", tmp / "o"], "rae"),
    Case("reproduce-no-study", lambda tmp, run: ["reproduce"], "--list"),
    Case("reproduce-unknown-budget", lambda tmp, run: ["reproduce", "rae", "--budget", "long"], "smoke"),
    Case("reproduce-record-only-before-a-run", lambda tmp, run: ["reproduce", "rae", "--record-only",
                                                                 "--out", tmp / "none"], "first"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_flag_or_path_is_one_clean_line(case, tmp_path, protected_run, capsys):
    code, err = cli(capsys, case.build(tmp_path, protected_run))
    assert_one_clean_line(code, err, case.code, case.needle)
