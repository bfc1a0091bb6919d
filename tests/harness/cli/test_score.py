"""``rmh score``: terminal table, CSV and JSONL out; bad data and outputs are one line."""

from __future__ import annotations

import csv
import json
import math

import pytest


def test_score_pairs_to_terminal_and_csv(rmh, checkpoints, tmp_path):
    data = tmp_path / "pairs.jsonl"
    rows = [
        {"prompt": "Tell me a joke", "chosen": "Why? Because.", "rejected": '=HYPERLINK("x")'},
        {"prompt": "Another", "chosen": "", "rejected": "+1 more"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out, _ = rmh("score", str(checkpoints["bert"]), "--data", str(data))
    assert code == 0 and "pairwise accuracy:" in out and "4 model queries" in out
    target = tmp_path / "out.csv"
    code, out, _ = rmh("score", str(checkpoints["bert"]), "--data", str(data), "--out", str(target))
    assert code == 0 and "wrote 2 rows" in out
    table = list(csv.DictReader(target.open()))
    assert table[0]["rejected"].startswith("'=") and table[1]["rejected"] == "'+1 more"
    assert math.isfinite(float(table[0]["margin"]))  # numbers stay numbers


def test_score_responses_to_jsonl(rmh, checkpoints, tmp_path):
    data = tmp_path / "responses.jsonl"
    data.write_text('{"prompt": "p", "response": ""}\n{"prompt": "p", "response": "hello"}\n')
    target = tmp_path / "out.jsonl"
    code, _, _ = rmh("score", str(checkpoints["bert"]), "--data", str(data), "--out", str(target))
    assert code == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [row["response"] for row in lines] == ["", "hello"]
    assert all(math.isfinite(row["score"]) for row in lines)


@pytest.fixture()
def good_data(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text('{"prompt": "p", "response": "r"}\n')
    return path


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b'{"prompt": "p"}\n', ":1: missing field 'response'"),
        (b'{"prompt": "p", "response": "r"}\n\xff\xfe\n', ":2: not valid UTF-8"),
        (b'{"prompt": "p", "response": "r"}\n{oops\n', ":2: malformed JSON"),
    ],
)
def test_bad_data_gives_one_line(rmh, one_line_error, checkpoints, tmp_path, content, fragment):
    data = tmp_path / "bad.jsonl"
    data.write_bytes(content)
    code, _, err = rmh("score", str(checkpoints["bert"]), "--data", str(data))
    one_line_error(code, err, fragment)


def test_non_finite_model_output_gives_one_line(
    rmh, one_line_error, tmp_path, monkeypatch, good_data
):
    (tmp_path / "nan_reward.py").write_text(
        "def reward(prompts, responses):\n    return [float('nan')] * len(responses)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = rmh("score", "nan_reward:reward", "--data", str(good_data))
    one_line_error(code, err, "returned nan")


def test_bad_output_extension(rmh, one_line_error, checkpoints, good_data, tmp_path):
    code, _, err = rmh(
        "score",
        str(checkpoints["bert"]),
        "--data",
        str(good_data),
        "--out",
        str(tmp_path / "x.xlsx"),
    )
    one_line_error(code, err, "use a .csv, .jsonl or .parquet path")
