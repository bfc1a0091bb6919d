"""Retraining one arm for one round: the built-in pairwise trainer, or the user's own.

A ``Trainer`` turns (the arm's previous checkpoint, a pair file, an output folder, a
config, a seed) into a new checkpoint and a ``TrainResult`` for the experiment log. Three
kinds, picked by ``make_trainer(spec)``:

- ``BuiltinTrainer`` (no spec): fine-tunes a Hugging Face sequence classifier with
  ``harness.models.training.train_pairwise`` (the Bradley-Terry loss). Why a loop of our
  own rather than TRL's ``RewardTrainer``: with transformers 4.57 TRL's trainer fails on
  encoder classifiers such as the demo's MiniLM: it passes ``use_cache`` to the model,
  which BERT's ``forward`` rejects, and it appends an EOS token that BERT tokenizers do
  not have. A decoder reward model can go through TRL by a hook.
- ``CallableTrainer("module:function")``: calls
  ``function(init_checkpoint, pairs_jsonl, out_dir, config) -> checkpoint_dir`` (paths
  are ``pathlib.Path``; ``config`` is a plain dict of ``TrainConfig`` fields, seed
  included; returning None means ``out_dir``).
- ``CommandTrainer("cmd ... {init} {pairs} {out}")``: runs a command, without a shell;
  the template is split like a shell would (``shlex``) and ``{init}``, ``{pairs}``,
  ``{out}``, and optionally ``{config}`` (a JSON file of the config) and ``{seed}``, are
  substituted in each word. The checkpoint is ``{out}``.

**Atomic output.** Every trainer writes into a staging folder beside ``out_dir``; only a
checkpoint that loads is renamed to ``out_dir`` (replacing one left by a killed run). A
kill during training leaves no ``out_dir``, and a resumed experiment trains again from
the same seed. A hook that returns a folder outside its staging folder is used where it
is (and recorded so).

**Failure.** A trainer that raises, exits non-zero, writes no checkpoint or one that
``harness.models.load_reward_model`` cannot load or that scores a pair as NaN, and a
non-finite training loss, all raise ``TrainerError``, one line. The experiment then
stops that arm, keeps its previous checkpoint, records the error, and goes on with the
other arms (issue 12). The built-in loss is a running average (an EMA) of every step's
loss, so one NaN or infinite step leaves the final loss non-finite; the weights are also
checked.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import shlex
import shutil
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.core.data import PreferencePair, read_pairs
from harness.core.durable import crash_point
from harness.core.errors import HarnessError
from harness.experiments.rounds.pairfile import pairs_hash
from harness.models.training import TrainConfig, TrainSummary

__all__ = [
    "BuiltinTrainer",
    "CallableTrainer",
    "CommandTrainer",
    "Job",
    "TrainResult",
    "Trainer",
    "TrainerError",
    "make_trainer",
]

_PLACEHOLDERS = ("{init}", "{pairs}", "{out}")
_TAIL_LINES = 3
_MESSAGE_CHARS = 300


class TrainerError(HarnessError):
    """Retraining failed: stop the arm, keep its previous checkpoint, record this message."""


def _one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
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
                f"trainer {self.name} failed: {type(exc).__name__}: {_one_line(str(exc))}"
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
            f"{_one_line(str(exc)) or type(exc).__name__}"
        ) from exc
    if not np.all(np.isfinite(scores)):
        raise TrainerError(f"trainer {trainer} wrote {checkpoint}, whose scores are not finite")


# ---------------------------------------------------------------------------- built-in
class BuiltinTrainer(Trainer):
    """Fine-tunes an HF sequence classifier with one output with ``train_pairwise``."""

    name = "builtin"

    def __init__(self, *, progress: bool = False, device: str | None = None) -> None:
        self.progress = progress
        self.device = device

    def _run(self, job: Job) -> tuple[Path, TrainSummary]:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from harness.models.device import pick_device
        from harness.models.training import train_pairwise

        source, config = str(job.init_checkpoint), job.config
        model = AutoModelForSequenceClassification.from_pretrained(
            source, local_files_only=True, use_safetensors=True
        )
        if model.config.num_labels != 1:
            raise TrainerError(
                f"the built-in trainer trains a one-output reward head; {source} has "
                f"{model.config.num_labels} labels: use a trainer hook (--trainer)"
            )
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        if tokenizer.pad_token is None:  # as the loader does: pad with a token it has
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token or tokenizer.bos_token
            if model.config.pad_token_id is None:
                model.config.pad_token_id = tokenizer.pad_token_id
        model.to(pick_device(self.device))
        summary = train_pairwise(
            model,
            tokenizer,
            job.pairs,
            config,
            progress=self.progress,
            description=f"training {job.out_dir.name}",
        )
        if not math.isfinite(summary.final_loss):
            raise TrainerError(
                f"training loss is {summary.final_loss} after {summary.steps} steps "
                f"(learning rate {config.learning_rate:g}); lower it or check the pairs"
            )
        with torch.no_grad():
            broken = [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]
        if broken:
            raise TrainerError(
                f"training left {len(broken)} weight tensors non-finite (e.g. {broken[0]}) "
                f"(learning rate {config.learning_rate:g}); lower it or check the pairs"
            )
        model.to("cpu")
        model.save_pretrained(str(job.staging), safe_serialization=True)
        # the tokenizer as it was: training set its padding side (and maybe a pad token)
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        tokenizer.save_pretrained(str(job.staging))
        return job.staging, summary


# ------------------------------------------------------------------------------- hooks
class CallableTrainer(Trainer):
    """``module:function(init_checkpoint, pairs_jsonl, out_dir, config) -> checkpoint_dir``."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.name = f"callable:{spec}"
        self.function = _import(spec)

    def _run(self, job: Job) -> tuple[Path, None]:
        job.staging.mkdir(parents=True)
        made = self.function(
            job.init_checkpoint, job.pairs_jsonl, job.staging, job.config.as_dict()
        )
        if made is not None and not isinstance(made, (str, os.PathLike)):
            raise TrainerError(
                f"trainer {self.name} returned {type(made).__name__}; "
                "it must return the checkpoint folder (or None for out_dir)"
            )
        return Path(made) if made is not None else job.staging, None


def _import(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise TrainerError(f"trainer hook {spec!r} must look like module:function")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise TrainerError(
            f"cannot import trainer hook module {module_name!r}: {type(exc).__name__}: "
            f"{_one_line(str(exc))}"
        ) from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise TrainerError(f"trainer hook {spec!r}: {module_name} has no {attribute}") from None
    if not callable(target):
        raise TrainerError(f"trainer hook {spec!r} is not callable")
    return target


class CommandTrainer(Trainer):
    """A command template with ``{init}``, ``{pairs}`` and ``{out}`` (``{config}``, ``{seed}``).

    The command's output goes to ``<out_dir>.log`` beside the checkpoint; a failure's
    message carries the last lines of its stderr.
    """

    def __init__(self, template: str, *, timeout: float | None = None) -> None:
        try:
            words = shlex.split(template)
        except ValueError as exc:
            raise TrainerError(f"cannot split trainer command {template!r}: {exc}") from None
        missing = [p for p in _PLACEHOLDERS if not any(p in w for w in words)]
        if missing:
            raise TrainerError(
                f"trainer command {template!r} lacks {', '.join(missing)}; it needs "
                f"{', '.join(_PLACEHOLDERS)} (the checkpoint, the pair file, the output folder)"
            )
        self.template = template
        self.words = words
        self.timeout = timeout
        self.name = f"command:{template}"

    def argv(self, values: dict[str, str]) -> list[str]:
        """The command's words with the placeholders filled (no shell, so no quoting)."""
        out = []
        for word in self.words:
            for key, value in values.items():
                word = word.replace("{" + key + "}", value)
            out.append(word)
        return out

    def _run(self, job: Job) -> tuple[Path, None]:
        config_file = job.staging.with_name(f"{job.staging.name}.config.json")
        log = job.out_dir.with_name(f"{job.out_dir.name}.log")
        config_file.write_text(json.dumps(job.config.as_dict(), indent=2) + "\n")
        values = {
            "init": str(job.init_checkpoint),
            "pairs": str(job.pairs_jsonl),
            "out": str(job.staging),
            "config": str(config_file),
            "seed": str(job.config.seed),
        }
        argv = self.argv(values)
        try:
            with log.open("wb") as out:
                done = subprocess.run(
                    argv, stdout=out, stderr=subprocess.PIPE, timeout=self.timeout, check=False
                )
                out.write(done.stderr)
        except FileNotFoundError:
            raise TrainerError(f"trainer command not found: {argv[0]!r}") from None
        except subprocess.TimeoutExpired:
            raise TrainerError(
                f"trainer command timed out after {self.timeout:g}s: {shlex.join(argv)}"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                config_file.unlink()
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-_TAIL_LINES:]
            raise TrainerError(
                f"trainer command exited with status {done.returncode}: "
                f"{_one_line(chr(10).join(tail)) or 'no error output'} (output in {log})"
            )
        return job.staging, None


def make_trainer(spec: str | None) -> Trainer:
    """``None``: built-in; ``module:function`` (no spaces): a callable; else a command template."""
    if spec is None or not spec.strip():
        return BuiltinTrainer()
    spec = spec.strip()
    if ":" in spec and not any(c.isspace() for c in spec):
        return CallableTrainer(spec)
    return CommandTrainer(spec)
