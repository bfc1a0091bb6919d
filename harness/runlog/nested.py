"""The records nested inside run-log entries: what the ``init`` entry holds (the suite,
its seeds, how the run was configured, the attacks it skipped) and what a ``clean``
entry measures (accuracy, chance rate). Typed like the entries (``record.Record``); the
entries themselves are ``entries``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from harness.runlog.record import LogVersion, Record
from harness.runlog.run_options import RunOptions


@dataclass(frozen=True, kw_only=True)
class SuiteRecord(Record):
    name: str
    origin: str
    text: str  # the whole suite TOML


@dataclass(frozen=True, kw_only=True)
class Seeds(Record):
    seed: int
    replicates: int


@dataclass(frozen=True, kw_only=True)
class RunConfig(Record):
    """How the run was started; a resume reads it back instead of asking again."""

    checkpoints: tuple[str, ...]  # specs, directories made absolute
    options: dict[str, Any]  # harness.models.LoadOptions as a dict
    run_options: RunOptions  # the store as an absolute path
    suite_origin: str = ""
    suite_dir: str | None = None  # relative data paths of the suite resolve here
    judges: tuple[dict[str, Any], ...] = ()  # JudgeSpec JSON, checkpoints resolved
    # attack id -> its params with checkpoints resolved (a transfer's surrogate); 3.2
    attacks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: LogVersion) -> dict[str, Any]:
        """Before log version 3.0 the run options sat flat in the config, and a config
        without ``replay`` (from before 2.2) replayed every stored finding.

        Keyed on the shape alone: a nested record is read without its log's version.
        """
        if "run_options" not in data:
            moved = {name: data.pop(name) for name in _RUN_OPTION_FIELDS if name in data}
            data["run_options"] = {"replay": "all", **moved}
        return data


_RUN_OPTION_FIELDS = tuple(f.name for f in fields(RunOptions))


@dataclass(frozen=True, kw_only=True)
class AccuracyRecord(Record):
    """``harness.scoring.accuracy.PairwiseAccuracy`` as logged."""

    accuracy: float
    correct: int
    n: int
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, kw_only=True)
class ChanceRecord(Record):
    """``attacks.chance.ChanceRate`` as logged."""

    rate: float
    wins: int
    n: int
    prompts: int | None = None
    n_words: int | None = None


@dataclass(frozen=True, kw_only=True)
class SkippedAttack(Record):
    """A suite attack left out on one checkpoint because it cannot search it there (a
    white-box attack on a model without gradients, such as an HTTP endpoint). Decided
    once, when the run starts: none of its units on that checkpoint is planned, so none
    is attempted, counted or redone on resume."""

    attack_id: str  # the suite's id for the attack
    attack: str  # the attack's registry name
    checkpoint: int
    reason: str  # e.g. "white-box, the model gives no gradients"


@dataclass(frozen=True, kw_only=True)
class LibraryRecord(Record):
    """What a run seeded its searches from (a suite's ``seed_from = "library"``; log 3.2):
    the stored exploits, best first, read once when the run starts and as of its horizons,
    so a resume reads (and checks) the same ones."""

    exploit_ids: tuple[int, ...]  # the seeds' exploits, best first
    seeds: int  # how many (``len(exploit_ids)``; at most the suite's ``library_seeds``)
    stored: int  # exploits in the store as of the replay horizon
    attacked_only: int  # of those, found only on prompts this run attacks: no seed
    sighting_horizon: int  # the newest sighting then: open replays are counted up to it
    attacks: tuple[str, ...]  # the suite's attack ids that take seeds (``Attack.seedable``)
