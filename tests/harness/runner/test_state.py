"""The resume state is a pure function of the log's entries: entries in, state out."""

from __future__ import annotations

from harness.runlog import (
    AttemptEntry,
    CleanEntry,
    CompletionEntry,
    ErrorEntry,
    FindingEntry,
    InstabilityEntry,
    ReplayEntry,
)
from harness.runlog.entries import AccuracyRecord, ChanceRecord
from harness.runner.state import RunState


def finding(checkpoint: int, name: str, finding_id: int = 1) -> FindingEntry:
    """A finding line whose text (so whose derived ``key``) is told apart by ``name``."""
    return FindingEntry(
        checkpoint=checkpoint,
        fingerprint=f"f{checkpoint}",
        unit=f"{checkpoint}/rep/0/0",
        finding_id=finding_id,
        attack_id="rep",
        reference="a joke",
        prompt="Tell me a joke.",
        text=f"{name}: " + "very funny " * 10,
        score=2.0,
        reference_score=0.5,
        attack="repetition",
        family="repetition",
        seed=7,
        queries_at_find=3,
        reasons=("heuristic: repetitive",),
    )


def replay(phase: str, source: int, checkpoint: int, finding_id: int) -> ReplayEntry:
    return ReplayEntry(
        phase=phase,  # type: ignore[arg-type]
        source=source,
        checkpoint=checkpoint,
        fingerprint=f"f{checkpoint}",
        finding_id=finding_id,
        key=f"k{finding_id}",
        family="repetition",
        attack="repetition",
        prompt="p",
        text="t",
        score=1.0,
        reference_score=0.0,
        margin=1.0,
        open=True,
    )


def instability(checkpoint: int, key: str) -> InstabilityEntry:
    return InstabilityEntry(
        checkpoint=checkpoint,
        finding_id=9,
        key=key,
        prompt="p",
        chosen="c",
        rejected="r",
        side="rejected",
        perturbation="case",
        perturbed="R",
        chosen_score=1.0,
        rejected_score=0.0,
        perturbed_score=2.0,
    )


def clean(checkpoint: int) -> CleanEntry:
    return CleanEntry(
        checkpoint=checkpoint,
        fingerprint=f"f{checkpoint}",
        accuracy=AccuracyRecord(accuracy=0.75, correct=3, n=4, low=0.3, high=0.95),
        chance=ChanceRecord(rate=0.1, wins=2, n=20),
        queries=28,
    )


def test_an_empty_log_leaves_everything_to_do():
    state = RunState.from_entries([])
    assert state.init is None and not state.entries
    assert not (state.done_units or state.clean_done or state.logged or state.replayed)


def test_state_is_rebuilt_from_entries(init_entry):
    init = init_entry()
    probe = AttemptEntry.probe(checkpoint=0, pairs=4, queries=10, findings=1, seconds=0.1)
    attempt = AttemptEntry(
        unit="1/rep/0/2", checkpoint=1, attack_id="rep", attack="repetition", family="repetition"
    )
    entries = [
        init,
        clean(0),
        replay("before", -1, 0, 5),
        instability(0, "ki"),
        probe,
        ka := finding(1, "ka", 11),
        kb := finding(1, "kb", 12),
        ErrorEntry(stage="attack", unit="1/rep/0/2", checkpoint=1, attack="rep", message="boom"),
        attempt,
        replay("transfer", 1, 0, 11),
    ]
    state = RunState.from_entries(entries)
    assert state.init is init and state.entries == entries
    assert state.done_units == {"0/instability", "1/rep/0/2"}
    assert state.clean_done == {0}
    assert ka.key != kb.key
    assert state.logged == {(0, "ki"), (1, ka.key), (1, kb.key)}  # instabilities too
    assert state.replayed == {("before", -1, 0, 5), ("transfer", 1, 0, 11)}
    assert [f.key for f in state.findings_on(1)] == [ka.key, kb.key]
    assert state.findings_on(0) == []
    assert "done_units=2" in repr(state)


def test_observe_one_by_one_equals_from_entries(init_entry):
    entries = [init_entry(), clean(0), clean(1), finding(0, "k"), replay("before", -1, 1, 3)]
    folded = RunState()
    for entry in entries:
        folded.observe(entry)
    assert folded == RunState.from_entries(entries)


def test_the_first_init_is_the_run_and_a_finding_seen_twice_is_one(init_entry):
    first, second = init_entry(run_id="first"), init_entry(run_id="second")
    state = RunState.from_entries([first, finding(0, "k", 1), second, finding(0, "k", 1)])
    assert state.init is first
    assert len(state.findings_on(0)) == 1 and state.logged == {(0, finding(0, "k", 1).key)}


def test_a_completion_changes_nothing_left_to_do(init_entry):
    totals = dict(attempts=0, findings=0, findings_by_family={}, instabilities=0, replayed=0)
    totals |= dict(still_open=0, reopened=0, errors=0, queries=0)
    done = CompletionEntry(units=0, wall_seconds=1.0, session_seconds=1.0, **totals)
    before = RunState.from_entries([init_entry()])
    after = RunState.from_entries([init_entry(), done])
    assert (after.done_units, after.logged, after.replayed) == (
        before.done_units,
        before.logged,
        before.replayed,
    )
