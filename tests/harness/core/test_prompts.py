"""Reading prompts files: JSONL with a prompt field, or plain lines; one-line errors."""

from __future__ import annotations

import codecs
import json

import pytest

from harness.core.errors import DataError
from harness.core.prompts import read_prompts


def test_jsonl_rows_give_their_prompts_once_each_in_order(tmp_path):
    path = tmp_path / "prefs.jsonl"
    rows = [
        {"prompt": "b?", "chosen": "x", "rejected": "y"},
        {"prompt": "a?", "chosen": "x", "rejected": "z"},
        {"prompt": "b?", "chosen": "w", "rejected": "y"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert read_prompts(path) == ["b?", "a?"]


def test_plain_lines_are_prompts(tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"Tell me a joke.\r\n\n  Why? \r\nTell me a joke.\n")
    assert read_prompts(path) == ["Tell me a joke.", "Why?"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "has no prompts"),
        (b"\n  \n", "has no prompts"),
        (b'{"prompt": "a"}\n{"prompt": 3}\n', ":2: field 'prompt' must be a string"),
        (b'{"prompt": "a"}\n{"text": "b"}\n', ":2: missing field 'prompt'"),
        (b'{"prompt": "a"}\n{"prompt": \n', ":2: malformed JSON"),
        (b'{"prompt": "a"}\n["a"]\n', ":2: expected a JSON object"),
        (b'{"prompt": "  "}\n', ":1: the prompt is empty"),
        (b"caf\xe9\n", "not valid UTF-8"),
        (codecs.BOM_UTF16_LE + "hi".encode("utf-16-le"), "UTF-16"),
    ],
)
def test_bad_prompts_files_are_one_line_errors(tmp_path, content, fragment):
    path = tmp_path / "prompts.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_prompts(path)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_prompts(tmp_path / "none.txt")
    with pytest.raises(DataError, match="is a directory"):
        read_prompts(tmp_path)
