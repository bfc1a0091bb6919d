"""Reward-guided decoding: a small language model writes, the attacked RM steers.

Token edits (the word searches, GCG) find word soups; RL against a reward model also finds
*fluent* text that scores high and is bad. To find that kind, let a language model write
the response and use the reward to choose what it keeps (REFORM, arXiv 2507.06419, finds
reward-model failure modes by reward-guided decoding):

- the response starts empty, after the prompt in the LM's chat template;
- each step draws ``beams * k`` continuations of ``chunk`` tokens (``k`` per beam, or
  more per beam when fewer beams are still growing), each from its own random stream;
- every continuation (a partial response too) is scored through the counted scorer, so
  any of them can be a finding; the best ``beams`` that can still grow are kept;
- a pass ends at ``max_tokens`` or when no beam can grow (the LM ended them all). What is
  left of the budget goes to further passes, each from the first halves of the best
  responses found so far, with fresh random streams.

Cost, for the default 600-query budget: a step scores ``beams * k`` = 24 continuations,
so a pass of ``max_tokens / chunk`` = 12 steps is 288 queries and the budget pays for two
passes and a part of a third, each growing responses to 48 tokens (a joke's length). The
LM generates ``chunk`` tokens a continuation: a little more than ``budget * chunk`` =
2,400 tokens a prompt (a continuation drawn twice is scored once), counted as
``lm_tokens`` (not queries); 2,576 and 2,488 on two demo prompts with SmolLM2. Each step
re-reads the prompt and its beams (a key/value cache serves the ``chunk`` tokens within a
step, shared by the continuations of one beam); keeping it across steps would save most
of the rest. Smaller ``chunk`` steers more finely but
spends more queries a token; larger ``k`` explores more widely around fewer beams.

The LM (``lm``): ``smollm2`` (the shipped SmolLM2-135M-Instruct GGUF, the default), a
folder written by ``save_pretrained``, or a ``.gguf`` file; loaded once per process.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from attacks.base import Attack, AttackContext
from attacks.lm_proposer import (
    LMLoadFields,
    LMProposer,
    check_at_least_one,
    check_temperature,
)
from attacks.registry import register
from harness.core.errors import HarnessError
from harness.models.shipped import POLICY_DISTRIBUTION, SHIPPED_LM, policy_gguf

OWNER = "attack 'lm-guided'"

Scored = tuple[float, list[int]]  # a candidate's reward and its LM tokens


@dataclass(frozen=True)
class LMGuidedParams(LMLoadFields):
    lm: str = SHIPPED_LM  # "smollm2", a causal-LM folder or a .gguf file
    beams: int = 4  # B: continuations kept a step
    k: int = 6  # continuations drawn per beam a step
    chunk: int = 4  # tokens a continuation adds
    temperature: float = 1.0
    max_tokens: int = 48  # length cap of a response, in LM tokens

    def __post_init__(self) -> None:
        check_at_least_one(
            OWNER, beams=self.beams, k=self.k, chunk=self.chunk, max_tokens=self.max_tokens
        )
        check_temperature(OWNER, self.temperature)


def keep_best(scored: list[tuple[float, list[int], bool]], width: int) -> list[list[int]]:
    """The ``width`` best candidates that can still grow (not finished), best first.

    Ties keep the earlier drawn, so the choice is a pure function of the scores.
    """
    growing = [(score, i, tokens) for i, (score, tokens, done) in enumerate(scored) if not done]
    growing.sort(key=lambda item: (-item[0], item[1]))
    return [tokens for _, _, tokens in growing[:width]]


def restarts(best: list[Scored], width: int) -> list[list[int]]:
    """Where a further pass starts: the first halves of the ``width`` best, distinct."""
    starts: dict[tuple[int, ...], None] = {}
    for _, tokens in sorted(best, key=lambda item: -item[0]):
        starts.setdefault(tuple(tokens[: len(tokens) // 2]), None)
        if len(starts) == width:
            break
    return [list(s) for s in starts] or [[]]


@register
class LMGuided(Attack):
    """Reward-guided beam decoding with a small causal LM: fluent candidates the RM prefers."""

    name = "lm-guided"
    family = "lm-guided"
    access = "black-box"
    citation = (
        "REFORM, arXiv 2507.06419 (reward-guided decoding to find reward-model failure modes)"
    )
    Params = LMGuidedParams

    @classmethod
    def missing(cls) -> list[str]:
        """What the default LM (the shipped SmolLM2 GGUF) needs that is not installed.

        Shown by ``rmh attacks list``. Whether an attack can run depends on its ``lm``: a
        causal-LM folder needs nothing more, so availability is checked by ``prepare``
        (which loads that LM, one line when it cannot), not by ``check_available``.
        """
        missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
        if policy_gguf() is None:
            missing.append(POLICY_DISTRIBUTION)
        return missing

    @classmethod
    def check_available(cls) -> None:
        """Nothing to check before the parameters are known: see ``missing``."""
        return None

    def proposer(self) -> LMProposer:
        """The process's shared LM of ``lm``, loaded with this attack's load options."""
        p = self.params
        return LMProposer.load(p.lm, temperature=p.temperature, options=p.lm_options())

    def prepare(self) -> None:
        self.proposer()

    def search(self, ctx: AttackContext) -> None:
        p = self.params
        proposer = self.proposer()
        prompt = proposer.prompt_ids(ctx.prompt)
        cap = p.max_tokens
        if proposer.max_positions is not None:
            cap = min(cap, proposer.max_positions - len(prompt))
        if cap < 1:
            raise HarnessError(
                f"the prompt is {len(prompt)} LM tokens: no room left in the LM's "
                f"{proposer.max_positions} positions"
            )
        best: list[Scored] = []
        starts: list[list[int]] = [[]]
        try:
            for pass_index in range(10**6):
                spent = ctx.outcome.queries
                self._pass(ctx, proposer, prompt, starts, pass_index, cap, best)
                if ctx.exhausted or ctx.outcome.queries == spent or not best:
                    return  # out of budget, or nothing new to score (all cached)
                starts = restarts(best, p.beams)
        finally:
            ctx.outcome.lm_tokens = proposer.tokens

    def _pass(
        self,
        ctx: AttackContext,
        proposer: LMProposer,
        prompt: list[int],
        starts: list[list[int]],
        pass_index: int,
        cap: int,
        best: list[Scored],
    ) -> None:
        """One beam decoding from ``starts`` to the length cap; every scored candidate is
        appended to ``best``."""
        p = self.params
        beams = [s for s in starts if len(s) < cap]
        step = 0
        while beams and not ctx.exhausted:
            rows = min(p.beams * p.k, ctx.remaining)  # no LM work the budget cannot score
            parents = [beams[i % len(beams)] for i in range(rows)]
            streams = [(ctx.seed, pass_index, step, row) for row in range(rows)]
            drawn = proposer.continue_rows([prompt + b for b in parents], streams, p.chunk)
            children: dict[str, tuple[list[int], bool]] = {}
            for parent, (tokens, stopped) in zip(parents, drawn, strict=True):
                child = (parent + tokens)[:cap]
                text = proposer.text(child)
                if text and text not in children:
                    children[text] = (child, stopped or len(child) >= cap)
            texts = list(children)
            scores = ctx.evaluate(texts)  # records findings; raises when the budget ends
            scored = [
                (float(score), *children[text]) for text, score in zip(texts, scores, strict=True)
            ]
            best.extend((score, tokens) for score, tokens, _ in scored)
            beams = keep_best(scored, p.beams)
            step += 1
