"""The pairwise trainer: it learns a preference, stops at max_steps, freezes what it is told."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from harness.core.data import PreferencePair
from harness.models.training import TrainConfig, freeze_lower_layers, train_pairwise
from harness.testing import build_tiny_checkpoint

PAIRS = [
    PreferencePair(f"prompt {i}", f"a good answer number {i}", "bad bad bad bad", line=i)
    for i in range(24)
]


@pytest.fixture
def tiny(tmp_path):
    folder = build_tiny_checkpoint(tmp_path / "tiny", "bert")
    model = AutoModelForSequenceClassification.from_pretrained(str(folder), num_labels=1)
    return model, AutoTokenizer.from_pretrained(str(folder))


def _snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _changed(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


def test_training_learns_the_preference(tiny):
    model, tokenizer = tiny
    config = TrainConfig(epochs=6, batch_pairs=8, learning_rate=5e-3, seed=0)
    summary = train_pairwise(model, tokenizer, PAIRS, config, progress=False)
    assert summary.steps == 18
    assert summary.final_loss < 0.5


def test_max_steps_stops_inside_an_epoch(tiny):
    model, tokenizer = tiny
    config = TrainConfig(epochs=3, batch_pairs=4, max_steps=5, seed=0)
    assert train_pairwise(model, tokenizer, PAIRS, config, progress=False).steps == 5


def test_trainable_layers_freezes_the_lower_layers_and_embeddings(tiny):
    model, tokenizer = tiny
    layers = model.bert.encoder.layer
    lower, top = _snapshot(layers[0]), _snapshot(layers[-1])
    embeddings = _snapshot(model.get_input_embeddings())
    config = TrainConfig(batch_pairs=8, learning_rate=1e-2, trainable_layers=1, seed=0)
    train_pairwise(model, tokenizer, PAIRS, config, progress=False)
    assert len(layers) >= 2
    assert not _changed(lower, layers[0])
    assert not _changed(embeddings, model.get_input_embeddings())
    assert _changed(top, layers[-1])


def test_trainable_layers_out_of_range_is_refused(tiny):
    model, _ = tiny
    with pytest.raises(ValueError, match="layers"):
        freeze_lower_layers(model, 99)
