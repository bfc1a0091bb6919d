"""The human review queue: undecided candidates go out as CSV or JSONL, labels come back."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import DataError
from harness.judges import JudgeSpec, ReviewQueue, build_judges

FORMULA = "=cmd|' /C calc'!A0"


def label_rows(path, labels: list[str]) -> None:
    """Fill the exported file's label column, as a reviewer would."""
    if path.suffix == ".csv":
        rows = path.read_text().splitlines()
        for i, label in enumerate(labels, start=1):
            rows[i] = rows[i].rstrip(",") + "," + label
        path.write_text("\n".join(rows) + "\n")
    else:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        for line, label in zip(lines, labels, strict=True):
            line["label"] = label
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_round_trip(tmp_path, suffix):
    candidates = [FORMULA, "fine text", "'tis a pun", "not reviewed yet"]
    queue = ReviewQueue()
    verdicts = queue.judge("p", "ref", candidates)
    assert [(v.judge, v.bad, v.reasons) for v in verdicts] == [
        ("human", None, ("awaiting human review",))
    ] * 4
    path = tmp_path / f"queue{suffix}"
    assert queue.export(path) == 4
    if suffix == ".csv":
        assert "'=cmd" in path.read_text()  # formula neutralized for spreadsheets
    else:
        first = json.loads(path.read_text().splitlines()[0])
        assert first == {"prompt": "p", "reference": "ref", "candidate": FORMULA, "label": ""}
    label_rows(path, ["bad", " OK ", "Bad", ""])
    assert queue.import_labels(path) == 3  # the unlabelled row is not counted
    bad, ok, quoted, later = queue.judge("p", "ref", candidates)
    assert (bad.bad, bad.reasons) == (True, ("labelled bad",))
    assert (ok.bad, ok.reasons) == (False, ("labelled ok",))
    assert quoted.bad is True  # a leading quote of its own survives the round trip
    assert later.bad is None and list(queue.pending) == [("p", "not reviewed yet")]


def test_a_label_is_per_prompt(tmp_path):
    queue = ReviewQueue()
    queue.judge("p", "ref", ["same"])
    path = tmp_path / "q.jsonl"
    queue.export(path)
    label_rows(path, ["bad"])
    queue.import_labels(path)
    (other,) = queue.judge("q", "ref", ["same"])
    assert other.bad is None and ("q", "same") in queue.pending


def test_export_of_an_empty_queue_writes_a_header_only(tmp_path):
    assert ReviewQueue().export(tmp_path / "q.csv") == 0
    assert (tmp_path / "q.csv").read_text().splitlines() == ["prompt,reference,candidate,label"]


def test_rejects_unknown_labels_naming_the_row(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"prompt": "p", "candidate": "c", "label": "bad"}\n'
        '{"prompt": "p", "candidate": "d", "label": "maybe"}\n'
    )
    message = r"q\.jsonl: row 2: label must be 'bad' or 'ok', got 'maybe'"
    with pytest.raises(DataError, match=message):
        ReviewQueue().import_labels(path)


def test_built_from_a_reviewed_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "p", "candidate": "c", "label": "ok"}\n')
    (queue,) = build_judges([JudgeSpec("human", {"labels": str(path)})], lambda spec: None)
    assert isinstance(queue, ReviewQueue) and queue.labels == {("p", "c"): False}
    (empty,) = build_judges([JudgeSpec("human")], lambda spec: None)
    assert empty.labels == {} and empty.pending == {}


def test_jsonl_export_keeps_text_as_written(tmp_path):
    queue = ReviewQueue()
    queue.judge("Une blague ?", "ref", ["café 😂"])
    path = tmp_path / "q.jsonl"
    queue.export(path)
    assert "café 😂" in path.read_text(encoding="utf-8")  # readable, not \\u escapes


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"prompt": "p", "candidate": "c", "label": "bad"}\nnot json\n', ":2: malformed JSON"),
        ('["a list"]\n', ":1: expected a JSON object, got list"),
        ('{"prompt": "p", "label": "bad"}\n', "row 1: a labelled row needs text"),
    ],
)
def test_a_damaged_reviewed_file_is_one_line(tmp_path, content, says):
    path = tmp_path / "reviewed.jsonl"
    path.write_text(content)
    with pytest.raises(DataError, match=says) as caught:
        ReviewQueue().import_labels(path)
    assert "\n" not in str(caught.value)
