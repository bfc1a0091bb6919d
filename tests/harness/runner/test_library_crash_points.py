"""A seeded run (``seed_from = "library"``) killed at every one of its durable steps, then
resumed (or started again, if its folder was never placed), reaches exactly what an
uninterrupted one reaches: the same library in its ``init`` entry, the same log entries and
the same store rows (``tests.harness.crashpoints``), although the store grows meanwhile (the
run's own replays, sightings and findings are in it when the resume reads the library).

The store is filled by an earlier run on two *other* prompts; the seeded run attacks two
new ones with a seedable search, so its first queries are the library's seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.runlog import read_log
from harness.testing import TINY_PAIRS
from tests.harness.crashpoints import run_killed_at_every_step

pytestmark = pytest.mark.slow

EARLIER = """\
name = "earlier"
seed = 0
keep = 2

[data]
source = "other.jsonl"

[[attacks]]
name = "repetition"
budget = 8

[[attacks]]
name = "null-answer"
budget = 6
"""

SEEDED = """\
name = "seeded"
seed = 1
keep = 2
seed_from = "library"
library_seeds = 4

[data]
source = "attacked.jsonl"

[[attacks]]
name = "random-search"
budget = 10
"""


def _inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    for name, pairs in (("other", TINY_PAIRS[2:]), ("attacked", TINY_PAIRS[:2])):
        rows = [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in pairs]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    suites = {"earlier": folder / "earlier.toml", "seeded": folder / "seeded.toml"}
    suites["earlier"].write_text(EARLIER)
    suites["seeded"].write_text(SEEDED)
    return suites


def test_a_seeded_run_killed_at_every_durable_step_reaches_the_uninterrupted_result(
    checkpoints, tmp_path
):
    suites = _inputs(tmp_path / "inputs")
    runs = run_killed_at_every_step(
        tmp_path, str(checkpoints["llama"]), suites["earlier"], suites["seeded"]
    )
    init = read_log(runs.whole / "log.jsonl").init
    assert init.library is not None and init.library.seeds > 0, runs.output
    assert "note: library: seeding random-search from" in runs.output
    assert runs.resumed
