"""A one-round experiment killed at every one of its durable steps, then resumed (or, if
its folder was never placed, started again), reaches exactly the uninterrupted result:
the same experiment log (augmentations, trainings, rounds, verdict), the same run logs
and the same rows in every store (``tests.harness.crashpoints``).

Round 0, then the ``findings`` and ``clean`` arms each augment, retrain a tiny
checkpoint and run again: every kind of step an experiment takes (its folder, its log
lines, the arms' store copies, pair files and checkpoints renamed into place, and each
run's own steps), each one a crash point.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.testing import TINY_PAIRS
from tests.harness.crashpoints import (
    Verbs,
    differences,
    ids_of,
    leftovers,
    log_lines,
    root_name,
    step_labels,
    store_rows,
)

pytestmark = pytest.mark.slow

SUITE = """\
name = "crash"
seed = 0
keep = 1

[data]
source = "replaced-by-the-experiment.jsonl"

[judges]
heuristic = true

[[attacks]]
name = "repetition"
budget = 8

[[attacks]]
name = "null-answer"
budget = 6
"""
RUNS = ("round-0", "findings/seed-0/round-1/run", "clean/seed-0/round-1/run")
STORES = ("findings.db", "findings/seed-0/findings.db", "clean/seed-0/findings.db")


def _inputs(folder: Path) -> dict[str, Path]:
    """Two training pairs (their prompts are attacked), two evaluation pairs; the
    experiment attacks one prompt of each."""
    folder.mkdir()
    rows = [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in TINY_PAIRS]
    paths = {"suite": folder / "suite.toml", "train": folder / "train.jsonl",
             "eval": folder / "eval.jsonl"}  # fmt: skip
    paths["suite"].write_text(SUITE)
    paths["train"].write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    paths["eval"].write_text("".join(json.dumps(r) + "\n" for r in rows[2:]))
    return paths


def _result(root: Path) -> dict:
    """Every log and store of the experiment in ``root / "exp"``, and its pair files."""
    exp = root / "exp"
    names = {
        **ids_of([("experiment", exp / "experiment.jsonl")], "experiment_id"),
        **ids_of([(run, exp / run / "log.jsonl") for run in RUNS], "run_id"),
        **root_name(root),
    }
    return {
        "experiment": log_lines(exp / "experiment.jsonl", names),
        "runs": {run: log_lines(exp / run / "log.jsonl", names) for run in RUNS},
        "stores": {store: store_rows(exp / store, names) for store in STORES},
        "pairs": {
            str(path.relative_to(exp)): path.read_text()
            for path in sorted(exp.rglob("*.jsonl"))
            if path.name != "log.jsonl" and path.name != "experiment.jsonl"
        },
    }


def test_an_experiment_killed_at_every_durable_step_reaches_the_uninterrupted_result(
    checkpoints, tmp_path
):
    rmh = Verbs(tmp_path)
    inputs = _inputs(tmp_path / "inputs")

    def start(root: Path) -> list[str]:
        return ["rounds", str(checkpoints["llama"]), "--train", str(inputs["train"]),
                "--eval", str(inputs["eval"]), "--suite", str(inputs["suite"]),
                "--out", str(root / "exp"), "--rounds", "1", "--arms", "findings,clean",
                "--heldout-families", "null-answer", "--round-pairs", "4", "--batch-pairs",
                "4", "--prompts", "1", "--eval-prompts", "1", "--seeds", "1",
                "--quiet"]  # fmt: skip

    whole = tmp_path / "whole"
    steps = tmp_path / "steps.txt"
    done = rmh(*start(whole), steps=steps)
    assert done.code == 0, done.output
    labels = step_labels(steps)
    expected = _result(whole)
    assert '"train"' in json.dumps(expected["experiment"])  # the findings arm retrained
    for kind in ("staged exp", "placed exp", "renamed checkpoint into place",
                 "renamed findings.db into place", "log append: augment", "log append: train",
                 "log append: round", "log append: power",
                 "log append: verdict"):  # fmt: skip
        assert kind in labels, kind

    resumed = started_again = 0
    for n, label in enumerate(labels, start=1):
        root = tmp_path / f"crash-{n}"
        killed = rmh(*start(root), crash_at=n)
        assert killed.crashed, (n, label, killed.output)
        exp = root / "exp"
        if (exp / "experiment.jsonl").is_file():
            again = rmh("rounds", "--resume", "--out", str(exp), "--quiet")
            resumed += 1
        else:
            assert not exp.exists(), (n, label, "an experiment folder appears whole or not at all")
            explained = rmh("rounds", "--resume", "--out", str(exp), "--quiet")
            assert explained.code == 2 and "killed while it started" in explained.output
            again = rmh(*start(root))
            started_again += 1
        assert again.code == 0, (n, label, again.output)
        assert leftovers(root) == [], (n, label)
        found = differences(expected, _result(root))
        assert not found, (n, label, found[:5])
        shutil.rmtree(root)  # many checkpoints: keep the disk small
    assert resumed and started_again
    assert len(labels) == resumed + started_again
