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
        return ["run", checkpoint, "--suite", str(suites["seeded"]), "--out", str(root / "run"),
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
    init = read_log(whole / "run" / "log.jsonl").init
    assert init.library is not None and init.library.seeds > 0, done.output
    assert "note: library: seeding random-search from" in done.output
    labels = step_labels(steps)
    expected = result(whole)

    resumed = started_again = 0
    for n, label in enumerate(labels, start=1):
        root = history(f"crash-{n}")
        killed = rmh(*start(root), crash_at=n)
        assert killed.crashed, (n, label, killed.output)
        folder = root / "run"
        if (folder / "log.jsonl").is_file():
            again = rmh("run", "--resume", str(folder), "--quiet")
            resumed += 1
        else:
            again = rmh(*start(root), "--overwrite")
            started_again += 1
        assert again.code == 0, (n, label, again.output)
        assert leftovers(root) == [], (n, label)
        found = differences(expected, result(root))
        assert not found, (n, label, found[:5])
    assert resumed and len(labels) == resumed + started_again
