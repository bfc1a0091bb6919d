"""The reward-model interface that the scorer drives.

A reward model here is split in two steps so that the scorer can own batching:
``prepare`` turns pairs into items with a length (tokens, or characters for a callable),
and ``score_batch`` scores a list of prepared items in one call. The scorer sorts by
length, buckets, batches, caches and counts queries; a model never sees a cache or a
budget. Attacks never hold a model, only a scorer (see ``harness.scoring``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class Prepared:
    """A pair made ready for scoring: ``payload`` is model-specific, ``length`` drives bucketing."""

    payload: Any
    length: int
    truncated: bool = False


@dataclass(frozen=True)
class TokenGradients:
    """Gradient of the reward with respect to the one-hot response tokens.

    ``grad[i, v]`` estimates how the reward changes if response token ``i`` became
    vocabulary entry ``v`` (first-order, as in HotFlip and GCG). ``response_ids`` are the
    response's current token ids; ``score`` is the reward of the unmodified pair.
    """

    score: float
    response_ids: tuple[int, ...]
    grad: torch.Tensor  # [len(response_ids), vocab_size], float32, on CPU


class RewardModel(ABC):
    """Maps (prompt, response) to a scalar. Subclasses: HF checkpoints, Python callables."""

    #: Stable hash that keys the score cache; changes whenever scores could change.
    fingerprint: str
    #: Whether ``token_gradients`` is available (white-box attacks need it).
    supports_gradients: bool = False
    #: Whether ``score_batch`` pads its batch to the longest row here, so that a batch
    #: costs rows x longest ``length`` and the scorer caps it (``max_batch_tokens``). A
    #: model whose server pads and bounds its own batches says False.
    pads_batches: bool = True

    @abstractmethod
    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        """Format and tokenize pairs; no model call."""

    @abstractmethod
    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        """Score one batch of prepared items; returns float64 scores in input order."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What ``rmh info`` prints and what a run records about the model."""

    def token_gradients(self, prompt: str, response: str) -> TokenGradients:
        raise NotImplementedError(f"{type(self).__name__} does not expose gradients")

    def decode(self, token_ids: Sequence[int]) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no tokenizer")

    def encode_response(self, text: str) -> list[int]:
        raise NotImplementedError(f"{type(self).__name__} has no tokenizer")

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} has no tokenizer")

    def special_token_ids(self) -> frozenset[int]:
        """Token ids a response should never contain (CLS, SEP, PAD, ...)."""
        return frozenset()

    def round_trip_tokens(self) -> np.ndarray:
        """Token ids that are not special and decode to text that re-encodes to themselves.

        A token search may only propose these: any other token is not what the RM would
        read back from the text. Computed once per loaded model (a pass over the whole
        vocabulary) and kept with it, so its lifetime is the model's.
        """
        cached = getattr(self, "_round_trip_tokens", None)
        if cached is None:
            special = self.special_token_ids()
            ok = []
            for token in range(self.vocab_size):
                if token in special:
                    continue
                text = self.decode([token]).strip()
                if text and text.isprintable() and self.encode_response(text) == [token]:
                    ok.append(token)
            cached = np.array(ok, dtype=np.int64)
            self._round_trip_tokens = cached
        return cached
