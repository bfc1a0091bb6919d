"""``rmh sample`` end to end on a tiny real causal LM; bad input is one line, exit 2."""

from __future__ import annotations

import dataclasses
import json
import math

import click
import pytest

from harness.cli import cli
from harness.models.options import PolicyOptions
from harness.testing import build_tiny_causal_lm


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sample-cli")
    return {
        "policy": build_tiny_causal_lm(root / "policy", chat_template=True),
        "ref": build_tiny_causal_lm(root / "ref", chat_template=True, seed=1),
    }


@pytest.fixture()
def prompts(tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text("Tell me a joke.\nWhy is the sky blue?\n")
    return path


def _sample(rmh, lm, prompts, out, *extra: str):
    return rmh(
        "sample",
        "--policy",
        str(lm["policy"]),
        "--prompts",
        str(prompts),
        "--n",
        "3",
        "--out",
        str(out),
        "--max-new-tokens",
        "5",
        "--batch-size",
        "4",
        "--quiet",
        *extra,
    )


def test_sample_writes_rows_for_the_sweep_and_repeats_by_seed(rmh, lm, prompts, tmp_path):
    out = tmp_path / "samples.jsonl"
    code, stdout, err = _sample(rmh, lm, prompts, out)
    assert code == 0, err
    assert "wrote 6 samples (2 prompts x 3)" in stdout and "tokens/s" in stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [list(r) for r in rows] == [["prompt", "response", "policy_logprob", "sample_index"]] * 6
    assert [(r["prompt"], r["sample_index"]) for r in rows] == [
        (p, i) for p in ("Tell me a joke.", "Why is the sky blue?") for i in range(3)
    ]
    assert all(math.isfinite(r["policy_logprob"]) and r["policy_logprob"] < 0 for r in rows)
    again = tmp_path / "again.jsonl"
    assert _sample(rmh, lm, prompts, again)[0] == 0
    assert again.read_bytes() == out.read_bytes()
    other = tmp_path / "other.jsonl"
    assert _sample(rmh, lm, prompts, other, "--seed", "1")[0] == 0
    assert other.read_bytes() != out.read_bytes()


def test_sample_with_a_reference_adds_ref_logprob(rmh, lm, prompts, tmp_path):
    out = tmp_path / "samples.jsonl"
    code, _, err = _sample(rmh, lm, prompts, out, "--ref", str(lm["ref"]))
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(math.isfinite(r["ref_logprob"]) for r in rows)
    assert any(r["ref_logprob"] != pytest.approx(r["policy_logprob"]) for r in rows)


def test_bad_inputs_are_one_line_errors(rmh, one_line_error, lm, prompts, tmp_path):
    out = tmp_path / "s.jsonl"
    code, _, err = rmh(
        "sample", "--policy", str(tmp_path / "nope"), "--prompts", str(prompts), "--out", str(out)
    )
    one_line_error(code, err, "does not exist")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    code, _, err = _sample(rmh, lm, empty, out)
    one_line_error(code, err, "has no prompts")
    code, _, err = _sample(rmh, lm, prompts, out, "--n", "0")
    one_line_error(code, err, "--n")
    code, _, err = _sample(rmh, lm, tmp_path / "missing.txt", out)
    one_line_error(code, err, "does not exist")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage\n")
    code, _, err = _sample(rmh, lm, binary, out)
    one_line_error(code, err, "UTF")
    code, _, err = _sample(rmh, lm, prompts, tmp_path)
    one_line_error(code, err, "is a directory")
    code, _, err = _sample(rmh, lm, prompts, out, "--ref", str(tmp_path / "noref"))
    one_line_error(code, err, "--ref")
    assert not out.exists()


def test_every_policy_option_field_is_an_option_with_its_default(rmh):
    command = cli.commands["sample"]
    with click.Context(command, info_name="sample") as ctx:
        params = {p.name: p for p in command.get_params(ctx)}
    _, help_text, _ = rmh("sample", "--help")
    for field in dataclasses.fields(PolicyOptions):
        assert params[field.name].default == field.default
        assert f"--{field.name.replace('_', '-')}" in help_text
    assert "Examples" in help_text
