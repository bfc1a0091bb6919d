"""The scorer: the one path from any attack, report or command to a reward model.

Speed and accounting live here so that no attack re-implements them:

- **dedupe and cache**: scores are cached by (fingerprint, prompt, response). A repeat
  costs nothing and is not a query.
- **length buckets, dynamic padding**: new pairs are tokenized, sorted by length (longest
  first, so an out-of-memory shows up in the first batch), and cut into batches of at
  most ``batch_size`` rows and ``max_batch_tokens`` padded tokens. Each batch pads only to
  its own longest row. A model that does not pad here (``pads_batches`` False: a served
  model, whose server bounds its own batches) is cut by rows alone.
- **budget**: every new (uncached) pair is one query. A request that the remaining budget
  cannot pay for raises ``BudgetExhausted`` before anything is scored, so budgets are
  never overspent and partial batches never happen.
- **checks**: a NaN or infinite score raises ``ModelOutputError`` naming the pair.

Example::

    scorer = Scorer(load_reward_model("ckpt/"), budget=2_000)
    scores = scorer.score(["Tell me a joke"] * 2, ["Why did ...", "the the the"])
    scorer.stats.queries   # 2
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from tqdm.auto import tqdm

from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.core.errors import BudgetExhausted, ModelOutputError
from harness.core.visible import clip
from harness.models.base import Prepared, RewardModel, TokenGradients

CacheKey = tuple[str, str, str]


SCORE_RTOL = 1e-5  # float32 noise: batch composition moves a score by ~1e-7 relative


def outscores(score: float, reference_score: float, margin: float = 0.0) -> bool:
    """``score > reference_score + margin``, by more than float32 noise.

    A candidate that tokenizes exactly like the reference (a zero-width space the
    tokenizer drops) scores the same up to ~1e-7, depending on what else was in its
    batch. Without a tolerance it would be a "finding" in one run and closed on replay.
    """
    return score - (reference_score + margin) > SCORE_RTOL * max(1.0, abs(reference_score))


@dataclass
class ScorerStats:
    """Counters a run records: queries paid, cache hits, truncations, model time."""

    queries: int = 0
    gradient_queries: int = 0
    cache_hits: int = 0
    truncated: int = 0
    batches: int = 0
    model_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class Scorer:
    """Batched, cached, budgeted scoring over one reward model.

    Attributes:
        model: the reward model (``harness.models``).
        batch_size: rows per forward pass.
        max_batch_tokens: cap on rows x padded length per forward pass (memory bound);
            ignored for a model that does not pad its batches here (``pads_batches``).
        budget: queries allowed (None: unlimited). Gradient calls count as one query.
        cache: shared score cache; pass the same mapping to several scorers over the
            same model to share work (``with_budget`` does this).
        progress: show a progress bar over batches for large requests.
        parent: the scorer that is also charged for every query made here (see
            ``sub_budget``); None for a scorer that answers to no one.
    """

    model: RewardModel
    batch_size: int = DEFAULT_BATCH_SIZE
    max_batch_tokens: int = 32_768
    budget: int | None = None
    cache: MutableMapping[CacheKey, float] = field(default_factory=dict)
    progress: bool = False
    stats: ScorerStats = field(default_factory=ScorerStats)
    parent: Scorer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if self.budget is not None and self.budget < 0:
            raise ValueError("budget must be >= 0")

    # ---------------------------------------------------------------- budget
    @property
    def remaining(self) -> int | None:
        """Queries left, or None when unlimited; never more than the parent has left."""
        own = None if self.budget is None else self.budget - self.stats.queries
        above = None if self.parent is None else self.parent.remaining
        if own is None or above is None:
            return above if own is None else own
        return min(own, above)

    def with_budget(self, budget: int | None) -> Scorer:
        """A scorer over the same model and cache with its own budget and counters.

        Of the same class, every other field shared, so a subclass's state (a recorder's
        trace) carries over without an override. A scorer with a parent (``sub_budget``)
        keeps it: the new one's queries are charged to that parent as well."""
        return replace(self, budget=budget, stats=ScorerStats())

    def sub_budget(self, budget: int) -> Scorer:
        """A view with its own budget and counters whose every query is charged here too.

        For an attack that spends its budget through other attacks (the bandit gives each
        pull of an arm a part of its budget): the part is counted apart, the whole is
        counted once, and the part can never spend what this scorer no longer has.

        Example::

            attempt = scorer.with_budget(150)
            pull = attempt.sub_budget(30)      # at most 30, and at most what is left
            pull.score_one("p", "r")           # pull.stats.queries == attempt.stats.queries == 1
        """
        if budget < 0:
            raise ValueError("budget must be >= 0")
        return replace(self, budget=budget, stats=ScorerStats(), parent=self)

    def _lineage(self) -> list[ScorerStats]:
        """This scorer's counters and those of every scorer it is charged to."""
        out: list[ScorerStats] = []
        scorer: Scorer | None = self
        while scorer is not None:
            out.append(scorer.stats)
            scorer = scorer.parent
        return out

    def _count(self, counter: str, amount: float) -> None:
        """Add ``amount`` to ``counter`` here and in every scorer this one is charged to."""
        for stats in self._lineage():
            setattr(stats, counter, getattr(stats, counter) + amount)

    def _charge(self, n: int) -> None:
        remaining = self.remaining
        if remaining is not None and n > remaining:
            raise BudgetExhausted(n, remaining)

    # --------------------------------------------------------------- scoring
    def key(self, prompt: str, response: str) -> CacheKey:
        return (self.model.fingerprint, prompt, response)

    def score_one(self, prompt: str, response: str) -> float:
        return float(self.score([prompt], [response])[0])

    def score_responses(self, prompt: str, responses: Sequence[str]) -> np.ndarray:
        """Score many responses to one prompt (the shape most attacks need)."""
        return self.score([prompt] * len(responses), responses)

    def score(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        """Scores for each (prompt, response), in order. Uncached pairs cost one query each."""
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        keys = [self.key(p, r) for p, r in zip(prompts, responses, strict=True)]
        new = self._uncached(keys)
        self._count("cache_hits", len(keys) - len(new))
        if new:
            self._charge(len(new))
            self._score_new(new)
        return np.array([self.cache[k] for k in keys], dtype=np.float64)

    def _uncached(self, keys: Sequence[CacheKey]) -> list[CacheKey]:
        """The distinct keys, in first-seen order, that are not cached: what a request costs."""
        return [k for k in dict.fromkeys(keys) if k not in self.cache]

    def affordable(self, prompt: str, responses: Sequence[str]) -> int:
        """How many of ``responses``, from the start, the remaining budget pays for.

        Cached and repeated pairs are free, so this can exceed ``remaining``.
        """
        remaining = self.remaining
        if remaining is None:
            return len(responses)
        paid: set[CacheKey] = set()
        for i, response in enumerate(responses):
            key = self.key(prompt, response)
            if key not in self.cache and key not in paid:
                if len(paid) == remaining:
                    return i
                paid.add(key)
        return len(responses)

    def _score_new(self, keys: list[CacheKey]) -> None:
        items = self.model.prepare([k[1] for k in keys], [k[2] for k in keys])
        order = sorted(range(len(items)), key=lambda i: -items[i].length)
        batches = list(self._batches(order, items))
        bar = tqdm(
            total=len(items),
            desc="scoring",
            unit="pair",
            disable=not self.progress,
            leave=False,
        )
        try:
            for batch in batches:
                started = time.perf_counter()
                scores = self.model.score_batch([items[i] for i in batch])
                self._count("model_seconds", time.perf_counter() - started)
                self._count("batches", 1)
                for i, score in zip(batch, scores, strict=True):
                    if not np.isfinite(score):
                        _, prompt, response = keys[i]
                        raise ModelOutputError(
                            f"reward model returned {score} for prompt {clip(prompt, 40)!r} / "
                            f"response {clip(response, 40)!r}; check the checkpoint "
                            "(half-precision overflow? try --dtype float32)"
                        )
                    self.cache[keys[i]] = float(score)
                self._count("queries", len(batch))
                self._count("truncated", sum(items[i].truncated for i in batch))
                bar.update(len(batch))
        finally:
            bar.close()

    def _batches(self, order: list[int], items: list[Prepared]):
        """Cut length-sorted indices into batches bounded by rows and padded tokens."""
        cap = self.max_batch_tokens if self.model.pads_batches else None
        batch: list[int] = []
        width = 0
        for i in order:
            length = max(items[i].length, 1)
            grown = max(width, length) * (len(batch) + 1)
            too_wide = cap is not None and grown > cap
            if batch and (len(batch) >= self.batch_size or too_wide):
                yield batch
                batch, width = [], 0
            batch.append(i)
            width = max(width, length)
        if batch:
            yield batch

    # -------------------------------------------------------------- white box
    # What a white-box attack may know of the model, asked through the scorer so that
    # attacks never hold the model itself. None of these score, so none is a query.
    @property
    def supports_gradients(self) -> bool:
        return self.model.supports_gradients

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    def decode(self, token_ids: Sequence[int]) -> str:
        return self.model.decode(token_ids)

    def encode_response(self, text: str) -> list[int]:
        return self.model.encode_response(text)

    def round_trip_tokens(self) -> np.ndarray:
        """Token ids a token search may propose (see ``RewardModel.round_trip_tokens``)."""
        return self.model.round_trip_tokens()

    def gradients(self, prompt: str, response: str) -> TokenGradients:
        """Gradient of the reward w.r.t. the response's one-hot tokens; one query.

        The pair's score is cached as a side effect, so scoring it later is free.
        """
        if not self.model.supports_gradients:
            raise NotImplementedError(f"{self.model!r} does not expose gradients")
        self._charge(1)
        started = time.perf_counter()
        result = self.model.token_gradients(prompt, response)
        self._count("model_seconds", time.perf_counter() - started)
        self._count("queries", 1)
        self._count("gradient_queries", 1)
        self.cache.setdefault(self.key(prompt, response), result.score)
        return result

    def __repr__(self) -> str:
        return (
            f"Scorer(model={self.model!r}, batch_size={self.batch_size}, "
            f"budget={self.budget}, queries={self.stats.queries})"
        )
