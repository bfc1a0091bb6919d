"""Pair files: every malformed input is a one-line DataError naming file and line."""

from __future__ import annotations

import pytest

from harness.core.data import read_pairs, read_rows
from harness.core.errors import DataError


def write(tmp_path, content: bytes, name: str = "d.jsonl"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_responses_and_pairs(tmp_path):
    kind, rows = read_rows(
        write(tmp_path, b'{"prompt": "p", "response": ""}\n\n{"prompt": "q", "response": "r"}\n')
    )
    assert kind == "responses" and [r.line for r in rows] == [1, 3] and rows[0].response == ""
    kind, pairs = read_rows(
        write(tmp_path, b'{"prompt": "p", "chosen": "c", "rejected": "r", "kind": "fact"}\n')
    )
    assert kind == "pairs" and pairs[0].meta == {"kind": "fact"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n  \n", "is empty"),
        (b'{"prompt": "p"}\n', "d.jsonl:1: missing field 'response'"),
        (
            b'{"prompt": "p", "response": "r"}\n{"prompt": 1, "response": "r"}\n',
            ":2: field 'prompt' must be a string",
        ),
        (b'{"prompt": "p", "response": "r"}\n{"prompt": "p", "resp\n', "d.jsonl:2: malformed JSON"),
        (b'{"prompt": "p", "response": "caf\xe9"}\n', "d.jsonl:1: not valid UTF-8"),
        (b'["p", "r"]\n', ":1: expected a JSON object"),
    ],
)
def test_bad_files_name_the_line(tmp_path, content, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_rows(write(tmp_path, content))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_rows(tmp_path / "nope.jsonl")
    with pytest.raises(DataError, match="is a directory"):
        read_rows(tmp_path)


def test_pairs_need_all_three_fields(tmp_path):
    with pytest.raises(DataError, match="missing field 'rejected'"):
        read_pairs(write(tmp_path, b'{"prompt": "p", "chosen": "c"}\n'))
