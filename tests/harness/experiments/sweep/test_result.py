"""sweep.json reads back what was written; a damaged or foreign file is one line."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.result import SWEEP_FILE, read_sweep, sweep_json


def test_a_written_sweep_reads_back_equal(cli_sweep):
    record = read_sweep(cli_sweep)
    again = type(record).from_json(json.loads(sweep_json(record)))
    assert again == record
    assert record.trajectories is not None and record.trajectories.paths


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "cannot read"),
        ('{"kind": "experiment"}', "not a sweep record"),
        ('{"kind": "sweep", "schema_version": 99}', "upgrade rm-harness"),
        ('{"kind": "sweep", "schema_version": 1, "curves": []}', "damaged"),
    ],
)
def test_a_bad_sweep_file_is_one_line(tmp_path, text, fragment):
    (tmp_path / SWEEP_FILE).write_text(text)
    with pytest.raises(HarnessError, match=fragment):
        read_sweep(tmp_path)


def test_the_same_seed_gives_the_same_sweep(cli_sweep, tmp_path):
    """Everything measured is a function of the inputs and the seed (the bootstrap and the
    attacks' seeds); only the id, the date and the time taken differ."""
    from tests.harness.experiments.sweep.sweeps import make_sweep

    first, again = read_sweep(cli_sweep), read_sweep(make_sweep(tmp_path))
    for name in ("curves", "fit", "nonsense", "examples", "steps", "trajectories", "scales"):
        assert getattr(again, name) == getattr(first, name), name
    assert again.config == first.config and again.seed == first.seed == 0


def test_a_sweep_recorded_before_the_reference_rule_and_the_tie_skip_reads(cli_sweep, tmp_path):
    """Older sweep.json files have no reference_rule (their references were the gold's
    favourite, or a --references file) and no skipped_tied_proxy (nothing was skipped so)."""
    data = json.loads((cli_sweep / SWEEP_FILE).read_text())
    assert data["trajectories"]["reference_rule"] == "random"
    assert data["samples"]["skipped_tied_proxy"] == 0
    del data["trajectories"]["reference_rule"], data["samples"]["skipped_tied_proxy"]
    for references, rule in (
        ("per prompt, the sample the gold scores highest among those ...", "gold-best"),
        ("the chosen responses of pairs.jsonl", "file"),
    ):
        data["trajectories"]["references"] = references
        (tmp_path / SWEEP_FILE).write_text(json.dumps(data))
        old = read_sweep(tmp_path)
        assert old.trajectories.reference_rule == rule and old.samples.skipped_tied_proxy == 0
