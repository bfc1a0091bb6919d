"""A run killed at every one of its durable steps, then resumed (or, if its folder was
never placed, started again), reaches exactly what an uninterrupted run reaches: the
same log entries in the same order and the same store rows (``tests.harness.crashpoints``).

The run replays a store that an earlier run filled (so replay sightings are among the
steps), probes instabilities and runs two attacks on two prompts: every kind of step a
run takes, each one a crash point.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.runlog import read_log
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
seed = {seed}
keep = 2

[data]
source = "pairs.jsonl"

[judges]
heuristic = true

[instability]
enabled = true
pairs = 2

[[attacks]]
name = "repetition"
budget = 8

[[attacks]]
name = "null-answer"
budget = 6
"""


def _inputs(folder: Path) -> dict[str, Path]:
    """Two prompts, and the suite twice: seed 0 fills the store, seed 1 is the run."""
    folder.mkdir()
    rows = [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in TINY_PAIRS[:2]]
    (folder / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    suites = {}
    for name, seed in (("earlier", 0), ("run", 1)):
        suites[name] = folder / f"{name}.toml"
        suites[name].write_text(SUITE.format(seed=seed))
    return suites


def test_a_run_killed_at_every_durable_step_reaches_the_uninterrupted_result(checkpoints, tmp_path):
    rmh = Verbs(tmp_path)
    checkpoint = str(checkpoints["llama"])
    suites = _inputs(tmp_path / "inputs")
    earlier = tmp_path / "inputs" / "earlier"
    filled = rmh("run", checkpoint, "--suite", str(suites["earlier"]), "--out", str(earlier),
                 "--store", str(tmp_path / "inputs" / "findings.db"), "--quiet")  # fmt: skip
    assert filled.code == 0, filled.output

    def history(name: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        shutil.copy(tmp_path / "inputs" / "findings.db", root / "findings.db")
        return root

    def start(root: Path) -> list[str]:
        return ["run", checkpoint, "--suite", str(suites["run"]), "--out", str(root / "run"),
                "--store", str(root / "findings.db"), "--quiet"]  # fmt: skip

    def result(root: Path) -> dict:
        logs = [("earlier", earlier / "log.jsonl"), ("run", root / "run" / "log.jsonl")]
        names = {**ids_of(logs, "run_id"), **root_name(root)}
        return {
            "log": log_lines(root / "run" / "log.jsonl", names),
            "store": store_rows(root / "findings.db", names),
        }

    whole = history("whole")
    steps = tmp_path / "steps.txt"
    done = rmh(*start(whole), steps=steps)
    assert done.code == 0, done.output
    labels = step_labels(steps)
    expected = result(whole)
    kinds = {label.split(":")[0] for label in labels}
    assert {"staged run", "placed run", "log append", "store commit"} <= kinds, labels
    for entry in ("init", "clean", "replay", "finding", "instability", "attempt", "completion"):
        assert f"log append: {entry}" in labels, entry

    resumed = started_again = 0
    for n, label in enumerate(labels, start=1):
        root = history(f"crash-{n}")
        killed = rmh(*start(root), crash_at=n)
        assert killed.crashed, (n, label, killed.output)
        folder = root / "run"
        if (folder / "log.jsonl").is_file():
            assert read_log(folder / "log.jsonl").init is not None, (n, label)
            again = rmh("run", "--resume", str(folder), "--quiet")
            resumed += 1
        else:
            assert not folder.exists(), (n, label, "a run folder appears whole or not at all")
            explained = rmh("run", "--resume", str(folder), "--quiet")
            assert explained.code == 2 and "killed while it started" in explained.output
            again = rmh(*start(root), "--overwrite")
            started_again += 1
        assert again.code == 0, (n, label, again.output)
        assert leftovers(root) == [], (n, label)
        found = differences(expected, result(root))
        assert not found, (n, label, found[:5])
    assert resumed and started_again
    assert len(labels) == resumed + started_again
