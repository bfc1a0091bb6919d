"""White-box gradient token search (HotFlip / GCG) on the RM's input embeddings.

Each step takes one gradient of the reward with respect to the one-hot response tokens
(counted as one query by the scorer), keeps the ``topk`` tokens with the largest
gradient at each editable position, samples ``batch`` single-token swaps from them, and
scores the swaps. Swaps whose text does not survive decode -> re-encode are dropped
(they would not be the tokens the RM reads). The best swap is kept when it improves.

It searches from scratch (``mode="response"``: a token soup of ``length`` tokens) or as
a suffix after the reference (``mode="suffix"``), or from the best of the texts it is
given to start from (library seeds, a bandit's earlier best).

**Budget-aware.** A step costs its batch plus one gradient, so at 150 queries a batch of
32 is four steps and at 50 a single one: too few for coordinate ascent to climb. The
batch is therefore sized from the budget left when the search starts, so that at least
``min_steps`` steps fit (never above ``batch``, never below ``MIN_BATCH``); the attempt's
detail says what it chose and why. ``min_steps = 0`` keeps ``batch`` whatever the budget.

Defaults are sized for a CPU (MiniLM-L6: ~25 steps in a 1,000-query budget); on a GPU
use ``topk=256, batch=512, length=20`` as in the GCG paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from attacks.base import Attack, AttackContext
from attacks.registry import register
from attacks.search import check_mode
from harness.core.errors import HarnessError
from harness.scoring import Scorer

#: The longest given start (in editable tokens) a gcg search begins from.
MAX_START_TOKENS = 64
#: The smallest batch a budget-sized step samples: fewer swaps than this and a step's
#: gradient (one query) is a fifth or more of what the step costs.
MIN_BATCH = 4


@dataclass(frozen=True)
class GCGParams:
    mode: str = "response"  # "response" or "suffix"
    length: int = 12
    topk: int = 64
    batch: int = 32  # the largest batch; smaller when the budget is (see min_steps)
    min_steps: int = 12  # steps the budget must pay for (0: always ``batch``)

    def __post_init__(self) -> None:
        for name in ("length", "topk", "batch"):
            if getattr(self, name) <= 0:
                raise HarnessError(f"attack 'gcg': {name} must be > 0, got {getattr(self, name)}")
        if self.min_steps < 0:
            raise HarnessError(f"attack 'gcg': min_steps must be >= 0, got {self.min_steps}")
        check_mode(self.mode, "attack 'gcg'")


@register
class GreedyCoordinateGradient(Attack):
    """GCG: gradient-ranked single-token swaps on the RM's embeddings, best swap kept."""

    name = "gcg"
    family = "gradient"
    access = "white-box"
    seedable = True
    citation = "Zou et al. 2023, Universal and Transferable Adversarial Attacks on Aligned LMs"
    Params = GCGParams

    def search(self, ctx: AttackContext) -> None:
        p = self.params
        model = ctx.scorer  # the white-box view: tokens and gradients, each counted
        allowed = model.round_trip_tokens()
        mask = torch.full((model.vocab_size,), float("-inf"))
        mask[torch.from_numpy(allowed)] = 0.0
        prefix = model.encode_response(ctx.reference) if p.mode == "suffix" else []
        tokens = self.start_tokens(ctx, prefix) or [
            int(t) for t in ctx.rng.choices(list(allowed), k=p.length)
        ]
        text = self.render(model, prefix, tokens)
        ids = model.encode_response(text)  # settle on the tokens the RM will really read
        if ids[: len(prefix)] == prefix and len(ids) > len(prefix):
            tokens = ids[len(prefix) :]
            text = self.render(model, prefix, tokens)
        best_score = float(ctx.evaluate([text], seeded=True)[0])
        generator = torch.Generator().manual_seed(ctx.seed)
        batch = self.size_batch(ctx)
        while not ctx.exhausted:
            grads = ctx.scorer.gradients(ctx.prompt, text)
            editable = self.editable_positions(grads.response_ids, prefix, len(tokens))
            if not editable:
                return
            grad = grads.grad[[len(grads.response_ids) - len(tokens) + i for i in editable]]
            top = (grad + mask).topk(min(p.topk, len(allowed)), dim=1).indices
            proposals: list[tuple[list[int], str]] = []
            for _ in range(batch):
                row = int(torch.randint(len(editable), (1,), generator=generator))
                choice = int(top[row, int(torch.randint(top.shape[1], (1,), generator=generator))])
                candidate = list(tokens)
                candidate[editable[row]] = choice
                rendered = self.render(model, prefix, candidate)
                if model.encode_response(rendered) == prefix + candidate:
                    proposals.append((candidate, rendered))
            if not proposals:
                continue
            scores = ctx.evaluate([r for _, r in proposals])
            index = int(np.argmax(scores))
            if scores[index] > best_score:
                best_score = float(scores[index])
                tokens, text = proposals[index]

    def size_batch(self, ctx: AttackContext) -> int:
        """The batch for this search: ``batch``, or smaller so ``min_steps`` steps fit in
        the budget left; what was chosen goes into the attempt's detail."""
        p = self.params
        remaining = ctx.scorer.remaining
        if p.min_steps == 0 or remaining is None:
            return p.batch
        fits = remaining // p.min_steps - 1  # each step also pays one gradient
        batch = max(MIN_BATCH, min(p.batch, fits))
        if batch < p.batch:
            steps = remaining // (batch + 1)
            why = f"{remaining} queries left: {steps} steps of {batch} swaps and a gradient"
            ctx.outcome.detail["batch"] = {"batch": batch, "max": p.batch, "why": why}
        return batch

    def start_tokens(self, ctx: AttackContext, prefix: list[int]) -> list[int]:
        """The best given start this mode can take, as tokens (none: start at random).

        A start longer than ``MAX_START_TOKENS`` editable tokens is passed over: every
        gradient would pay for its length.
        """
        for text in ctx.starts:
            ids = ctx.scorer.encode_response(text)
            if ids[: len(prefix)] != prefix or len(ids) == len(prefix):
                continue
            if len(ids) - len(prefix) <= MAX_START_TOKENS:
                return [int(t) for t in ids[len(prefix) :]]
        return []

    @staticmethod
    def render(model: Scorer, prefix: list[int], tokens: list[int]) -> str:
        return model.decode(prefix + tokens)

    @staticmethod
    def editable_positions(response_ids: tuple[int, ...], prefix: list[int], n: int) -> list[int]:
        """Indices into ``tokens`` whose gradient rows exist (the tokenization matched)."""
        if len(response_ids) != len(prefix) + n:
            return []
        return list(range(n))
