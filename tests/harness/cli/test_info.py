"""``rmh info`` on real tiny checkpoints; a checkpoint that cannot load is one line, exit 2."""

from __future__ import annotations

import json
import re

import pytest


def test_info_prints_what_the_loader_sees(rmh, checkpoints):
    code, out, _ = rmh("info", str(checkpoints["llama_chat_left"]))
    assert code == 0
    assert "LlamaForSequenceClassification" in out and "chat" in out and "left" in out
    code, out, _ = rmh("info", str(checkpoints["bert"]), "--json")
    facts = json.loads(out)
    assert facts["head"] == "scalar" and len(facts["fingerprint"]) == 64


def test_info_passes_load_options_through(rmh, checkpoints):
    code, out, _ = rmh(
        "info", str(checkpoints["bert_two_label"]), "--good-label", "0", "--max-length", "16"
    )
    assert code == 0
    assert re.search(r"^head\s+diff:0-1$", out, re.M), out
    assert re.search(r"^max length\s+16$", out, re.M), out


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
def test_bad_checkpoints_give_one_line(
    rmh, one_line_error, checkpoints, tmp_path, good_data, case, fragment
):
    """Both verbs that only load and score share the loader's one-line errors."""
    target = {
        "missing_path": tmp_path / "missing",
        "no_config": tmp_path,
        "no_tokenizer": checkpoints["bert_no_tokenizer"],
        "pickle": checkpoints["bert_pickle"],
        "three_labels": checkpoints["bert_three_label"],
    }[case]
    for argv in (["info", str(target)], ["score", str(target), "--data", str(good_data)]):
        code, _, err = rmh(*argv)
        one_line_error(code, err, fragment)
