"""The experiment log, ``experiment.jsonl``: what the whack-a-mole experiment did, typed.

One frozen dataclass per line type, written and read with the run log's machinery
(``harness.runlog.log``: ``RunLog`` appends a line whole, flushed and fsync'd;
``read_log(path, format=EXPERIMENT_LOG)`` reads the lines back typed and tolerates a cut
last line, which ``RunLog.append_to`` trims before a resume writes). Every field is
documented in ``docs/rounds.md`` ("Experiment log"), which a test keeps in step.

The log is the experiment's progress: a step is done when its line is there
(``experiment_state.ExperimentState``, by ``Step``: arm, round and training replicate),
so a killed experiment resumes at the first step without one.

    log = read_log("exp/demo/experiment.jsonl", format=EXPERIMENT_LOG)
    for entry in log.of_type(RoundEntry):
        print(entry.arm, entry.round, entry.run)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.experiments.rounds.across_rounds import McNemar, Trend
from harness.experiments.rounds.augment import Augmentation
from harness.experiments.rounds.budget_ladder import FamilyBudget
from harness.experiments.rounds.contrasts import Contrast
from harness.experiments.rounds.paired import PairedTest
from harness.experiments.rounds.rules import ArmVerdict
from harness.experiments.rounds.trainer import TrainResult
from harness.runlog.entries import Entry, SuiteRecord
from harness.runlog.log import LogFormat
from harness.runlog.record import LogVersion, Record

__all__ = [
    "ENTRY_TYPES",
    "EXPERIMENT_LOG",
    "LOG_NAME",
    "LOG_VERSION",
    "AugmentEntry",
    "CalibrationEntry",
    "ContrastRecord",
    "ErrorEntry",
    "InitEntry",
    "NothingToAddEntry",
    "PowerEntry",
    "RoundEntry",
    "SplitEntry",
    "TrainEntry",
    "VerdictEntry",
    "VerdictRecord",
]

LOG_NAME = "experiment.jsonl"
#: 2.0: the rounds read clean accuracy and the chance rate from their runs' ``clean``
#: entries (run log 3.0), and the config lost ``soups_per_prompt``; a 1.x experiment is
#: reported, not resumed.
#: 3.0: training replicates (``--seeds``): the steps of rounds r >= 1 name their
#: ``replicate`` and live under ``<arm>/seed-<k>/``; the ``power`` entry; the split
#: records the evaluation prompts available. A 2.x experiment is reported (its entries
#: are replicate 0, their paths as logged), not resumed. 3.1: the ``calibration`` entry.
LOG_VERSION = "3.1"

#: Per prompt: (successes, trials), as JSON arrays.
PerPrompt = dict[str, Any]


def _finite(value: float | None) -> float | None:
    """JSON has no NaN: a number that is not finite is written as null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# ------------------------------------------------------------------ entries
@dataclass(frozen=True, kw_only=True)
class InitEntry(Entry):
    """First line: what the experiment is; a resume reads everything from here."""

    type: ClassVar[str] = "init"
    experiment_id: str
    log_version: str = LOG_VERSION
    seed: int
    arms: tuple[str, ...]
    rounds: int
    trained_families: tuple[str, ...]
    heldout_families: tuple[str, ...]
    suite: SuiteRecord
    suite_dir: str | None = None
    checkpoint: str  # the starting checkpoint, absolute
    fingerprint: str
    trainer: str  # "builtin", "callable:module:function" or "command:..."
    trainer_spec: str | None = None  # as given (None: the built-in trainer)
    train: dict[str, Any]  # harness.models.training.TrainConfig, seed per round aside
    config: dict[str, Any]  # the experiment's settings (ExperimentConfig)
    data: dict[str, Any]  # per data file: path (in the folder), pairs, hash
    versions: dict[str, str] = field(default_factory=dict)
    started_at: str = ""


@dataclass(frozen=True, kw_only=True)
class SplitEntry(Entry):
    """The prompt split: attack prompts (trained on) and evaluation prompts (never)."""

    type: ClassVar[str] = "split"
    seed: int
    attack: tuple[str, ...]
    evaluation: tuple[str, ...]
    attack_pairs: int
    evaluation_pairs: int
    evaluation_available: int | None = None  # eligible before --eval-prompts (None: 2.x)


@dataclass(frozen=True, kw_only=True)
class CalibrationEntry(Entry):
    """The trained families' fresh-attack budgets, chosen on the attack prompts before
    round 0 (``calibrate.py``); every round's suite uses ``budgets``."""

    type: ClassVar[str] = "calibration"
    seed: int  # the calibration's own seed, distinct from every round's
    prompts: int  # attack prompts tried
    low: float  # the band
    high: float
    cap: int  # the largest budget multiple allowed
    families: tuple[FamilyBudget, ...]
    budgets: dict[str, int]  # attack id -> calibrated budget, trained families only
    queries: int
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class AugmentEntry(Entry):
    """What one arm adds in one round (``augment.Augmentation``) and the file it trains on."""

    type: ClassVar[str] = "augment"
    arm: str
    round: int
    replicate: int = 0  # the training replicate (its lineage: <arm>/seed-<k>/)
    pairs: int
    exploits: int
    families: dict[str, int]
    data_hash: str
    file: str | None = None  # augment.jsonl, relative to the experiment folder
    train_file: str | None = None  # train.jsonl: the pairs the trainer reads
    train_pairs: int = 0  # pairs in train.jsonl: the same for every arm and round
    clean_pairs: int = 0  # of which clean
    dropped: int = 0  # extra pairs left out: more than train_pairs

    @classmethod
    def of(cls, augmentation: Augmentation, **files: Any) -> AugmentEntry:
        return cls(**augmentation.to_json(), **files)


@dataclass(frozen=True, kw_only=True)
class TrainEntry(Entry):
    """One retraining (``trainer.TrainResult``): the arm's checkpoint for this round."""

    type: ClassVar[str] = "train"
    arm: str
    round: int
    replicate: int = 0
    checkpoint: str
    trainer: str
    pairs: int
    data_hash: str
    seconds: float
    config: dict[str, Any]
    steps: int | None = None
    final_loss: float | None = None
    train_accuracy: float | None = None

    @classmethod
    def of(cls, arm: str, round: int, result: TrainResult, *, replicate: int = 0) -> TrainEntry:
        return cls(arm=arm, round=round, replicate=replicate, **result.to_json())


@dataclass(frozen=True, kw_only=True)
class NothingToAddEntry(Entry):
    """The arm had no extra pairs this round: not retrained, its checkpoint carries over."""

    type: ClassVar[str] = "nothing_to_add"
    arm: str
    round: int
    replicate: int = 0
    checkpoint: str  # the checkpoint carried over (the arm's previous one)
    message: str


@dataclass(frozen=True, kw_only=True)
class ErrorEntry(Entry):
    """One replicate of the arm stopped: its trainer failed (or it could not augment).
    The arm's other replicates and the other arms go on."""

    type: ClassVar[str] = "error"
    arm: str
    round: int
    replicate: int = 0
    stage: Literal["augment", "train"]
    checkpoint: str  # the arm's last good checkpoint, kept
    message: str


@dataclass(frozen=True, kw_only=True)
class RoundEntry(Entry):
    """One round of one arm measured: its run, and the per-prompt clean measurements.

    ``arm`` is None for round 0, which is shared by every arm and replicate (its
    ``replicate`` is 0). ``clean`` and ``chance`` are per evaluation prompt
    ``[successes, trials]``; ``exploits`` (round 0 only) is per evaluation prompt how
    many exploits round 0 found there, its replay baseline.
    """

    type: ClassVar[str] = "round"
    arm: str | None = None
    round: int
    replicate: int = 0
    run: str  # the run folder, relative to the experiment folder
    run_id: str
    checkpoint: str
    fingerprint: str
    retrained: bool
    clean: PerPrompt
    chance: PerPrompt
    exploits: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class PowerEntry(Entry):
    """What round 0 says the experiment can detect, logged before the first retraining:
    ``power.round0_power``'s check (``PowerCheck.as_dict``) and whether it found the
    experiment underpowered for its declared effect size."""

    type: ClassVar[str] = "power"
    check: dict[str, Any]
    underpowered: bool


@dataclass(frozen=True, kw_only=True)
class ContrastRecord(Record):
    """``contrasts.Contrast`` as logged: not-finite numbers are null."""

    key: str
    label: str
    estimate: float | None
    low: float | None
    high: float | None
    n_prompts: int
    thresholds: tuple[float, ...] = ()
    confidence: float | None = None  # of the interval (None: logged before it was kept)
    resamples: int | None = None  # bootstrap resamples that had a value (bootstrap module doc)
    method: str | None = None  # the test (rules v2): sign-flip, t, sign-flip+t; None: bootstrap
    seeds: int | None = None  # training replicates the test averaged (rules v2)

    @classmethod
    def of(cls, contrast: Contrast) -> ContrastRecord:
        e = contrast.estimate
        tested = isinstance(e, PairedTest)
        return cls(
            key=contrast.key,
            label=contrast.label,
            estimate=_finite(e.estimate),
            low=_finite(e.low),
            high=_finite(e.high),
            n_prompts=e.n_prompts,
            thresholds=tuple(contrast.thresholds),
            confidence=e.confidence,
            resamples=None if tested else e.resamples,
            method=e.method if tested else None,
            seeds=e.seeds if tested else None,
        )


def _trend(t: Trend) -> dict[str, Any]:
    return {
        "estimable": t.estimable,
        "reason": t.reason,
        "odds_ratio": _finite(t.odds_ratio),
        "low": _finite(t.low),
        "high": _finite(t.high),
        "p_value": _finite(t.p_value),
        "n_prompts": t.n_prompts,
        "n_rounds": t.n_rounds,
    }


def _mcnemar(m: McNemar) -> dict[str, Any]:
    return {
        "before_only": m.before_only,
        "after_only": m.after_only,
        "both": m.both,
        "neither": m.neither,
        "p_value": _finite(m.p_value),
    }


@dataclass(frozen=True, kw_only=True)
class VerdictRecord(Record):
    """``rules.ArmVerdict`` as logged."""

    arm: str
    control: str
    outcome: str
    final_round: int | None
    reasons: tuple[str, ...]
    contrasts: tuple[ContrastRecord, ...]
    extra_prompts_needed: int | None = None
    trends: dict[str, Any] = field(default_factory=dict)
    mcnemar: dict[str, Any] = field(default_factory=dict)
    control_trends: dict[str, Any] = field(default_factory=dict)
    control_mcnemar: dict[str, Any] = field(default_factory=dict)
    qualifier: str | None = None  # "floor" or "ceiling": inconclusive (floor)
    power: dict[str, Any] | None = None  # power.PowerCheck.as_dict(), from round 0
    generalises: bool = False  # held-out fresh ASR fell beyond the control

    @property
    def label(self) -> str:
        return f"{self.outcome} ({self.qualifier})" if self.qualifier else self.outcome

    @classmethod
    def of(cls, verdict: ArmVerdict) -> VerdictRecord:
        return cls(
            arm=verdict.arm,
            control=verdict.control,
            outcome=verdict.outcome,
            final_round=verdict.final_round,
            reasons=tuple(verdict.reasons),
            contrasts=tuple(ContrastRecord.of(c) for c in verdict.contrasts),
            extra_prompts_needed=verdict.extra_prompts_needed,
            trends={k: _trend(v) for k, v in verdict.trends.items()},
            mcnemar={k: [_mcnemar(m) for m in v] for k, v in verdict.mcnemar.items()},
            control_trends={k: _trend(v) for k, v in verdict.control_trends.items()},
            control_mcnemar={
                k: [_mcnemar(m) for m in v] for k, v in verdict.control_mcnemar.items()
            },
            qualifier=verdict.qualifier,
            power=verdict.power.as_dict() if verdict.power else None,
            generalises=verdict.generalises,
        )


@dataclass(frozen=True, kw_only=True)
class VerdictEntry(Entry):
    """Last line: the verdict of each arm decided against ``clean``, and findings vs synthetic."""

    type: ClassVar[str] = "verdict"
    verdicts: tuple[VerdictRecord, ...]
    comparisons: tuple[ContrastRecord, ...] = ()  # findings against synthetic, not a rule
    wall_seconds: float = 0.0


ENTRY_CLASSES: tuple[type[Entry], ...] = (
    InitEntry,
    SplitEntry,
    CalibrationEntry,
    AugmentEntry,
    TrainEntry,
    NothingToAddEntry,
    ErrorEntry,
    RoundEntry,
    PowerEntry,
    VerdictEntry,
)
ENTRY_TYPES: dict[str, type[Entry]] = {cls.type: cls for cls in ENTRY_CLASSES}
EXPERIMENT_LOG = LogFormat("experiment log", ENTRY_TYPES, LogVersion.parse(LOG_VERSION))


def per_prompt(counts: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """A logged ``{prompt: [successes, trials]}`` as tuples."""
    return {p: (int(v[0]), int(v[1])) for p, v in counts.items()}
