"""What every trainer does around its own work: stage, verify, place, and report.

A ``Trainer`` turns (the arm's previous checkpoint, a pair file, an output folder, a
config, a seed) into a new checkpoint and a ``TrainResult`` for the experiment log. The
kinds differ only in how they make the checkpoint (``Trainer._run``); ``Trainer.train``
is the one place that makes any of them safe to resume and to trust, so a hook written
by a user gets the same guarantees as the built-in trainer. The kinds, picked by
``trainer_hooks.make_trainer(spec)``:

- ``BuiltinTrainer`` (no spec, ``builtin_trainer.py``): fine-tunes a Hugging Face
  sequence classifier with ``harness.models.training.train_pairwise`` (the
  Bradley-Terry loss).
- ``CallableTrainer("module:function")`` and ``CommandTrainer("cmd ... {init} {pairs}
  {out}")`` (``trainer_hooks.py``): the user's own training, as a Python function or a
  command.

**Atomic output.** Every trainer writes into a staging folder beside ``out_dir``; only a
checkpoint that loads is renamed to ``out_dir`` (replacing one left by a killed run). A
kill during training leaves no ``out_dir``, and a resumed experiment trains again from
the same seed. A hook that returns a folder outside its staging folder is used where it
is (and recorded so).

**Failure.** A trainer that raises, exits non-zero, writes no checkpoint or one that
``harness.models.load_reward_model`` cannot load or that scores a pair as NaN, and a
non-finite training loss, all raise ``TrainerError``, one line. The experiment then
stops that arm, keeps its previous checkpoint, records the error, and goes on with the
other arms (issue 12).
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.core.data import PreferencePair, read_pairs
from harness.core.durable import crash_point
from harness.core.errors import HarnessError
from harness.experiments.rounds.pairfile import pairs_hash
from harness.models.training import TrainConfig, TrainSummary

__all__ = ["Job", "TrainResult", "Trainer", "TrainerError", "one_line"]

_MESSAGE_CHARS = 300


class TrainerError(HarnessError):
    """Retraining failed: stop the arm, keep its previous checkpoint, record this message."""


def one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """``text`` as one line of at most ``limit`` characters (its end kept: errors end there)."""
    line = " | ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return line if len(line) <= limit else "..." + line[-(limit - 3) :]


@dataclass(frozen=True)
class TrainResult:
    """One retraining, as the experiment log records it.

    ``steps``, ``final_loss`` and ``train_accuracy`` are the built-in trainer's (None for a
    hook, which reports nothing back); ``data_hash`` is ``pairfile.pairs_hash`` of the pair
    file; ``config`` the hyper-parameters, seed included.
    """

    checkpoint: Path
    trainer: str
    pairs: int
    data_hash: str
    seconds: float
    config: dict[str, Any] = field(hash=False)
    steps: int | None = None
    final_loss: float | None = None
    train_accuracy: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "checkpoint": str(self.checkpoint),
            "trainer": self.trainer,
            "pairs": self.pairs,
            "data_hash": self.data_hash,
            "seconds": round(self.seconds, 3),
            "config": dict(self.config),
            "steps": self.steps,
            "final_loss": self.final_loss,
            "train_accuracy": self.train_accuracy,
        }


@dataclass(frozen=True)
class Job:
    """One training job as a trainer's ``_run`` sees it (``staging``: where to write)."""

    init_checkpoint: Path
    pairs_jsonl: Path
    pairs: list[PreferencePair] = field(hash=False)
    staging: Path
    out_dir: Path
    config: TrainConfig


class Trainer(ABC):
    """Makes the next checkpoint of an arm. Subclasses implement ``_run``."""

    #: What the log records as the trainer ("builtin", "callable:mod:fn", "command:...").
    name: str

    def train(
        self,
        init_checkpoint: Path,
        pairs_jsonl: Path,
        out_dir: Path,
        config: TrainConfig,
        seed: int,
    ) -> TrainResult:
        """Train from ``init_checkpoint`` on ``pairs_jsonl`` into ``out_dir`` (replaced if there).

        Raises ``TrainerError`` on any failure, leaving ``out_dir`` as it was and no staging
        folder behind. A bad pair file raises ``DataError``, before any training.
        """
        out_dir = Path(out_dir)
        pairs = read_pairs(pairs_jsonl)  # bad data is the caller's error (DataError), not ours
        config = replace(config, seed=seed)
        staging = out_dir.with_name(f".{out_dir.name}.staging")
        job = Job(Path(init_checkpoint), Path(pairs_jsonl), pairs, staging, out_dir, config)
        _remove(staging)
        staging.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        try:
            made, summary = self._run(job)
            made = Path(made)
            _verify(made, self.name, pairs[0])
            final = self._place(made, staging, out_dir)
        except TrainerError:
            _remove(staging)
            raise
        except Exception as exc:
            _remove(staging)
            raise TrainerError(
                f"trainer {self.name} failed: {type(exc).__name__}: {one_line(str(exc))}"
            ) from exc
        return TrainResult(
            checkpoint=final,
            trainer=self.name,
            pairs=len(pairs),
            data_hash=pairs_hash(pairs),
            seconds=time.perf_counter() - started,
            config=config.as_dict(),
            steps=summary.steps if summary else None,
            final_loss=summary.final_loss if summary else None,
            train_accuracy=summary.train_accuracy if summary else None,
        )

    @abstractmethod
    def _run(self, job: Job) -> tuple[Path, TrainSummary | None]:
        """Write a checkpoint (into ``job.staging``, normally) and return its folder."""

    @staticmethod
    def _place(made: Path, staging: Path, out_dir: Path) -> Path:
        """Rename the staging folder to ``out_dir``; the checkpoint's path after that."""
        made, staging = made.resolve(), staging.resolve()
        if not made.is_relative_to(staging):
            _remove(staging)  # the hook kept its checkpoint elsewhere: used where it is
            return made
        _remove(out_dir)  # a checkpoint left by a killed run, whose log entry never came
        os.replace(staging, out_dir)
        crash_point(f"renamed {out_dir.name} into place")
        return out_dir / made.relative_to(staging)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _verify(checkpoint: Path, trainer: str, probe: Any) -> None:
    """Load ``checkpoint`` with the real loader and score one pair: finite, or TrainerError."""
    import numpy as np

    from harness.models import load_reward_model

    if not checkpoint.is_dir():
        raise TrainerError(f"trainer {trainer} returned {checkpoint}, which is not a folder")
    try:
        model = load_reward_model(checkpoint)
        scores = model.score_batch(
            model.prepare([probe.prompt] * 2, [probe.chosen, probe.rejected])
        )
    except Exception as exc:
        raise TrainerError(
            f"trainer {trainer} wrote {checkpoint}, which the loader cannot read: "
            f"{one_line(str(exc)) or type(exc).__name__}"
        ) from exc
    if not np.all(np.isfinite(scores)):
        raise TrainerError(f"trainer {trainer} wrote {checkpoint}, whose scores are not finite")
