"""A sweep killed at every one of its durable steps leaves no sweep folder or a whole one
(a new folder appears in one rename; a sweep written again into its folder moves
``sweep.json`` in last), and running it again gives the uninterrupted sweep
(``tests.harness.crashpoints``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.experiments.sweep.result import SWEEP_FILE, read_sweep
from tests.harness.crashpoints import Verbs, leftovers, root_name, scrub, step_labels
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows
from tests.harness.experiments.sweep.sweeps import sweep_args

pytestmark = pytest.mark.slow


def _record(out: Path) -> dict:
    """``sweep.json`` without its id, time and duration."""
    record = json.loads((out / SWEEP_FILE).read_text())
    return scrub(record, {record.pop("sweep_id"): "<sweep>", **root_name(out.parent)})


def test_a_sweep_killed_at_every_durable_step_leaves_none_or_a_whole_one(tmp_path):
    rmh = Verbs(tmp_path)
    samples = write_rows(tmp_path / "samples.jsonl", sample_rows(per_prompt=8, logprobs=True))

    def sweep(root: Path, **kw: object):
        return rmh(*sweep_args([samples], root / "out", "--no-trajectories"), **kw)

    whole = tmp_path / "whole"
    steps = tmp_path / "steps.txt"
    assert sweep(whole, steps=steps).code == 0
    labels = step_labels(steps)
    assert labels == ["staged out", "renamed sweep.json into place", "placed out"], labels
    expected = _record(whole / "out")
    plots = sorted(p.name for p in (whole / "out").iterdir())

    again = tmp_path / "again"  # a sweep written again into its folder, beside a note
    shutil.copytree(whole, again)
    (again / "out" / "notes.txt").write_text("mine")
    steps = tmp_path / "again-steps.txt"
    assert sweep(again, steps=steps).code == 0
    merged = step_labels(steps)
    assert merged[-1] == f"moved {SWEEP_FILE} into out" and len(merged) == 2 + len(plots)

    for name, history, count in (("new", None, len(labels)), ("again", whole, len(merged))):
        for n in range(1, count + 1):
            root = tmp_path / f"{name}-{n}"
            if history is None:
                root.mkdir()
            else:
                shutil.copytree(history, root)
                (root / "out" / "notes.txt").write_text("mine")
            assert sweep(root, crash_at=n).crashed, (name, n)
            out = root / "out"
            assert not out.exists() or read_sweep(out), (name, n)  # none, or a whole sweep
            done = sweep(root)
            assert done.code == 0, (name, n, done.output)
            assert _record(out) == expected, (name, n)
            assert leftovers(root) == [], (name, n)
            if history is not None:
                assert (out / "notes.txt").read_text() == "mine"
