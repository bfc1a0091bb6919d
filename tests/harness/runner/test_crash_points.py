"""A run killed at every one of its durable steps, then resumed (or, if its folder was
never placed, started again), reaches exactly what an uninterrupted run reaches: the
same log entries in the same order and the same store rows (``tests.harness.crashpoints``).

The run replays a store that an earlier run filled (so replay sightings are among the
steps), probes instabilities and runs two attacks on two prompts: every kind of step a
run takes, each one a crash point.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.testing import TINY_PAIRS
from tests.harness.crashpoints import run_killed_at_every_step

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
    suites = _inputs(tmp_path / "inputs")
    runs = run_killed_at_every_step(
        tmp_path, str(checkpoints["llama"]), suites["earlier"], suites["run"]
    )
    labels = runs.labels
    kinds = {label.split(":")[0] for label in labels}
    assert {"staged run", "placed run", "log append", "store commit"} <= kinds, labels
    for entry in ("init", "clean", "replay", "finding", "instability", "attempt", "completion"):
        assert f"log append: {entry}" in labels, entry
    assert runs.resumed and runs.started_again
