"""The ``rmh`` CLI: real subcommands, and one-line errors with exit 2 for bad input."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import pytest

from harness.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("rmh: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in err


def test_help_lists_commands_with_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("demo", "info", "score"):
        assert command in out
    code, out, _ = run(capsys, "score", "--help")
    assert code == 0 and "Examples" in out and "--allow-pickle" in out


def test_info_prints_what_the_loader_sees(capsys, checkpoints):
    code, out, _ = run(capsys, "info", str(checkpoints["llama_chat_left"]))
    assert code == 0
    assert "LlamaForSequenceClassification" in out and "chat" in out and "left" in out
    code, out, _ = run(capsys, "info", str(checkpoints["bert"]), "--json")
    facts = json.loads(out)
    assert facts["head"] == "scalar" and len(facts["fingerprint"]) == 64


def test_score_pairs_to_terminal_and_csv(capsys, checkpoints, tmp_path):
    data = tmp_path / "pairs.jsonl"
    rows = [
        {"prompt": "Tell me a joke", "chosen": "Why? Because.", "rejected": '=HYPERLINK("x")'},
        {"prompt": "Another", "chosen": "", "rejected": "+1 more"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out, _ = run(capsys, "score", str(checkpoints["bert"]), "--data", str(data))
    assert code == 0 and "pairwise accuracy:" in out and "4 model queries" in out
    target = tmp_path / "out.csv"
    code, out, _ = run(
        capsys, "score", str(checkpoints["bert"]), "--data", str(data), "--out", str(target)
    )
    assert code == 0 and "wrote 2 rows" in out
    table = list(csv.DictReader(target.open()))
    assert table[0]["rejected"].startswith("'=") and table[1]["rejected"] == "'+1 more"
    assert math.isfinite(float(table[0]["margin"]))  # numbers stay numbers


def test_score_responses_to_jsonl(capsys, checkpoints, tmp_path):
    data = tmp_path / "responses.jsonl"
    data.write_text('{"prompt": "p", "response": ""}\n{"prompt": "p", "response": "hello"}\n')
    target = tmp_path / "out.jsonl"
    code, _, _ = run(
        capsys, "score", str(checkpoints["bert"]), "--data", str(data), "--out", str(target)
    )
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
    ("case", "fragment"),
    [
        ("missing_path", "does not exist"),
        ("no_config", "no config.json"),
        ("no_tokenizer", "--tokenizer"),
        ("pickle", "--allow-pickle"),
        ("three_labels", "--head-index"),
    ],
)
def test_bad_checkpoints_give_one_line(capsys, checkpoints, tmp_path, good_data, case, fragment):
    target = {
        "missing_path": tmp_path / "missing",
        "no_config": tmp_path,
        "no_tokenizer": checkpoints["bert_no_tokenizer"],
        "pickle": checkpoints["bert_pickle"],
        "three_labels": checkpoints["bert_three_label"],
    }[case]
    for argv in (["info", str(target)], ["score", str(target), "--data", str(good_data)]):
        code, _, err = run(capsys, *argv)
        assert_one_line_error(code, err, fragment)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b'{"prompt": "p"}\n', ":1: missing field 'response'"),
        (b'{"prompt": "p", "response": "r"}\n\xff\xfe\n', ":2: not valid UTF-8"),
        (b'{"prompt": "p", "response": "r"}\n{oops\n', ":2: malformed JSON"),
    ],
)
def test_bad_data_gives_one_line(capsys, checkpoints, tmp_path, content, fragment):
    data = tmp_path / "bad.jsonl"
    data.write_bytes(content)
    code, _, err = run(capsys, "score", str(checkpoints["bert"]), "--data", str(data))
    assert_one_line_error(code, err, fragment)


def test_non_finite_model_output_gives_one_line(capsys, tmp_path, monkeypatch, good_data):
    (tmp_path / "nan_reward.py").write_text(
        "def reward(prompts, responses):\n    return [float('nan')] * len(responses)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = run(capsys, "score", "nan_reward:reward", "--data", str(good_data))
    assert_one_line_error(code, err, "returned nan")


def test_bad_output_extension(capsys, checkpoints, good_data, tmp_path):
    code, _, err = run(
        capsys,
        "score",
        str(checkpoints["bert"]),
        "--data",
        str(good_data),
        "--out",
        str(tmp_path / "x.xlsx"),
    )
    assert_one_line_error(code, err, "use a .csv, .jsonl or .parquet path")


def test_console_script_exit_code_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "info", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("rmh: error:") and "Traceback" not in proc.stderr
