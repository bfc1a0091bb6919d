"""Atomic JSONL writes: a complete file or the previous one, never half of one."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.core.jsonl import write_jsonl_atomic


def test_rows_are_written_whole_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "deep" / "samples.jsonl"
    rows = [{"prompt": "p", "response": "é\n", "policy_logprob": -1.5}, {"prompt": "q"}]
    assert write_jsonl_atomic(path, rows) == 2
    assert [json.loads(line) for line in path.read_text("utf-8").splitlines()] == rows
    assert [p.name for p in path.parent.iterdir()] == ["samples.jsonl"]


def test_a_failure_while_writing_keeps_the_previous_file(tmp_path):
    path = tmp_path / "samples.jsonl"
    write_jsonl_atomic(path, [{"old": 1}])

    def rows():
        yield {"new": 1}
        raise KeyboardInterrupt  # a kill in the middle of the rows

    with pytest.raises(KeyboardInterrupt):
        write_jsonl_atomic(path, rows())
    assert path.read_text() == '{"old": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["samples.jsonl"]


def test_non_finite_numbers_and_directories_are_refused(tmp_path):
    with pytest.raises(ValueError):
        write_jsonl_atomic(tmp_path / "nan.jsonl", [{"policy_logprob": float("nan")}])
    assert not (tmp_path / "nan.jsonl").exists()
    with pytest.raises(HarnessError, match="is a directory"):
        write_jsonl_atomic(tmp_path, [{"a": 1}])
