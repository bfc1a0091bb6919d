"""The run log: whole lines, typed entries, and a tail cut by a kill handled on both sides."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.runlog import ENTRY_TYPES, RunLog, read_log


def test_entries_round_trip_with_type_and_time(tmp_path):
    path = tmp_path / "log.jsonl"
    with RunLog.create(path) as log:
        log.write("init", run_id="r", suite={"name": "quick"})
        log.write("finding", text="\u200b=cmd|' /C calc'!A0", score=1.5)
    contents = read_log(path)
    assert [e["type"] for e in contents.entries] == ["init", "finding"]
    assert contents.entries[1]["text"] == "\u200b=cmd|' /C calc'!A0"
    assert all("time" in e for e in contents.entries)
    assert not contents.truncated and not contents.complete


def test_unknown_entry_type_and_nan_are_refused(tmp_path):
    with RunLog.create(tmp_path / "log.jsonl") as log:
        with pytest.raises(ValueError, match="unknown run-log entry type"):
            log.write("progress")
        with pytest.raises(ValueError):
            log.write("attempt", best_score=float("nan"))


def test_a_cut_last_line_is_reported_then_trimmed_on_resume(tmp_path):
    path = tmp_path / "log.jsonl"
    with RunLog.create(path) as log:
        log.write("init", run_id="r")
        log.write("attempt", unit="0/a/0/0")
    with open(path, "ab") as handle:
        handle.write(b'{"type": "attempt", "unit": "0/a/0/1", "que')
    contents = read_log(path)
    assert contents.truncated and len(contents.entries) == 2
    with RunLog.append_to(path) as log:
        log.write("attempt", unit="0/a/0/1")
    lines = path.read_text().splitlines()
    assert [json.loads(line)["unit"] for line in lines[1:]] == ["0/a/0/0", "0/a/0/1"]


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(HarnessError, match="no run log"):
        read_log(tmp_path / "log.jsonl")


def test_every_entry_type_is_documented():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "run-log.md").read_text()
    for kind in ENTRY_TYPES:
        assert f"`{kind}`" in doc
