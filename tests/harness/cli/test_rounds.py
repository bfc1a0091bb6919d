"""``rmh rounds``: a whole two-round experiment through the command line, and bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, LOG_NAME, VerdictEntry
from harness.runlog import read_log
from tests.harness.experiments.rounds.planted import HELDOUT, write_inputs

TRAINING = (
    "--epochs", "1", "--batch-pairs", "8", "--learning-rate", "1e-3", "--round-pairs", "32",
    "--seeds", "1",
)  # fmt: skip


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    return write_inputs(tmp_path / "inputs")


def args(checkpoint: Path, inputs: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "rounds",
        str(checkpoint),
        "--train",
        str(inputs["train"]),
        "--eval",
        str(inputs["eval"]),
        "--suite",
        str(inputs["suite"]),
        "--out",
        str(out),
        "--heldout-families",
        HELDOUT,
        "--quiet",
        *extra,
    ]


@pytest.mark.slow
def test_a_two_round_two_arm_experiment_end_to_end(rmh, checkpoints, inputs, tmp_path):
    out = tmp_path / "exp" / "ci"
    started = time.monotonic()
    code, stdout, err = rmh(
        *args(
            checkpoints["bert"], inputs, out, "--rounds", "2", "--arms", "findings,clean", *TRAINING
        )
    )
    seconds = time.monotonic() - started
    assert code == 0, err
    assert seconds < 180, f"took {seconds:.0f}s, the CI budget is 3 minutes"
    assert "fresh trained" in stdout and "round 2:" in stdout
    assert "verdict for findings (against clean):" in stdout
    for path in (
        "experiment.jsonl",
        "round-0/log.jsonl",
        "findings.db",
        "clean/seed-0/findings.db",
        "clean/seed-0/round-2/checkpoint/config.json",
        "clean/seed-0/round-2/run/log.jsonl",
        "data/prompts.jsonl",
    ):
        assert (out / path).is_file(), path
    log = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG)
    assert [e.type for e in log.entries][:2] == ["init", "split"]
    assert isinstance(log.entries[-1], VerdictEntry)
    code, stdout, _ = rmh("rounds", "--resume", "--out", str(out), "--quiet")
    assert code == 0 and "verdict for findings" in stdout  # a finished one: nothing redone
    assert read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries == log.entries


def test_training_data_without_chosen_and_rejected(
    rmh, one_line_error, checkpoints, inputs, tmp_path
):
    inputs["train"].write_text(json.dumps({"prompt": "Tell me a joke.", "response": "No."}) + "\n")
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out))
    one_line_error(code, err, "--train")
    assert "chosen" in err and not out.exists()


def test_evaluation_prompts_that_are_trained_on(rmh, one_line_error, checkpoints, inputs, tmp_path):
    lines = inputs["train"].read_text().splitlines()
    inputs["eval"].write_text("\n".join(lines[:6]) + "\n")  # two training prompts, three pairs each
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out))
    one_line_error(code, err, "2 evaluation prompts also appear in the training data")
    assert not out.exists()


def test_unknown_arm(rmh, one_line_error, checkpoints, inputs, tmp_path):
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, "--arms", "findings,lucky"))
    one_line_error(code, err, "unknown arm 'lucky'")
    assert not out.exists()


def test_synthetic_needs_findings_and_heldout_families_must_be_attacked(
    rmh, one_line_error, checkpoints, inputs, tmp_path
):
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, "--arms", "clean,synthetic"))
    one_line_error(code, err, "the synthetic arm adds as many pairs as the findings arm")
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, "--heldout-families", "emoji"))
    one_line_error(code, err, "held-out family 'emoji' is not attacked")
    assert not out.exists()


def test_resume_takes_the_folder_only(rmh, one_line_error, checkpoints, tmp_path):
    code, _, err = rmh("rounds", str(checkpoints["bert"]), "--resume", "--out", str(tmp_path))
    one_line_error(code, err, "--resume reads everything from the experiment log; drop CHECKPOINT")
    code, _, err = rmh("rounds", "--resume", "--out", str(tmp_path / "none"))
    one_line_error(code, err, "is not an experiment folder")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--rounds", "5"), "--rounds"),
        (("--trainer", "mod:fn"), "--trainer"),
        (("--arms", "findings,clean"), "--arms"),
        (("--suite", "other.toml"), "--suite"),
        (("--no-freeze-embeddings",), "--freeze-embeddings"),
    ],
)
def test_resume_refuses_options_it_would_ignore(rmh, one_line_error, tmp_path, extra, named):
    out = tmp_path / "exp"
    code, _, err = rmh("rounds", "--resume", "--out", str(out), *extra)
    one_line_error(code, err, f"--resume reads everything from the experiment log; drop {named}")


@pytest.mark.slow
def test_a_stopped_arm_ends_with_an_error_after_the_verdict(rmh, checkpoints, inputs, tmp_path):
    out = tmp_path / "exp"
    hook = "tests.harness.experiments.rounds.hooks:fail_findings"
    code, stdout, err = rmh(
        *args(
            checkpoints["bert"], inputs, out, "--rounds", "1", "--arms", "findings,clean",
            "--trainer", hook, *TRAINING,
        )
    )  # fmt: skip
    assert code == 2, err
    assert "verdict for findings (against clean):" in stdout  # the other arm went on
    assert (out / "clean" / "seed-0" / "round-1" / "run" / "log.jsonl").is_file()
    errors = [line for line in err.splitlines() if line.startswith("rmh:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert errors[0].startswith("rmh: error: arm findings stopped in round 1 (train): ")
    assert "planted failure" in errors[0]


def test_the_clean_arm_is_required(rmh, one_line_error, checkpoints, inputs, tmp_path):
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, "--arms", "findings,synthetic"))
    one_line_error(code, err, "add it (--arms findings,synthetic,clean)")
    assert not out.exists()


def test_a_suite_with_no_family_to_hold_out(rmh, one_line_error, checkpoints, inputs, tmp_path):
    inputs["suite"].write_text(
        inputs["suite"].read_text().replace('"repetition"', '"random-search"')
        .replace('name = "null-answer"', 'name = "greedy-coordinate"')
    )  # fmt: skip
    out = tmp_path / "exp"
    argv = args(checkpoints["bert"], inputs, out)
    default = (
        argv[: argv.index("--heldout-families")] + argv[argv.index("--heldout-families") + 2 :]
    )
    code, _, err = rmh(*default)
    one_line_error(code, err, "leaves no family held out (the default: its template families)")
    assert "its families: black-box-search; choose some with --heldout-families" in err
    code, _, err = rmh(*default, "--heldout-families", ",")
    one_line_error(code, err, "leaves no family held out")
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--seeds", "0"), "Invalid value for '--seeds'"),
        (("--delta", "0"), "--delta must lie strictly between 0 and 0.5"),
        (("--delta", "0.5"), "--delta must lie strictly between 0 and 0.5"),
        (("--delta", "-0.1"), "--delta must lie strictly between 0 and 0.5"),
        (("--effect-size", "0"), "--effect-size must lie strictly between 0 and 1"),
        (("--effect-size", "1"), "--effect-size must lie strictly between 0 and 1"),
        (("--synthetic-kinds", "soup-common,glitter"), "unknown synthetic kind 'glitter'"),
    ],
)
def test_settings_out_of_range_are_refused_before_anything_is_written(
    rmh, one_line_error, checkpoints, inputs, tmp_path, extra, fragment
):
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, *extra))
    one_line_error(code, err, fragment)
    assert not out.exists()


def test_a_synthetic_kind_that_is_a_heldout_family_is_refused(
    rmh, one_line_error, checkpoints, inputs, tmp_path
):
    out = tmp_path / "exp"
    argv = args(checkpoints["bert"], inputs, out, "--arms", "findings,clean,synthetic")
    argv[argv.index("--heldout-families") + 1] = "repetition"
    code, _, err = rmh(*argv)
    one_line_error(
        code, err, "the synthetic arm's kind 'repetition' makes the nonsense of held-out family "
        "'repetition'"
    )  # fmt: skip
    assert "--synthetic-kinds soup-common,soup-rare,padding" in err
    assert not out.exists()


def test_require_power_with_an_effect_no_design_of_these_prompts_can_detect(
    rmh, one_line_error, checkpoints, inputs, tmp_path
):
    out = tmp_path / "exp"
    code, _, err = rmh(*args(checkpoints["bert"], inputs, out, "--require-power", "--seeds", "1"))
    one_line_error(
        code, err, "--require-power: at 8 evaluation prompts, 1 trained-family attempt, "
        "1 training seed (attempts per prompt and seed) the smallest detectable effect is 0.815"
    )  # fmt: skip
    assert "above --effect-size 0.15" in err and not out.exists()


@pytest.mark.slow
def test_require_power_stops_an_underpowered_experiment_after_round_0(
    rmh, one_line_error, checkpoints, inputs, tmp_path
):
    """The best case (0.815 at 8 prompts) allows an effect size of 0.9; round 0's own
    rates do not: the experiment stops before any arm retrains, verdict underpowered."""
    out = tmp_path / "exp"
    # --no-calibrate: the suite's budgets, so round 0's rates are the ones this is sized on
    argv = args(checkpoints["bert"], inputs, out, "--rounds", "1", "--arms", "findings,clean",
                "--require-power", "--effect-size", "0.9", "--no-calibrate",
                *TRAINING)  # fmt: skip
    code, stdout, err = rmh(*argv)
    one_line_error(code, err, "the experiment is underpowered for its --effect-size")
    assert "verdict for findings (against clean): underpowered" in stdout
    assert "power before retraining" in stdout and "underpowered;" in stdout  # echoed
    entries = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    assert [e.type for e in entries] == ["init", "split", "round", "power", "verdict"]
    assert entries[3].underpowered and not (out / "findings").exists()
    code, stdout, err = rmh("rounds", "--resume", "--out", str(out), "--quiet")
    one_line_error(code, err, "the experiment is underpowered")  # resumed: the same stop
    assert read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries == entries
