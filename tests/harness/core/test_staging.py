"""Staged folders: built aside, placed in one rename, merged with their marker file last,
and what a killed start left is cleared by the next start."""

from __future__ import annotations

import pytest

from harness.core import durable
from harness.core.durable import CRASH_AT, CRASH_LOG
from harness.core.errors import HarnessError
from harness.core.staging import (
    StagedFolder,
    discard,
    replaced_path,
    staging_path,
    was_killed_starting,
)


@pytest.fixture()
def steps(monkeypatch, tmp_path):
    """The durable steps taken, in order (read with ``steps()``)."""
    path = tmp_path / "steps.txt"
    monkeypatch.delenv(CRASH_AT, raising=False)
    monkeypatch.setenv(CRASH_LOG, str(path))
    monkeypatch.setattr(durable, "_plan", None)

    def taken() -> list[str]:
        return [line.split("\t", 1)[1] for line in path.read_text().splitlines()]

    return taken


def test_a_folder_appears_only_when_placed(tmp_path, steps):
    target = tmp_path / "runs" / "r"
    staged = StagedFolder.begin(target)
    (staged.path / "log.jsonl").write_text("{}\n")
    assert not target.exists() and was_killed_starting(target)
    assert staged.place() == target
    assert (target / "log.jsonl").read_text() == "{}\n"
    assert not staging_path(target).exists() and not was_killed_starting(target)
    assert steps() == ["staged r", "placed r"]


def test_an_empty_folder_is_taken_and_a_full_one_refused(tmp_path, steps):
    target = tmp_path / "r"
    target.mkdir()
    StagedFolder.begin(target).place()
    (target / "mine.txt").write_text("precious")
    with pytest.raises(HarnessError, match="in the way"):
        StagedFolder.begin(target).place()
    assert (target / "mine.txt").read_text() == "precious"


def test_what_a_killed_start_left_is_cleared_by_the_next(tmp_path, steps):
    target = tmp_path / "r"
    for leftover in (staging_path(target), replaced_path(target)):
        leftover.mkdir()
        (leftover / "log.jsonl").write_text("")
    staged = StagedFolder.begin(target)
    assert list(staged.path.iterdir()) == [] and not replaced_path(target).exists()


def test_merging_moves_the_marker_last_and_keeps_the_folders_own_files(tmp_path, steps):
    target = tmp_path / "sweep"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "sweep.json").write_text("old")
    staged = StagedFolder.begin(target)
    for name in ("sweep.json", "a.png", "z.png"):
        (staged.path / name).write_text("new")
    staged.place(merge_last="sweep.json")
    assert (target / "notes.txt").read_text() == "mine"
    assert all((target / n).read_text() == "new" for n in ("sweep.json", "a.png", "z.png"))
    assert not staged.path.exists()
    assert steps()[-3:] == [
        "moved a.png into sweep",
        "moved z.png into sweep",
        "moved sweep.json into sweep",
    ]


def test_discard_moves_aside_then_deletes(tmp_path, steps):
    target = tmp_path / "r"
    target.mkdir()
    (target / "log.jsonl").write_text("{}\n")
    discard(target)
    assert not target.exists() and not replaced_path(target).exists()
    assert steps() == ["moved r aside", "deleted the old r"]


def test_abandon_leaves_nothing(tmp_path, steps):
    target = tmp_path / "r"
    staged = StagedFolder.begin(target)
    (staged.path / "suite.toml").write_text("")
    staged.abandon()
    assert not target.exists() and not staged.path.exists()
