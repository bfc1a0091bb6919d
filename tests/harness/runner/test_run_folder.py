"""The run folder appears whole: a killed start leaves nothing in the way (and ``--resume``
says what happened), a failed start leaves nothing at all, and the skipped attacks are
in the log before the folder is placed."""

from __future__ import annotations

from pathlib import Path

from attacks.templates import NullAnswer
from harness.core import durable
from harness.core.durable import CRASH_AT, CRASH_LOG
from harness.core.staging import staging_path
from harness.runlog import ErrorEntry, read_log


def _args(checkpoint: Path, suite: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(checkpoint), "--suite", str(suite), "--out", str(out), "--quiet", *extra]


def test_a_start_killed_before_its_folder_was_placed(
    rmh, one_line_error, checkpoints, suite_file, tmp_path
):
    out = tmp_path / "runs" / "r"
    killed = staging_path(out)  # what a kill while the checkpoints load leaves
    killed.mkdir(parents=True)
    (killed / "suite.toml").write_text(suite_file.read_text())
    (killed / "log.jsonl").write_text("")
    code, _, err = rmh("run", "--resume", str(out))
    one_line_error(code, err, "was killed while it started")
    code, stdout, err = rmh(*_args(checkpoints["bert"], suite_file, out))  # no --overwrite
    assert code == 0 and "findings:" in stdout, err
    assert read_log(out / "log.jsonl").complete and not killed.exists()


def test_a_suite_copy_alone_is_a_killed_start_that_overwrite_replaces(
    rmh, one_line_error, checkpoints, suite_file, tmp_path
):
    out = tmp_path / "r"  # what a start killed before run folders were staged left
    out.mkdir()
    (out / "suite.toml").write_text(suite_file.read_text())
    code, _, err = rmh("run", "--resume", str(out))
    one_line_error(code, err, "start it again with --overwrite")
    code, _, err = rmh(*_args(checkpoints["bert"], suite_file, out))
    one_line_error(code, err, "exists; pass --resume")
    code, _, err = rmh(*_args(checkpoints["bert"], suite_file, out, "--overwrite"))
    assert code == 0, err
    assert read_log(out / "log.jsonl").complete


def test_a_failed_start_leaves_nothing(rmh, one_line_error, checkpoints, suite_file, tmp_path):
    out = tmp_path / "r"
    code, _, err = rmh(*_args(checkpoints["bert_pickle"], suite_file, out))
    one_line_error(code, err, "pickle")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "findings.db",
        "pairs.jsonl",
        "suite.toml",
    ]


def test_skipped_attacks_are_logged_before_the_folder_is_placed(
    rmh, checkpoints, suite_file, tmp_path, monkeypatch
):
    suite_file.write_text(
        suite_file.read_text().replace(
            'name = "null-answer"', 'name = "null-answer"\noptional = true'
        )
    )
    monkeypatch.setattr(NullAnswer, "requires", ("a_module_that_is_not_installed",))
    monkeypatch.delenv(CRASH_AT, raising=False)
    monkeypatch.setenv(CRASH_LOG, str(tmp_path / "steps.txt"))
    monkeypatch.setattr(durable, "_plan", None)
    out = tmp_path / "r"
    code, _, err = rmh(*_args(checkpoints["bert"], suite_file, out))
    assert code == 0, err
    steps = [line.split("\t")[1] for line in (tmp_path / "steps.txt").read_text().splitlines()]
    placed = steps.index("placed r")  # after the new store's own commits
    assert steps[placed - 3 : placed + 1] == [
        "staged r",
        "log append: init",
        "log append: error",
        "placed r",
    ]
    skipped = read_log(out / "log.jsonl").of_type(ErrorEntry)
    assert [(e.stage, e.attack) for e in skipped] == [("skip", "null-answer")]
