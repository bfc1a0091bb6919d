"""The built-in trainer: the arm's checkpoint fine-tuned on the round's pairs, in process.

``BuiltinTrainer`` fine-tunes a Hugging Face sequence classifier with one output with
``harness.models.training.train_pairwise`` (the Bradley-Terry loss); it is what an
experiment uses when no ``--trainer`` is given. Why a loop of our own rather than TRL's
``RewardTrainer``: with transformers 4.57 TRL's trainer fails on encoder classifiers such
as the demo's MiniLM: it passes ``use_cache`` to the model, which BERT's ``forward``
rejects, and it appends an EOS token that BERT tokenizers do not have. A decoder reward
model can go through TRL by a hook (``trainer_hooks.py``).

Staging, verification and placing are ``trainer.Trainer``'s. What this module adds is
the check that training itself went well: the loss is a running average (an EMA) of
every step's loss, so one NaN or infinite step leaves the final loss non-finite, and the
weights are also checked; either is a ``TrainerError`` that says to lower the learning
rate or check the pairs.
"""

from __future__ import annotations

import math
from pathlib import Path

from harness.experiments.rounds.trainer import Job, Trainer, TrainerError
from harness.models.training import TrainSummary

__all__ = ["BuiltinTrainer"]


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
