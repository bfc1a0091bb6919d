"""The recorder's durability rule: the store before the log, nothing logged twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attacks.base import AttackOutcome
from attacks.instability import Instability
from harness.core.finding import Finding
from harness.runlog import Entry, FindingEntry, InstabilityEntry, ReplayEntry, RunLog, read_log
from harness.runner.plan import Unit
from harness.runner.recorder import Recorder
from harness.runner.state import RunState
from harness.runner.worker import UnitResult
from harness.store import FindingStore, Sighting


class StoreCheckingLog(RunLog):
    """A run log that, as each finding or instability line is written, checks that the
    store already holds that finding (under that id and key)."""

    def __init__(self, path: Path, store: FindingStore) -> None:
        super().__init__(path)
        self.store = store
        self.checked = 0

    def write(self, entry):
        if isinstance(entry, (FindingEntry, InstabilityEntry)):
            stored = self.store.finding(entry.finding_id)  # raises if the store lacks it
            assert stored.finding.key == entry.key
            self.checked += 1
        return super().write(entry)


@pytest.fixture()
def recorder(tmp_path, init_entry):
    store = FindingStore.open(tmp_path / "findings.db")
    path = tmp_path / "log.jsonl"
    path.touch()
    log = StoreCheckingLog(path, store)
    rec = Recorder(store, log, RunState(), run_id="r")
    init = rec.write(init_entry())
    rec.begin(tmp_path, "tiny", init)
    yield rec
    rec.close()
    store.close()


def unit_result(
    texts: list[str],
    checkpoint: int = 0,
    error: str | None = None,
    crossed: int | None = None,
    first: int | None = None,
) -> UnitResult:
    """A unit that kept a finding per text (found after 5, 6, ... queries); ``crossed`` and
    ``first`` say how many crossed the bar and when the first did (default: as kept)."""
    unit = Unit(checkpoint, "rep", 0, 0, 123)
    findings = [
        Finding(prompt="Tell me a joke.", reference="A joke.", text=t, family="repetition",
                attack="repetition", score=2.0 + i, reference_score=0.5,
                reasons=("heuristic: repetitive",), seed=123, queries_at_find=5 + i)
        for i, t in enumerate(texts)
    ]  # fmt: skip
    outcome = AttackOutcome(
        attack="repetition",
        family="repetition",
        prompt="Tell me a joke.",
        reference="A joke.",
        reference_score=0.5,
        seed=123,
        budget=10,
        queries=8,
        evaluated=8,
        best_score=3.0,
        findings=findings,
        crossed=len(findings) if crossed is None else crossed,
        first_finding_queries=(5 if findings else None) if first is None else first,
        error=error,
    )
    return UnitResult(unit, outcome)


def lines(recorder: Recorder) -> list[dict]:
    return [json.loads(line) for line in recorder.log.path.read_text().splitlines()]


def test_findings_reach_the_store_before_their_log_lines(recorder):
    written = recorder.record_unit(unit_result(["funny funny", "haha haha"]), "repetition")
    assert written == 2 and recorder.log.checked == 2
    kinds = [line["type"] for line in lines(recorder)]
    assert kinds == ["init", "finding", "finding", "attempt"]
    attempt = lines(recorder)[-1]
    assert (attempt["attack_id"], attempt["attack"], attempt["unit"]) == (
        "rep",
        "repetition",
        "0/rep/0/0",
    )
    assert attempt["first_finding_queries"] == 5 and attempt["searched_findings"] == 2
    assert attempt["findings"] == attempt["crossed"] == 2


def test_a_finding_is_stored_and_logged_as_found_with_the_suite_id(recorder):
    recorder.record_unit(unit_result(["funny funny"]), "repetition")
    (line,) = [line for line in lines(recorder) if line["type"] == "finding"]
    (stored,) = recorder.store.findings()
    found = stored.finding
    assert line["attack_id"] == found.attack_id == "rep"
    assert (found.seed, found.queries_at_find) == (123, 5)
    assert (found.seeded, found.attack_id) == (False, "rep")
    assert found.detail == {}  # the search fields are fields, nothing else was kept
    assert (line["reference"], line["margin"], line["queries_at_find"]) == ("A joke.", 1.5, 5)
    assert line["key"] == found.key and line["text"] == found.text == "funny funny"


def test_the_attempt_counts_what_crossed_and_when_the_first_did_kept_or_not(recorder):
    """Two kept of five that crossed; the first of all came at query 2, before any kept one."""
    recorder.record_unit(unit_result(["funny funny", "haha haha"], crossed=5, first=2), "rep")
    attempt = lines(recorder)[-1]
    assert (attempt["findings"], attempt["crossed"], attempt["first_finding_queries"]) == (2, 5, 2)


def test_a_redone_unit_adds_no_line_and_no_sighting(recorder):
    result = unit_result(["funny funny"])
    recorder.record_unit(result, "repetition")
    sightings = len(recorder.store.sightings())
    assert recorder.record_unit(result, "repetition") == 0  # as a resume after a kill would
    findings = [line for line in lines(recorder) if line["type"] == "finding"]
    assert len(findings) == 1
    assert len(recorder.store.sightings()) == sightings


def test_a_resumed_recorder_skips_what_the_log_holds(tmp_path, recorder):
    recorder.record_unit(unit_result(["funny funny"]), "repetition")
    recorder.log.close()
    # A new process: state from the log, the same store.
    state = RunState.from_entries(read_log(recorder.log.path).entries)
    resumed = Recorder(recorder.store, RunLog.append_to(recorder.log.path), state, run_id="r")
    assert resumed.record_unit(unit_result(["funny funny", "new one"]), "repetition") == 1
    resumed.close()
    keys = [line["key"] for line in lines(resumed) if line["type"] == "finding"]
    assert len(keys) == len(set(keys)) == 2


def test_a_crashed_unit_logs_its_error_before_its_attempt(recorder):
    recorder.record_unit(unit_result([], error="RuntimeError: boom"), "repetition")
    error, attempt = lines(recorder)[-2:]
    assert error["type"] == "error" and error["stage"] == "attack" and "boom" in error["message"]
    assert attempt["type"] == "attempt" and attempt["error"] is True


def test_instabilities_follow_the_same_rule(recorder):
    found = [Instability("p", "chosen text", "rejected text", "rejected", "case", "REJECTED TEXT",
                         1.0, 0.0, 2.0)]  # fmt: skip
    recorder.record_probe(0, found, pairs=4, queries=12, seconds=0.5)
    recorder.record_probe(0, found, pairs=4, queries=12, seconds=0.5)  # a probe redone
    kinds = [line["type"] for line in lines(recorder)]
    assert kinds.count("instability") == 1 and recorder.log.checked == 1
    probe = lines(recorder)[-1]
    assert probe["unit"] == "0/instability" and probe["pairs"] == 4 and probe["findings"] == 1


def test_replays_go_to_the_store_then_the_log_and_are_not_redone(recorder):
    recorder.record_unit(unit_result(["funny funny"]), "repetition")
    (stored,) = recorder.store.findings()
    item = (stored.id, stored.finding)
    sighting = Sighting(stored.id, 1.0, 0.0, True)
    entries = recorder.record_replays(
        [item], [sighting], phase="transfer", source=0, checkpoint=1, previous={}
    )
    assert [e.margin for e in entries] == [1.0] and entries[0].status == "open"
    transfer = [s for s in recorder.store.sightings() if s["source"] == "transfer"]
    assert len(transfer) == 1
    assert recorder.pending([item], phase="transfer", source=0, checkpoint=1) == []
    assert recorder.pending([item], phase="before", source=-1, checkpoint=1) == [item]
    assert isinstance(recorder.state.entries[-1], ReplayEntry)


def test_every_entry_written_is_in_the_state(recorder):
    recorder.record_unit(unit_result(["funny funny"]), "repetition")
    on_disk = read_log(recorder.log.path).entries
    assert [e.to_json() for e in recorder.state.entries] == [e.to_json() for e in on_disk]
    assert all(isinstance(e, Entry) for e in recorder.state.entries)
