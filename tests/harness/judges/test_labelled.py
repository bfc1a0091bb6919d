"""Labelled judge data: read and written the same way, bad rows are one line with the line."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import DataError
from harness.judges.labelled import ALL_KIND, LabelledRow, read_labelled, write_labelled


def test_rows_round_trip(tmp_path):
    rows = [
        LabelledRow("p", "r", "t\n|x", 1, "soup"),
        LabelledRow("p", "r", "", 0, "good"),
    ]
    path = tmp_path / "l.jsonl"
    assert write_labelled(rows, path) == 2
    assert read_labelled(path) == rows


def test_kind_may_be_absent(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"prompt": "p", "reference": "r", "text": "t", "label": 0}) + "\n")
    assert read_labelled(path) == [LabelledRow("p", "r", "t", 0, ALL_KIND)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"prompt": "p", "reference": "r", "text": "t"}, "missing field 'label'"),
        ({"prompt": "p", "reference": "r", "text": "t", "label": 2}, "label must be 0"),
        ({"prompt": "p", "reference": "r", "text": "t", "label": True}, "label must be 0"),
        ({"prompt": "p", "reference": "r", "label": 1}, "missing field 'text'"),
        ({"prompt": "p", "text": "t", "label": 1}, "missing field 'reference'"),
        ({"prompt": "p", "reference": "r", "text": 3, "label": 1}, "'text' must be a string"),
        ({"prompt": "p", "reference": "r", "text": "t", "label": 1, "kind": ""}, "'kind' is"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path, row, message):
    good = {"prompt": "p", "reference": "r", "text": "t", "label": 0, "kind": "good"}
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=message) as caught:
        read_labelled(path)
    assert ":2:" in str(caught.value) and "\n" not in str(caught.value)


def test_a_row_refuses_a_label_that_is_not_0_or_1():
    with pytest.raises(ValueError, match="label must be 0"):
        LabelledRow("p", "r", "t", 2)
