"""The experiment folder appears whole (data and a log with ``init`` and ``split``), and
a start that was killed before it did is explained by ``--resume``."""

from __future__ import annotations

import dataclasses

from harness.core.data import PreferencePair, read_pairs
from harness.core.staging import staging_path
from harness.experiments.rounds.experiment_folder import check_resumable, data_file, place_start
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    InitEntry,
    SplitEntry,
)
from harness.runlog import read_log
from harness.runlog.entries import SuiteRecord

PAIRS = [PreferencePair("Tell me a joke.", "A joke!", "No.", line=1)]
INIT = InitEntry(
    experiment_id="exp-1",
    seed=0,
    arms=("findings", "clean"),
    rounds=1,
    trained_families=("repetition",),
    heldout_families=("null-answer",),
    suite=SuiteRecord(name="s", origin="s.toml", text='name = "s"'),
    checkpoint="/ckpt",
    fingerprint="f",
    trainer="builtin",
    train={},
    config={},
    data={},
)
SPLIT = SplitEntry(seed=0, attack=("a",), evaluation=("e",), attack_pairs=1, evaluation_pairs=1)


def test_a_new_experiment_folder_is_placed_whole(tmp_path):
    out = tmp_path / "exp" / "rc1"
    state = place_start(out, {"train": PAIRS, "attack": PAIRS}, INIT, SPLIT)
    assert state.init == INIT and state.split == SPLIT
    assert read_pairs(out / data_file("train"))[0].chosen == "A joke!"
    entries = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    assert entries == [INIT, SPLIT]
    assert not staging_path(out).exists()


def test_a_data_folder_left_by_a_killed_start_is_joined_with_the_log_last(tmp_path):
    out = tmp_path / "rc1"
    (out / "data").mkdir(parents=True)
    (out / "data" / "train.jsonl").write_text("stale\n")
    (out / "data" / "mine.jsonl").write_text("kept\n")
    place_start(out, {"train": PAIRS}, INIT, SPLIT)
    assert read_pairs(out / data_file("train"))[0].chosen == "A joke!"
    assert (out / "data" / "mine.jsonl").read_text() == "kept\n"
    assert read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries == [INIT, SPLIT]


def test_resume_explains_a_start_that_was_killed(rmh, one_line_error, tmp_path):
    out = tmp_path / "rc1"
    staging_path(out).mkdir()  # a kill before the folder was placed left only this
    (staging_path(out) / "data").mkdir()
    code, _, err = rmh("rounds", "--resume", "--out", str(out), "--quiet")
    one_line_error(code, err, "was killed while it started")
    assert "without --resume" in err
    staging_path(out).rename(tmp_path / "elsewhere")
    code, _, err = rmh("rounds", "--resume", "--out", str(out), "--quiet")
    one_line_error(code, err, "is not an experiment folder")
    place_start(out, {"train": PAIRS}, INIT, SPLIT)
    check_resumable(out)  # a placed folder resumes


def test_resume_refuses_an_experiment_of_an_older_log_version_in_one_line(
    rmh, one_line_error, tmp_path
):
    out = tmp_path / "rc1"
    old = dataclasses.replace(INIT, log_version="1.0", config={"soups_per_prompt": 5})
    place_start(out, {"train": PAIRS}, old, SPLIT)
    code, _, err = rmh("rounds", "--resume", "--out", str(out), "--quiet")
    one_line_error(code, err, "was started by an older rm-harness (experiment log 1.0")
