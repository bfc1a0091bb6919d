"""What an experiment is given and what it returns: its settings, its data, its result.

``ExperimentConfig`` is recorded whole in the ``init`` entry, so a resumed experiment
reads back exactly the settings it started with (``rmh rounds --resume`` refuses changed
ones); its fields' metadata become the command line's options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.core.data import PreferencePair
from harness.experiments.rounds.experiment_log import ErrorEntry, VerdictEntry
from harness.experiments.rounds.outcomes import RoundSummary
from harness.models.training import TrainConfig

__all__ = ["ExperimentConfig", "ExperimentData", "ExperimentResult"]


@dataclass(frozen=True)
class ExperimentConfig:
    """How the experiment runs; recorded in the ``init`` entry, so a resume reads it back."""

    rounds: int = field(default=2, metadata={"min": 1, "help": "Retrained rounds after round 0."})
    arms: str = field(
        default="findings,clean,synthetic",
        metadata={"help": "Arms, comma-separated: findings, clean, synthetic."},
    )
    heldout_families: str | None = field(
        default=None,
        metadata={
            "help": "Attack families attacked every round but never trained on, "
            "comma-separated. Default: the suite's template families."
        },
    )
    seed: int = field(default=0, metadata={"help": "Experiment seed: split, rounds, training."})
    seeds: int = field(
        default=3,
        metadata={
            "min": 1,
            "help": "Training replicates per arm and round, each from its own training seed "
            "(shared across arms); the attack seeds are shared by every replicate.",
        },
    )
    delta: float = field(
        default=0.05,
        metadata={
            "help": "Equivalence margin: an arm is equivalent to clean when the interval of "
            "its difference lies inside (-delta, delta). Strictly between 0 and 0.5."
        },
    )
    effect_size: float = field(
        default=0.15,
        metadata={
            "help": "The effect the experiment is sized for: a primary contrast whose "
            "minimum detectable effect (80% power, two-sided 95%) exceeds it is underpowered."
        },
    )
    require_power: bool = field(
        default=False,
        metadata={
            "help": "Stop after round 0 with verdict 'underpowered' (exit 2) when a primary "
            "contrast's minimum detectable effect exceeds --effect-size."
        },
    )
    calibrate: bool = field(
        default=True,
        metadata={
            "help": "Before round 0, pick each trained family's fresh-attack budget on the "
            "attack prompts so that its ASR lands in 0.3-0.7 (a doubling ladder)."
        },
    )
    calibration_cap: int = field(
        default=8,
        metadata={
            "min": 1,
            "help": "The largest budget multiple the calibration tries (1, 2, 4, ... up to it).",
        },
    )
    eval_prompts: int | None = field(
        default=None,
        metadata={
            "min": 1,
            "help": "Evaluation prompts (a seeded sample). Default: every eligible one.",
        },
    )
    prompts: int | None = field(
        default=None,
        metadata={
            "min": 1,
            "help": "Attack prompts (a seeded sample). Default: the suite's data.sample, "
            "else all. Evaluation prompts: --eval-prompts.",
        },
    )
    synthetic_kinds: str | None = field(
        default=None,
        metadata={
            "help": "The synthetic arm's degenerate kinds, comma-separated (soup-common, "
            "soup-rare, repetition, padding, non-answer, soup-non-answer). Default: "
            "soup-common,soup-rare,repetition,padding. A kind that makes a held-out "
            "family's nonsense is refused."
        },
    )
    round_pairs: int | None = field(
        default=None,
        metadata={
            "min": 1,
            "help": "Pairs per retraining, the same for every arm and round (extra pairs "
            "first, clean pairs fill the rest). Default: the number of clean pairs.",
        },
    )
    epochs: int = field(default=1, metadata={"min": 1, "help": "Passes over the round's pairs."})
    batch_pairs: int = field(default=16, metadata={"min": 1, "help": "Pairs per training step."})
    learning_rate: float = field(default=5e-5, metadata={"min": 0, "help": "AdamW peak rate."})
    max_length: int = field(default=96, metadata={"min": 8, "help": "Tokens per sequence."})
    trainable_layers: int | None = field(
        default=None,
        metadata={"min": 0, "help": "Train only the top N transformer layers (and the head)."},
    )
    freeze_embeddings: bool = field(
        default=True, metadata={"help": "Keep the input embeddings fixed while retraining."}
    )
    members_per_exploit: int = field(
        default=2,
        metadata={"min": 0, "help": "Extra members per exploit besides its best (findings)."},
    )
    batch_size: int = field(
        default=DEFAULT_BATCH_SIZE, metadata={"min": 1, "help": "Scoring batch size."}
    )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_pairs=self.batch_pairs,
            learning_rate=self.learning_rate,
            max_length=self.max_length,
            trainable_layers=self.trainable_layers,
            freeze_embeddings=self.freeze_embeddings,
        )


@dataclass(frozen=True)
class ExperimentData:
    """The clean training pairs, the evaluation pairs, and the pairs whose prompts are
    attacked and trained on (default: the training pairs)."""

    train: Sequence[PreferencePair]
    evaluation: Sequence[PreferencePair]
    attack: Sequence[PreferencePair] | None = None


@dataclass(frozen=True)
class ExperimentResult:
    folder: Path
    summaries: list[RoundSummary]
    verdict: VerdictEntry
    seconds: float
    stopped: tuple[ErrorEntry, ...] = ()  # the replicates that stopped (trainer error, NaN loss)
    seeds: int = 1  # training replicates per arm
    underpowered: bool = False  # stopped after round 0 by --require-power (verdict underpowered)
