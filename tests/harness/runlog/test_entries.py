"""Entry types: JSON round trips, what they derive, and that they keep up with what they record."""

from __future__ import annotations

import dataclasses
import json

import pytest

from attacks.chance import ChanceRate
from attacks.instability import Instability
from harness.core.finding import Finding
from harness.runlog import (
    ENTRY_TYPES,
    AttemptEntry,
    CleanEntry,
    Entry,
    FindingEntry,
    InstabilityEntry,
    ReplayEntry,
)
from harness.runlog.entries import AccuracyRecord, ChanceRecord
from harness.scoring.accuracy import PairwiseAccuracy


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def replay(**changes) -> ReplayEntry:
    fields = dict(
        phase="before",
        source=-1,
        checkpoint=0,
        fingerprint="f0",
        finding_id=1,
        key="k",
        family="repetition",
        attack="repetition",
        prompt="p",
        text="t",
        score=1.0,
        reference_score=0.0,
        margin=1.0,
        open=True,
    )
    return ReplayEntry(**(fields | changes))


def test_every_entry_type_is_frozen_with_its_type_and_a_time():
    assert list(ENTRY_TYPES) == [
        "init",
        "clean",
        "replay",
        "attempt",
        "finding",
        "instability",
        "error",
        "validation",
        "completion",
    ]
    for kind, cls in ENTRY_TYPES.items():
        assert issubclass(cls, Entry) and cls.type == kind
        assert "type" not in field_names(cls) and "time" in field_names(cls)
        assert cls.__dataclass_params__.frozen


def test_an_entry_round_trips_through_a_json_line(init_entry):
    clean = CleanEntry(
        checkpoint=0,
        fingerprint="f0",
        accuracy=AccuracyRecord(accuracy=0.75, correct=3, n=4, low=0.3, high=0.95),
        chance=ChanceRecord(rate=0.1, wins=2, n=20, prompts=4, n_words=8),
        queries=28,
    )
    from harness.judges.labelled import LabelledRow
    from harness.judges.validation import measure
    from harness.runlog import JudgesValidationEntry

    rows = [LabelledRow("p", "r", "t", 1, "soup"), LabelledRow("p", "r", "u", 0, "good")]
    measured = measure("heuristic", rows, [True, None], params={"max_repetition": 0.5})
    validation = JudgesValidationEntry(
        data="bundled",
        rows=2,
        kinds={"soup": {"rows": 1, "bad": 1}, "good": {"rows": 1, "bad": 0}},
        judges=(measured.to_json(),),
        skipped=({"judge": "fluency", "reason": "slow"},),
        seconds=0.1,
    )
    assert validation.measures == (measured,)
    for entry in (init_entry(), clean, replay(was_open=False), validation):
        line = json.dumps(entry.to_json())
        back = type(entry).from_json(json.loads(line))
        assert back == entry and json.loads(line)["type"] == entry.type


def test_a_replay_knows_its_status():
    assert replay(open=True, was_open=None).status == "open"
    assert replay(open=True, was_open=True).status == "open"
    assert replay(open=True, was_open=False).status == "reopened"
    assert replay(open=False, was_open=False).status == "closed"
    assert replay(open=False, was_open=True).status == "closed"


def test_the_probe_attempt_is_told_apart():
    probe = AttemptEntry.probe(checkpoint=2, pairs=4, queries=9, findings=1, seconds=0.1)
    assert probe.unit == "2/instability" and probe.is_probe and probe.prompt_index is None
    unit = AttemptEntry(
        unit="2/rep/0/1", checkpoint=2, attack_id="rep", attack="repetition", family="repetition"
    )
    assert not unit.is_probe


def test_a_missing_required_field_is_an_error_and_an_unknown_one_is_ignored():
    data = replay().to_json()
    assert ReplayEntry.from_json(data | {"added_later": 1}) == ReplayEntry.from_json(data)
    del data["key"]
    with pytest.raises(TypeError):
        ReplayEntry.from_json(data)


@pytest.mark.parametrize(
    ("record", "source"),
    [(AccuracyRecord, PairwiseAccuracy), (ChanceRecord, ChanceRate)],
)
def test_clean_records_keep_every_field_of_what_they_record(record, source):
    """A field added to the clean metrics must be added to the log too, not dropped."""
    assert field_names(record) == field_names(source)


def test_finding_and_instability_entries_keep_every_field_of_what_they_record():
    # A finding line is always of kind "finding"; "detail" is the store's (instabilities).
    assert field_names(Finding) - {"kind", "detail"} <= field_names(FindingEntry)
    assert field_names(Instability) <= field_names(InstabilityEntry)


def test_a_finding_line_is_its_finding():
    finding = Finding(
        prompt="p", reference="r", text="haha haha", family="repetition", attack="repetition",
        score=2.5, reference_score=0.5, reasons=("heuristic: repetitive",), seed=7,
        queries_at_find=9, seeded=True, attack_id="rep",
    )  # fmt: skip
    entry = FindingEntry.of(finding, checkpoint=1, fingerprint="fp", unit="1/rep/0/0", finding_id=4)
    for name in field_names(Finding) - {"kind", "detail"}:
        assert getattr(entry, name) == getattr(finding, name), name
    assert (entry.key, entry.margin) == (finding.key, 2.0)
    assert (entry.checkpoint, entry.fingerprint, entry.unit, entry.finding_id) == (
        1, "fp", "1/rep/0/0", 4,
    )  # fmt: skip


def test_a_finding_lines_measures_round_trip_and_an_older_line_has_none():
    finding = Finding(
        prompt="p", reference="r", text="fluent but bad", family="lm", attack="lm",
        score=2.5, reference_score=0.5, reasons=("gold-rm: below",),
        measures={"fluency": 0.25, "gold-rm": -1.5},
    )  # fmt: skip
    entry = FindingEntry.of(finding, checkpoint=0, fingerprint="fp", unit="0/lm/0/0", finding_id=1)
    line = json.loads(json.dumps(entry.to_json()))
    assert line["measures"] == {"fluency": 0.25, "gold-rm": -1.5}
    back = FindingEntry.from_json(line)
    assert back == entry and back.finding == finding and back.fluency == 0.25
    del line["measures"]  # a line written before 3.1
    old = FindingEntry.from_json(line)
    assert old.measures == {} and old.fluency is None and old.judges == ("gold-rm",)


def test_a_damaged_measure_reads_as_unmeasured():
    """A log line's types are not checked on reading: a fluency that is not a number is
    no fluency, not a crash of every report built from the log."""
    base = dict(
        prompt="p", reference="r", text="t", family="f", attack="a", score=1.0,
        reference_score=0.0,
    )  # fmt: skip
    for measures in ({"fluency": "high"}, {"fluency": None}, {"fluency": True}, ["fluency"]):
        assert Finding(**base, measures=measures).fluency is None
    assert Finding(**base, measures={"fluency": 1}).fluency == 1.0
