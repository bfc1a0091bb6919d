"""A bag-of-words linear reward model as a real Hugging Face folder, and its trainer hook.

The planted worlds (``planted_worlds.py``) need a reward model whose holes are known by
construction and that retrains in seconds, but the experiment loads every checkpoint
with ``harness.models.load_reward_model``: a local folder, no custom code. So the linear
model is written in an architecture transformers ships, ModernBERT for sequence
classification, with weights set so that it computes::

    score = sum_j v_j * count_j / n

where feature j has value ``v_j``, ``count_j`` tokens of the (prompt, response) pair
express it, and ``n`` is the number of tokens (``[CLS]`` and two ``[SEP]`` included).

How the weights make that, each part fixed except the last:

- the tokenizer is a word-level one over the planted words only (lower-cased, split on
  word and punctuation runs); every other word is ``[UNK]``, whose embedding is zero;
- a planted word's embedding is ``s * (e_2j - e_2j+1)`` with ``s = sqrt(H / 2)``: mean
  zero and variance one, so the embedding's LayerNorm (no bias) leaves it unchanged,
  and so does the final one;
- one encoder layer, with zero attention and MLP output projections, so that it passes
  the embeddings through (ModernBERT's initialisation divides by the layer count, so it
  cannot have none);
- mean pooling over the attended tokens, then the head: an identity dense layer whose
  bias puts ``+H/2`` and ``-H/2`` in two dimensions no word uses, a linear activation,
  and a LayerNorm that these two constants dominate, so that it divides by (nearly) the
  same number for every text: the score's relative error is about ``sum_j share_j^2 /
  128`` (``share_j = count_j / n``), below 0.1% for the texts of the planted worlds;
- the classifier holds ``v_j / 2`` at ``2j`` and ``-v_j / 2`` at ``2j+1``: the values,
  and the only weights training moves.

``train_linear_head`` is the ``--trainer`` hook: the Bradley-Terry loss, plain SGD on the
classifier's weights alone, so it is logistic regression on fixed features. A feature
that neither text of a pair expresses gets no gradient from it.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
HIDDEN = 128


def build_linear_rm(path: Path, features: Mapping[str, int], values: Sequence[float]) -> Path:
    """Write the model scoring ``sum_j values[j] * count_j / n`` (``features``: word -> j)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import (
        ModernBertConfig,
        ModernBertForSequenceClassification,
        PreTrainedTokenizerFast,
    )

    if 2 * len(values) > HIDDEN - 2:
        raise ValueError(f"{len(values)} features do not fit in {HIDDEN} dimensions")
    vocab = {w: i for i, w in enumerate(SPECIALS)}
    for word in features:
        vocab.setdefault(word, len(vocab))
    words = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    words.normalizer = normalizers.Lowercase()
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=words,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_input_names=["input_ids", "attention_mask"],
        model_max_length=128,
    )
    config = ModernBertConfig(
        vocab_size=len(vocab),
        hidden_size=HIDDEN,
        intermediate_size=8,
        num_hidden_layers=1,
        num_attention_heads=4,
        max_position_embeddings=128,
        pad_token_id=vocab["[PAD]"],
        cls_token_id=vocab["[CLS]"],
        sep_token_id=vocab["[SEP]"],
        bos_token_id=vocab["[CLS]"],
        eos_token_id=vocab["[SEP]"],
        classifier_pooling="mean",
        classifier_activation="linear",
        classifier_bias=True,
        reference_compile=False,
        num_labels=1,
    )
    torch.manual_seed(0)
    model = ModernBertForSequenceClassification(config)
    scale = (HIDDEN / 2) ** 0.5
    with torch.no_grad():
        embeddings = torch.zeros(len(vocab), HIDDEN)
        for word, j in features.items():
            embeddings[vocab[word], 2 * j] = scale
            embeddings[vocab[word], 2 * j + 1] = -scale
        model.model.embeddings.tok_embeddings.weight.copy_(embeddings)
        for layer in model.model.layers:
            layer.attn.Wo.weight.zero_()
            layer.mlp.Wo.weight.zero_()
        model.head.dense.weight.copy_(torch.eye(HIDDEN))
        bias = torch.zeros(HIDDEN)
        bias[-2], bias[-1] = HIDDEN / 2, -HIDDEN / 2
        model.head.dense.bias.copy_(bias)
        weights = torch.zeros(1, HIDDEN)
        for j, v in enumerate(values):
            weights[0, 2 * j], weights[0, 2 * j + 1] = v / 2, -v / 2
        model.classifier.weight.copy_(weights)
        model.classifier.bias.zero_()
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def feature_values(path: Path) -> list[float]:
    """The checkpoint's feature values ``v_j``, read back from its classifier (the last
    entries, past the features the model was built with, are 0)."""
    from safetensors.torch import load_file

    weights = load_file(str(path / "model.safetensors"))["classifier.weight"][0]
    return [float(weights[2 * j] - weights[2 * j + 1]) for j in range(len(weights) // 2 - 1)]


def train_linear_head(init: Path, pairs: Path, out: Path, config: Mapping[str, Any]) -> Path:
    """The ``--trainer`` hook: Bradley-Terry loss, plain SGD on the classifier weights.

    ``config`` is the experiment's ``TrainConfig`` as a dict: ``epochs``, ``batch_pairs``,
    ``learning_rate``, ``max_length`` and ``seed`` are read. The batches are shuffled by
    the seed, so the same call gives the same weights.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness.core.data import read_pairs

    torch.manual_seed(int(config["seed"]))
    model = AutoModelForSequenceClassification.from_pretrained(str(init), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(init), local_files_only=True)
    model.requires_grad_(False)
    weight = model.classifier.weight
    weight.requires_grad_(True)
    optimizer = torch.optim.SGD([weight], lr=float(config["learning_rate"]))
    rows = read_pairs(pairs)
    order = list(range(len(rows)))
    rng = random.Random(int(config["seed"]))
    size = int(config["batch_pairs"])
    for _ in range(int(config["epochs"])):
        rng.shuffle(order)
        for start in range(0, len(order), size):
            batch = [rows[i] for i in order[start : start + size]]
            prompts = [p.prompt for p in batch] * 2
            responses = [p.chosen for p in batch] + [p.rejected for p in batch]
            encoded = tokenizer(
                prompts,
                responses,
                padding=True,
                truncation=True,
                max_length=int(config["max_length"]),
                return_tensors="pt",
            )
            scores = model(**encoded).logits[:, 0]
            chosen, rejected = scores[: len(batch)], scores[len(batch) :]
            loss = -torch.nn.functional.logsigmoid(chosen - rejected).mean()
            optimizer.zero_grad()
            loss.backward()
            weight.grad[:, -2:] = 0  # the two constants are no feature: their weights stay
            optimizer.step()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (init / name).is_file():
            shutil.copy2(init / name, out / name)
    return out
