"""Python callables as reward models: rule-based rewards, test doubles, remote wrappers.

A callable takes two equal-length lists, prompts and responses, and returns one number
per pair (a list, array or tensor). Named on the command line as ``module:function``::

    # myrewards.py
    def length_penalty(prompts, responses):
        return [-abs(len(r) - 200) / 100 for r in responses]

    rmh score myrewards:length_penalty --data pairs.jsonl

A callable may also expose white-box access: if the object has a ``token_gradients``
method (see ``harness.models.base.TokenGradients``) and ``decode``/``encode_response``/
``vocab_size``, gradient attacks can use it.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.core.errors import CheckpointError
from harness.models.base import Prepared, RewardModel, TokenGradients

RewardFn = Callable[[list[str], list[str]], Any]


def _source_hash(fn: Any) -> str:
    """Hash the callable's source so that editing it invalidates cached scores."""
    digest = hashlib.sha256(f"{getattr(fn, '__module__', '')}:{_qualname(fn)}".encode())
    try:
        digest.update(inspect.getsource(fn if inspect.isroutine(fn) else type(fn)).encode())
    except (OSError, TypeError):
        digest.update(repr(fn).encode())
    return digest.hexdigest()


def _qualname(fn: Any) -> str:
    return getattr(fn, "__qualname__", type(fn).__qualname__)


class CallableRewardModel(RewardModel):
    """Wraps ``fn(prompts, responses) -> scores``. Length for bucketing is characters."""

    def __init__(self, fn: RewardFn, name: str | None = None, fingerprint: str | None = None):
        if not callable(fn):
            raise CheckpointError(f"{name or fn!r} is not callable")
        self.fn = fn
        self.name = name or f"{getattr(fn, '__module__', '?')}:{_qualname(fn)}"
        self.fingerprint = fingerprint or getattr(fn, "fingerprint", None) or _source_hash(fn)
        self.supports_gradients = callable(getattr(fn, "token_gradients", None))

    @classmethod
    def from_spec(cls, spec: str) -> CallableRewardModel:
        """Import ``module:attribute`` (attribute may be dotted)."""
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise CheckpointError(f"{spec!r} is not of the form module:function")
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise CheckpointError(f"cannot import {module_name!r}: {exc}") from None
        for part in attr.split("."):
            try:
                target = getattr(target, part)
            except AttributeError:
                raise CheckpointError(f"{module_name!r} has no attribute {attr!r}") from None
        return cls(target, name=spec)

    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        return [
            Prepared(payload=(p, r), length=len(p) + len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]

    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        prompts = [item.payload[0] for item in items]
        responses = [item.payload[1] for item in items]
        raw = self.fn(prompts, responses)
        if hasattr(raw, "detach"):
            raw = raw.detach().cpu().numpy()
        scores = np.asarray(raw, dtype=np.float64).reshape(-1)
        if scores.shape[0] != len(items):
            raise CheckpointError(
                f"{self.name} returned {scores.shape[0]} scores for {len(items)} pairs"
            )
        return scores

    def token_gradients(self, prompt: str, response: str) -> TokenGradients:
        if not self.supports_gradients:
            return super().token_gradients(prompt, response)
        return self.fn.token_gradients(prompt, response)  # type: ignore[attr-defined]

    def decode(self, token_ids: Sequence[int]) -> str:
        return self.fn.decode(token_ids)  # type: ignore[attr-defined]

    def encode_response(self, text: str) -> list[int]:
        return self.fn.encode_response(text)  # type: ignore[attr-defined]

    @property
    def vocab_size(self) -> int:
        return int(self.fn.vocab_size)  # type: ignore[attr-defined]

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "callable",
            "name": self.name,
            "white_box": self.supports_gradients,
            "fingerprint": self.fingerprint,
        }

    def __repr__(self) -> str:
        return f"CallableRewardModel(name={self.name!r}, fingerprint={self.fingerprint[:12]!r})"
