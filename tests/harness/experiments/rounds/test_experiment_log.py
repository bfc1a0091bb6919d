"""The experiment log: typed lines that read back, a cut last line, and docs in step."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.experiments.rounds.bootstrap import Estimate
from harness.experiments.rounds.contrasts import Contrast
from harness.experiments.rounds.experiment_log import (
    ENTRY_TYPES,
    EXPERIMENT_LOG,
    AugmentEntry,
    ContrastRecord,
    ErrorEntry,
    NothingToAddEntry,
    PowerEntry,
    RoundEntry,
    SplitEntry,
    TrainEntry,
)
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState, Step
from harness.runlog import RunLog, read_log

DOC = Path(__file__).parents[4] / "docs" / "rounds.md"

ENTRIES = [
    SplitEntry(seed=0, attack=("a",), evaluation=("e",), attack_pairs=1, evaluation_pairs=2),
    AugmentEntry(
        arm="findings",
        round=1,
        pairs=3,
        exploits=1,
        families={"gradient": 3},
        data_hash="h",
        file="findings/seed-0/round-1/augment.jsonl",
        train_pairs=8,
    ),
    AugmentEntry(
        arm="findings",
        round=1,
        replicate=1,
        pairs=2,
        exploits=1,
        families={"gradient": 2},
        data_hash="h1",
        file="findings/seed-1/round-1/augment.jsonl",
        train_pairs=8,
    ),
    TrainEntry(
        arm="findings",
        round=1,
        checkpoint="c",
        trainer="builtin",
        pairs=8,
        data_hash="h",
        seconds=1.0,
        config={"seed": 3},
        steps=2,
        final_loss=0.5,
    ),
    NothingToAddEntry(arm="synthetic", round=1, checkpoint="c0", message="nothing to add"),
    ErrorEntry(arm="clean", round=2, stage="train", checkpoint="c1", message="boom"),
    ErrorEntry(arm="clean", round=1, replicate=2, stage="train", checkpoint="c0", message="nan"),
    RoundEntry(
        round=0,
        run="round-0",
        run_id="r",
        checkpoint="c0",
        fingerprint="f",
        retrained=False,
        clean={"e": [1, 2]},
        chance={"e": [0, 5]},
        exploits={"e": 2},
    ),
    PowerEntry(check={"mde": {"fresh_trained": 0.31}}, underpowered=True),
]


def test_entries_write_and_read_back_typed(tmp_path):
    path = tmp_path / "experiment.jsonl"
    with RunLog.create(path) as log:
        for entry in ENTRIES:
            log.write(entry)
    assert read_log(path, strict=True, format=EXPERIMENT_LOG).entries == ENTRIES
    state = ExperimentState.from_entries(ENTRIES)
    assert state.rounds[ZERO].exploits == {"e": 2}
    assert state.stopped("clean", 2) and not state.stopped("clean", 1)
    assert state.stopped("clean", 1, replicate=2) and not state.stopped("clean", 1, replicate=1)
    assert Step("synthetic", 1) in state.nothing and Step("findings", 1) in state.trains
    assert state.augments[Step("findings", 1, 1)].data_hash == "h1"
    assert state.augments[Step("findings", 1)].data_hash == "h"  # replicate 0
    assert state.power is not None and state.power.underpowered


def test_a_version_2_line_without_a_replicate_is_replicate_0(tmp_path):
    path = tmp_path / "experiment.jsonl"
    path.write_text(
        '{"type": "nothing_to_add", "time": "t", "arm": "clean", "round": 1, '
        '"checkpoint": "c", "message": "m"}\n'
    )
    (entry,) = read_log(path, strict=True, format=EXPERIMENT_LOG).entries
    assert entry.replicate == 0
    assert Step("clean", 1) in ExperimentState.from_entries([entry]).nothing


def test_a_cut_last_line_is_tolerated_and_trimmed_on_resume(tmp_path):
    path = tmp_path / "experiment.jsonl"
    with RunLog.create(path) as log:
        log.write(ENTRIES[0])
    path.write_bytes(path.read_bytes() + b'{"type": "augment", "arm": "fi')
    contents = read_log(path, strict=True, format=EXPERIMENT_LOG)
    assert contents.truncated and contents.entries == ENTRIES[:1]
    with RunLog.append_to(path) as log:
        log.write(ENTRIES[1])
    assert read_log(path, strict=True, format=EXPERIMENT_LOG).entries == ENTRIES[:2]


def test_a_run_log_entry_type_is_not_an_experiment_entry(tmp_path):
    path = tmp_path / "experiment.jsonl"
    path.write_text('{"type": "attempt", "unit": "0/a/0/0"}\n')
    with pytest.raises(HarnessError, match="unknown experiment-log entry type 'attempt'"):
        read_log(path, format=EXPERIMENT_LOG)


def test_a_contrast_that_is_not_estimable_is_logged_as_null(tmp_path):
    nan = math.nan
    record = ContrastRecord.of(Contrast("k", "label", Estimate(nan, nan, nan, 3), (0.0,)))
    assert record.estimate is None and record.low is None and record.n_prompts == 3


# ------------------------------------------------------------------ docs/rounds.md
_HEADING = re.compile(r"^### `([a-z_]+)`\s*$")
_ROW = re.compile(r"^\| `([a-z_]+)` \|")


def documented() -> tuple[set[str], dict[str, set[str]]]:
    common: set[str] = set()
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    inside = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Experiment log"
            current = None
            continue
        heading = _HEADING.match(line)
        if inside and heading:
            current = sections.setdefault(heading.group(1), set())
            continue
        row = _ROW.match(line)
        if inside and row:
            (common if current is None else current).add(row.group(1))
    return common, sections


def test_docs_document_every_entry_type_and_field():
    common, sections = documented()
    assert common == {"type", "time"}
    assert list(sections) == list(ENTRY_TYPES)
    for kind, cls in ENTRY_TYPES.items():
        fields = {f.name for f in dataclasses.fields(cls)} - {"time"}
        assert sections[kind] == fields, f"docs/rounds.md `{kind}`: {sections[kind] ^ fields}"
