"""Pairwise (Bradley-Terry) fine-tuning of a sequence classifier into a reward model.

The loss is ``-log sigmoid(r(chosen) - r(rejected))``, as in InstructGPT and TRL's
``RewardTrainer``. This small loop exists (rather than TRL's trainer) because TRL's
trainer targets decoder classifiers, passing ``use_cache`` and appending EOS, which BERT
classifiers reject; the demo model and the retraining rounds use BERT-like MiniLM.
Batches are padded dynamically, which halves step time on CPU against padding to max.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from tqdm.auto import tqdm

from harness.core.data import PreferencePair


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one pairwise fine-tuning job.

    Attributes:
        epochs: passes over the pairs.
        batch_pairs: pairs per optimizer step (each step runs 2x this many sequences).
        learning_rate: AdamW peak learning rate, linear warmup then linear decay.
        warmup_fraction: share of steps spent warming up.
        weight_decay: AdamW weight decay.
        max_length: tokens per (prompt, response) sequence; longer ones are truncated.
        freeze_embeddings: keep the input embeddings fixed (faster steps; on small data
            it also keeps rare-token embeddings from drifting).
        trainable_layers: train only this many of the top transformer layers (and the
            head); the lower ones stay frozen, so backward stops early. ``None`` trains
            every layer. On a small preference set the top layers carry most of the
            gain, at a fraction of the step time.
        max_steps: stop after this many optimizer steps (the schedule ends there too),
            even inside an epoch. Two jobs on data of different sizes then get the same
            number of steps, which is what a fair comparison of training sets needs.
        group_by_length: batch pairs of similar length together (shuffled in chunks of
            50 batches), which cuts padding without ordering the data by length.
        seed: shuffling and dropout seed; the same seed gives the same weights on CPU.
    """

    epochs: int = 1
    batch_pairs: int = 32
    learning_rate: float = 5e-5
    warmup_fraction: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 128
    freeze_embeddings: bool = False
    trainable_layers: int | None = None
    max_steps: int | None = None
    group_by_length: bool = True
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainSummary:
    steps: int
    final_loss: float
    train_accuracy: float


def _encode(tokenizer: Any, prompts: list[str], responses: list[str], max_length: int, device):
    batch = tokenizer(
        prompts,
        responses,
        padding=True,
        truncation="longest_first",
        max_length=max_length,
        return_tensors="pt",
    )
    return {k: v.to(device) for k, v in batch.items()}


def _epoch_batches(lengths: list[int], config: TrainConfig, rng: random.Random) -> list[list[int]]:
    order = list(range(len(lengths)))
    rng.shuffle(order)
    size = config.batch_pairs
    if config.group_by_length:
        chunk = size * 50
        order = [
            i
            for start in range(0, len(order), chunk)
            for i in sorted(order[start : start + chunk], key=lambda i: lengths[i])
        ]
    batches = [order[s : s + size] for s in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def transformer_layers(model: Any) -> torch.nn.ModuleList:
    """The stack of transformer blocks: the largest ``ModuleList`` in the base model.

    Found by size rather than by attribute name, so it works for BERT (``encoder.layer``),
    DistilBERT (``transformer.layer``), GPT-2 (``h``) and Llama (``layers``) alike.
    """
    base = getattr(model, "base_model", model)
    lists = [m for m in base.modules() if isinstance(m, torch.nn.ModuleList) and len(m) > 0]
    if not lists:
        raise ValueError(f"{type(model).__name__} has no stack of transformer layers")
    return max(lists, key=lambda m: sum(p.numel() for p in m.parameters()))


def freeze_lower_layers(model: Any, trainable: int) -> None:
    """Freeze the embeddings and every transformer layer but the top ``trainable`` ones."""
    layers = transformer_layers(model)
    if not 0 <= trainable <= len(layers):
        raise ValueError(f"trainable_layers={trainable}, but the model has {len(layers)} layers")
    model.get_input_embeddings().requires_grad_(False)
    for layer in layers[: len(layers) - trainable]:
        layer.requires_grad_(False)


def train_pairwise(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[PreferencePair],
    config: TrainConfig,
    *,
    progress: bool = True,
    description: str = "training reward model",
) -> TrainSummary:
    """Fine-tune ``model`` (num_labels=1) in place on ``pairs`` with the Bradley-Terry loss."""
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    device = next(model.parameters()).device
    tokenizer.padding_side = "right"
    model.train()
    steps_per_epoch = math.ceil(len(pairs) / config.batch_pairs)
    total = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    warmup = max(1, int(total * config.warmup_fraction))
    if config.freeze_embeddings:
        model.get_input_embeddings().requires_grad_(False)
    if config.trainable_layers is not None:
        freeze_lower_layers(model, config.trainable_layers)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))),
    )
    lengths = [len(p.prompt) + max(len(p.chosen), len(p.rejected)) for p in pairs]
    loss_ema, correct, seen, step = None, 0, 0, 0
    bar = tqdm(total=total, desc=description, unit="step", disable=not progress)
    for _ in range(config.epochs):
        for indices in _epoch_batches(lengths, config, rng):
            if step >= total:
                break
            batch = [pairs[i] for i in indices]
            prompts = [p.prompt for p in batch] * 2
            responses = [p.chosen for p in batch] + [p.rejected for p in batch]
            inputs = _encode(tokenizer, prompts, responses, config.max_length, device)
            rewards = model(**inputs).logits[:, 0].float()
            chosen, rejected = rewards[: len(batch)], rewards[len(batch) :]
            loss = -torch.nn.functional.logsigmoid(chosen - rejected).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            value = float(loss.detach())
            loss_ema = value if loss_ema is None else 0.9 * loss_ema + 0.1 * value
            correct += int((chosen > rejected).sum())
            seen += len(batch)
            bar.set_postfix(loss=f"{loss_ema:.3f}", acc=f"{correct / seen:.2f}")
            bar.update(1)
    bar.close()
    model.eval()
    return TrainSummary(
        steps=step, final_loss=float(loss_ema or 0.0), train_accuracy=correct / max(seen, 1)
    )
