"""Run folders to report on: copies of the real tiny run, one with hostile findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.runlog import LOG_NAME
from harness.testing import HOSTILE_TEXTS, build_tiny_checkpoint


@pytest.fixture()
def copy_run(tiny_run, tmp_path):
    """A private copy of the tiny run, with a function to rewrite its log entries."""

    def make(name: str = "copy") -> Path:
        target = tmp_path / name
        shutil.copytree(tiny_run, target)
        return target

    return make


def _rewrite_log(folder: Path, edit) -> None:
    """Apply ``edit(entry) -> entry | list[entry] | None`` to every log entry."""
    path = folder / LOG_NAME
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        result = edit(json.loads(line))
        for entry in result if isinstance(result, list) else [result] if result else []:
            out.append(json.dumps(entry, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture()
def rewrite_log():
    """``rewrite_log(folder, edit)`` applies ``edit(entry) -> entry | list | None`` to a log."""
    return _rewrite_log


@pytest.fixture()
def hostile_run(copy_run) -> Path:
    """The tiny run, with one finding per payload in its log (text, prompt and reasons)."""
    folder = copy_run("hostile")
    injected = False

    def edit(entry):
        nonlocal injected
        if injected or entry["type"] != "attempt" or entry.get("family") != "repetition":
            return entry
        injected = True
        findings = []
        # Highest margin first: the report's top findings show the first five as finding
        # text, and every finding carries all of them as judge reasons.
        for i, payload in enumerate(HOSTILE_TEXTS):
            findings.append(
                {
                    "type": "finding",
                    "time": entry["time"],
                    "checkpoint": entry["checkpoint"],
                    "fingerprint": "f" * 64,
                    "unit": entry["unit"],
                    "finding_id": 10_000 + i,
                    "key": f"k{i}",
                    "attack_id": entry["attack_id"],
                    "reference": "A plain answer to the prompt.",
                    "prompt": payload,
                    "text": payload,
                    "score": 21.0 - i,
                    "reference_score": 1.0,
                    "margin": 20.0 - i,
                    "attack": entry["attack"],
                    "family": entry["family"],
                    "seed": 0,
                    "queries_at_find": 3,
                    "seeded": False,
                    "reasons": [f"heuristic: {p}" for p in HOSTILE_TEXTS],
                }
            )
        return [*findings, entry | {"findings": max(entry["findings"], 1)}]

    _rewrite_log(folder, edit)
    return folder


# ------------------------------------------------------------------ experiment folders
#: The smallest experiment with every section of its report: three arms (so findings
#: against synthetic too), one retrained round (contrasts, trends and McNemar exist; the
#: verdict is inconclusive by rule 0), two prompts of each kind, small budgets.
EXPERIMENT_CONFIG = dict(
    rounds=1,
    arms="findings,clean,synthetic",
    epochs=1,
    batch_pairs=8,
    learning_rate=1e-3,
    round_pairs=16,
    prompts=2,
    eval_prompts=2,
    seeds=1,
)


@pytest.fixture(scope="session")
def tiny_experiment(tmp_path_factory) -> Path:
    """A finished whack-a-mole experiment on a tiny BERT, with the planted suite and data
    of ``tests/harness/experiments/rounds/planted.py`` (15-20 s on two cores)."""
    from harness.experiments.rounds.experiment import (
        ExperimentConfig,
        ExperimentData,
        start_experiment,
    )
    from harness.suite import parse_suite
    from tests.harness.experiments.rounds import planted

    suite = planted.SUITE.replace("budget = 30", "budget = 12").replace("budget = 20", "budget = 8")
    root = tmp_path_factory.mktemp("tiny-experiment")
    out = root / "exp"
    start_experiment(
        build_tiny_checkpoint(root / "rm"),
        parse_suite(suite, origin="planted", base_dir=None),
        ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs()),
        out,
        config=ExperimentConfig(heldout_families=planted.HELDOUT, **EXPERIMENT_CONFIG),
        progress="quiet",
        echo=lambda _: None,
    )
    return out


@pytest.fixture()
def copy_experiment(tiny_experiment, tmp_path):
    """``copy_experiment(name)``: a private copy of the tiny experiment (checkpoints left
    out: a report never reads them)."""

    def make(name: str = "copy") -> Path:
        target = tmp_path / name
        shutil.copytree(tiny_experiment, target, ignore=shutil.ignore_patterns("checkpoint"))
        return target

    return make


@pytest.fixture()
def hostile_experiment(copy_experiment) -> Path:
    """The tiny experiment with one finding per hostile payload in the findings arm's
    round-1 run log: each is a new exploit of that round (highest margins first)."""
    folder = copy_experiment("hostile")
    injected = False

    def edit(entry):
        nonlocal injected
        if injected or entry["type"] != "finding":
            return entry
        injected = True
        hostile = [
            entry
            | {
                "finding_id": 90_000 + i,
                "key": f"hostile{i}",
                "text": payload,
                "score": entry["reference_score"] + 20.0 - i,
                "margin": 20.0 - i,
            }
            for i, payload in enumerate(HOSTILE_TEXTS)
        ]
        return [entry, *hostile]

    _rewrite_log(folder / "findings" / "seed-0" / "round-1" / "run", edit)
    return folder
