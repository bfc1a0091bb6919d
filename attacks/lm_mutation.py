"""The ``lm`` mutation of the word searches: resample a span of words with a language model.

The word searches (``greedy-coordinate``, ``genetic``) mutate by swapping in random
frequent words, which is why their findings are soups. With ``mutation = "lm"`` they
instead resample a span of the candidate from a causal LM, conditioned on the prompt (in
the LM's chat template) and the candidate's text before the span, and keep the words
after it: infilling by prefix continuation. The words outside the span never change, so
the searches' other moves (coordinates, crossover) work as before.

The default stays ``mutation = "word"``: the same seed finds what it always found. The
LM's tokens are counted (``AttackOutcome.lm_tokens``), never as queries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from attacks.lm_proposer import (
    LMLoadFields,
    LMProposer,
    check_at_least_one,
    check_temperature,
)
from harness.models.shipped import SHIPPED_LM

#: Tokens drawn per word of a span: most words are one or two tokens, with their space.
TOKENS_PER_WORD = 3


@dataclass(frozen=True)
class LMMutationFields(LMLoadFields):
    """The parameters of the ``lm`` mutation (mixed into a search's params), and how its
    LM loads (``LMLoadFields``)."""

    mutation: Literal["word", "lm"] = "word"
    lm: str = SHIPPED_LM  # with mutation "lm": "smollm2", a causal-LM folder or a .gguf file
    temperature: float = 1.0  # of the LM's draws
    span: int = 3  # words an LM mutation resamples

    def check_mutation(self, owner: str) -> None:
        check_at_least_one(owner, span=self.span)
        check_temperature(owner, self.temperature)


class LMRewriter:
    """Resamples spans of word lists for one prompt; each call draws fresh, seeded streams.

    ``prefix_text(words)`` is the response text before a span (the reference comes first
    in the searches' suffix mode).
    """

    def __init__(
        self,
        proposer: LMProposer,
        prompt: str,
        seed: int,
        prefix_text: Callable[[list[str]], str],
    ) -> None:
        self.proposer = proposer
        self.prompt_ids = proposer.prompt_ids(prompt)
        self.seed = seed
        self.prefix_text = prefix_text
        self.calls = 0

    def __repr__(self) -> str:
        return f"LMRewriter({self.proposer!r}, calls={self.calls})"

    def rewrite(
        self, candidates: Sequence[list[str]], starts: Sequence[int], span: int
    ) -> list[list[str]]:
        """Each candidate with ``span`` words from ``starts[i]`` on drawn from the LM.

        The words before the start and after the span are kept as they are; when the LM
        ends (or writes fewer words) before the span is full, the candidate's own words
        fill the rest of it.
        """
        if len(candidates) != len(starts):
            raise ValueError("candidates and starts differ in length")
        prefixes = []
        for words, start in zip(candidates, starts, strict=True):
            text = self.prefix_text(list(words[:start]))
            ids = self.proposer.encode(text) if text else []
            prefixes.append(self.prompt_ids + ids)
        streams = [(self.seed, self.calls, row) for row in range(len(candidates))]
        self.calls += 1
        drawn = self.proposer.continue_rows(prefixes, streams, span * TOKENS_PER_WORD)
        out = []
        for words, start, (tokens, _) in zip(candidates, starts, drawn, strict=True):
            stop = min(start + span, len(words))
            fresh = self.proposer.text(tokens).split()[: stop - start]
            out.append(list(words[:start]) + fresh + list(words[start + len(fresh) :]))
        return out


def load_rewriter(
    fields: LMMutationFields, prompt: str, seed: int, prefix_text: Callable[[list[str]], str]
) -> LMRewriter:
    """The rewriter for one prompt, over the process's shared LM."""
    proposer = LMProposer.load(
        fields.lm, temperature=fields.temperature, options=fields.lm_options()
    )
    return LMRewriter(proposer, prompt, seed, prefix_text)
