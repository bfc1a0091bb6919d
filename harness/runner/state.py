"""What a run has already done, rebuilt from its log: the resume state.

A run's progress lives in one place, its log. ``RunState.from_entries`` folds the typed
entries of a killed run's log into the sets a resume needs (which units, clean passes
and replays are done, which findings the log holds), and ``observe`` folds in each entry
as the recorder writes it, so a fresh run and a resumed one consult the same state. It
does no I/O: entries in, state out.

    state = RunState.from_entries(read_log(path).entries)
    pending = [u for u in units if u.id not in state.done_units]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.runlog import (
    AttemptEntry,
    CleanEntry,
    Entry,
    FindingEntry,
    InitEntry,
    InstabilityEntry,
    JudgesValidationEntry,
    ReplayEntry,
)

#: (phase, source checkpoint, target checkpoint, finding id) of one replay.
ReplayKey = tuple[str, int, int, int]


@dataclass
class RunState:
    """The run's entries so far, and the indexes over them that decide what is left."""

    init: InitEntry | None = None
    entries: list[Entry] = field(default_factory=list)
    done_units: set[str] = field(default_factory=set)  # units with an attempt line
    clean_done: set[int] = field(default_factory=set)  # checkpoints with a clean line
    judges_validated: bool = False  # a validation line is in the log
    #: (checkpoint, store key) of every finding and instability line: never logged twice.
    logged: set[tuple[int, str]] = field(default_factory=set)
    replayed: set[ReplayKey] = field(default_factory=set)
    #: This run's findings per checkpoint, by store key (the transfer stage replays them).
    run_findings: dict[int, dict[str, FindingEntry]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> RunState:
        state = cls()
        for entry in entries:
            state.observe(entry)
        return state

    def observe(self, entry: Entry) -> None:
        """Fold in one entry (in log order)."""
        self.entries.append(entry)
        if isinstance(entry, InitEntry):
            if self.init is None:
                self.init = entry
        elif isinstance(entry, AttemptEntry):
            self.done_units.add(entry.unit)
        elif isinstance(entry, CleanEntry):
            self.clean_done.add(entry.checkpoint)
        elif isinstance(entry, FindingEntry):
            self.logged.add((entry.checkpoint, entry.key))
            self.run_findings.setdefault(entry.checkpoint, {})[entry.key] = entry
        elif isinstance(entry, InstabilityEntry):
            self.logged.add((entry.checkpoint, entry.key))
        elif isinstance(entry, JudgesValidationEntry):
            self.judges_validated = True
        elif isinstance(entry, ReplayEntry):
            self.replayed.add((entry.phase, entry.source, entry.checkpoint, entry.finding_id))

    def findings_on(self, checkpoint: int) -> list[FindingEntry]:
        """This run's findings on ``checkpoint``, in the order they were first logged."""
        return list(self.run_findings.get(checkpoint, {}).values())

    def __repr__(self) -> str:
        run = self.init.run_id if self.init else None
        findings = sum(len(f) for f in self.run_findings.values())
        return (
            f"RunState(run_id={run!r}, entries={len(self.entries)}, "
            f"done_units={len(self.done_units)}, findings={findings}, "
            f"replayed={len(self.replayed)})"
        )
