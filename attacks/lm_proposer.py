"""A causal language model that proposes text for attacks, and counts what it generated.

The ``lm-guided`` attack grows responses with it, and the word searches' ``lm`` mutation
resamples a span of a candidate with it. The LM is not the attacked model: its forward
passes are not RM queries and never touch the budget, but they cost time, so every token
it generates is counted (``tokens``; reported as ``lm_tokens`` beside the queries).

The LM is loaded once per process (``shared_causal_lm``: the name ``smollm2``, a folder
written by ``save_pretrained`` or a ``.gguf`` file) and drawn from with the sampler of
``harness.models.sampling`` (its key/value cache, a shared pass over each distinct
prefix, one random stream a row), so the same stream keys draw the same tokens on CPU.

Example::

    proposer = LMProposer.load("smollm2", temperature=1.0)
    prefix = proposer.prompt_ids("Tell me a joke.")
    tokens, stopped = proposer.continue_rows([prefix], [(0, 0)], steps=8)[0]
    proposer.text(tokens), proposer.tokens
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.core.errors import HarnessError
from harness.models.causal_lm import shared_causal_lm
from harness.models.options import PolicyOptions
from harness.models.sampling import CausalPolicy


def check_temperature(owner: str, temperature: float) -> None:
    """A sampling temperature must be a finite number above 0 (one-line error otherwise)."""
    if not math.isfinite(temperature) or temperature <= 0:
        raise HarnessError(
            f"{owner} parameter 'temperature' must be finite and > 0, got {temperature!r}"
        )


def check_at_least_one(owner: str, **values: int) -> None:
    """Counts that must be at least 1 (one-line error naming the first that is not)."""
    for name, value in values.items():
        if value < 1:
            raise HarnessError(f"{owner} parameter {name!r} must be at least 1, got {value}")


@dataclass(frozen=True)
class LMLoadFields:
    """How an attack loads its LM (mixed into its params), as ``rmh sample`` loads a policy:
    only safetensors unless ``allow_pickle``, no checkpoint code unless
    ``trust_remote_code``, ``device`` and ``dtype`` as the scorer reads them ("auto": CUDA
    when available, fp32 on CPU)."""

    device: str = "auto"
    dtype: str = "auto"
    allow_pickle: bool = False
    trust_remote_code: bool = False

    def lm_options(self) -> PolicyOptions:
        return PolicyOptions(
            allow_pickle=self.allow_pickle,
            trust_remote_code=self.trust_remote_code,
            device=self.device,
            dtype=self.dtype,
        )


class LMProposer:
    """Seeded continuations from a causal LM, with a count of the tokens it generated."""

    def __init__(self, policy: CausalPolicy, source: str, temperature: float) -> None:
        check_temperature("the LM proposer", temperature)
        self.policy = policy
        self.source = source
        self.temperature = temperature
        self.tokens = 0  # generated so far (the LM's cost; not RM queries)
        self._prompts: dict[str, list[int]] = {}

    @classmethod
    def load(
        cls, source: str, *, temperature: float = 1.0, options: PolicyOptions | None = None
    ) -> LMProposer:
        """The process's shared LM for ``source`` and ``options`` (loaded on first use;
        one-line errors)."""
        lm = shared_causal_lm(source, options)
        # a sampling view over the same loaded weights: nothing is copied
        policy = CausalPolicy(lm.where, lm.model, lm.tokenizer, lm.gguf_file)
        return cls(policy, source, temperature)

    def __repr__(self) -> str:
        return (
            f"LMProposer(source={self.source!r}, temperature={self.temperature}, "
            f"tokens={self.tokens})"
        )

    @property
    def max_positions(self) -> int | None:
        return self.policy.max_positions

    def prompt_ids(self, prompt: str) -> list[int]:
        """The prompt as the LM reads it (its chat template when it has one)."""
        if prompt not in self._prompts:
            self._prompts[prompt] = self.policy.encode_prompt(prompt)
        return list(self._prompts[prompt])

    def encode(self, text: str) -> list[int]:
        """Response text as token ids, no special tokens (what follows the prompt)."""
        return list(self.policy.tokenizer(text, add_special_tokens=False)["input_ids"])

    def text(self, tokens: Sequence[int]) -> str:
        """Response text of generated tokens (the stop token and special tokens dropped)."""
        return self.policy.decode(tokens).strip()

    def is_stop(self, token: int) -> bool:
        return token in self.policy.stop_ids

    def continue_rows(
        self, prefixes: Sequence[Sequence[int]], streams: Sequence[tuple[int, ...]], steps: int
    ) -> list[tuple[list[int], bool]]:
        """One continuation of at most ``steps`` tokens per prefix, and whether it stopped.

        Row ``i`` draws from its own random stream keyed by ``streams[i]`` (include the
        seed), so a row's tokens do not depend on which other rows share its batch beyond
        the numerics of padding.
        """
        if not prefixes:
            return []
        if len(prefixes) != len(streams):
            raise ValueError("prefixes and streams differ in length")
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        rngs = [np.random.default_rng(list(key)) for key in streams]
        drawn = self.policy._draw(prefixes, rngs, steps, temperature=self.temperature)
        self.tokens += sum(len(tokens) for tokens, _, _ in drawn)
        return [(tokens, stopped) for tokens, _, stopped in drawn]
