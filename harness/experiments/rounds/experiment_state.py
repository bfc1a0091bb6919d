"""What the experiment log says is done: the state a resume continues from, by step.

A step is done when its line is in the log (``experiment_log``): ``calibration`` before
round 0 (``calibrate.py``); ``augment``, then ``train`` or ``nothing_to_add``, then
``round``, for one arm, round and training replicate (``Step``). ``ExperimentState``
folds the log's entries into dictionaries by step, with no I/O, so the experiment
(``experiment.py``), the outcomes and the report read one state built the same way,
from a log being written or from a finished one.

    state = ExperimentState.from_entries(read_log(path, format=EXPERIMENT_LOG).entries)
    state.rounds[Step("findings", 2, replicate=1)].run   # that run's folder
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from harness.experiments.rounds.experiment_log import (
    AugmentEntry,
    CalibrationEntry,
    ErrorEntry,
    InitEntry,
    NothingToAddEntry,
    PowerEntry,
    RoundEntry,
    SplitEntry,
    TrainEntry,
    VerdictEntry,
)
from harness.runlog.entries import Entry

__all__ = ["ZERO", "ExperimentState", "Step"]


class Step(NamedTuple):
    """One step's place: the arm (None: round 0), the round and the training replicate.

    Round 0 is ``Step(None, 0)``, shared by every arm and replicate. ``Step(arm, r)``
    is replicate 0, the one lineage of a single-seed experiment (and of a 2.x log).
    """

    arm: str | None
    round: int
    replicate: int = 0


ZERO = Step(None, 0)


def _step(entry: AugmentEntry | TrainEntry | NothingToAddEntry | RoundEntry) -> Step:
    return Step(entry.arm, entry.round, entry.replicate)


@dataclass
class ExperimentState:
    """What the log says is done, by ``Step``. No I/O: entries in, state out."""

    init: InitEntry | None = None
    split: SplitEntry | None = None
    calibration: CalibrationEntry | None = None
    augments: dict[Step, AugmentEntry] = field(default_factory=dict)
    trains: dict[Step, TrainEntry] = field(default_factory=dict)
    nothing: dict[Step, NothingToAddEntry] = field(default_factory=dict)
    #: (arm, replicate) -> the error that stopped that lineage
    errors: dict[tuple[str, int], ErrorEntry] = field(default_factory=dict)
    rounds: dict[Step, RoundEntry] = field(default_factory=dict)
    power: PowerEntry | None = None
    verdict: VerdictEntry | None = None

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> ExperimentState:
        state = cls()
        for entry in entries:
            state.observe(entry)
        return state

    def observe(self, entry: Entry) -> None:
        if isinstance(entry, InitEntry):
            self.init = self.init or entry
        elif isinstance(entry, SplitEntry):
            self.split = self.split or entry
        elif isinstance(entry, CalibrationEntry):
            self.calibration = self.calibration or entry
        elif isinstance(entry, AugmentEntry):
            self.augments[_step(entry)] = entry
        elif isinstance(entry, TrainEntry):
            self.trains[_step(entry)] = entry
        elif isinstance(entry, NothingToAddEntry):
            self.nothing[_step(entry)] = entry
        elif isinstance(entry, ErrorEntry):
            self.errors.setdefault((entry.arm, entry.replicate), entry)
        elif isinstance(entry, RoundEntry):
            self.rounds[_step(entry)] = entry
        elif isinstance(entry, PowerEntry):
            self.power = self.power or entry
        elif isinstance(entry, VerdictEntry):
            self.verdict = entry

    def stopped(self, arm: str, round: int, replicate: int = 0) -> bool:
        """The arm's ``replicate`` stopped at or before ``round``."""
        error = self.errors.get((arm, replicate))
        return error is not None and error.round <= round

    def replicates(self, arm: str) -> list[int]:
        """The replicates of ``arm`` with a measured round r >= 1, in order."""
        return sorted({s.replicate for s in self.rounds if s.arm == arm and s.round >= 1})
