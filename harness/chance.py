"""Chance baselines: how often unoptimized random text already outscores the reference.

An attack's success means little if random word soup of the same length succeeds as
often. The *chance rate* is the share of single random candidates that outscore the
reference; reports show it beside every attack's success rate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from harness.data import PreferencePair
from harness.scoring import Scorer


@lru_cache(maxsize=4)
def common_words(n: int = 2000, lang: str = "en") -> tuple[str, ...]:
    """The ``n`` most frequent alphabetic words (``wordfreq`` ships the list offline)."""
    from wordfreq import top_n_list

    return tuple(w for w in top_n_list(lang, n * 2) if w.isalpha())[:n]


def word_soup(rng: random.Random, n_words: int, vocabulary: Sequence[str]) -> str:
    """``n_words`` words drawn uniformly with replacement, joined by spaces."""
    return " ".join(rng.choice(vocabulary) for _ in range(n_words))


@dataclass(frozen=True)
class ChanceRate:
    """Share of random soups that outscore their prompt's reference (n = soups scored)."""

    rate: float
    wins: int
    n: int
    prompts: int
    n_words: int

    def __str__(self) -> str:
        return f"{self.rate:.1%} ({self.wins}/{self.n} soups of {self.n_words} words)"


def chance_rate(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    *,
    soups_per_prompt: int = 5,
    n_words: int = 8,
    seed: int = 0,
) -> ChanceRate:
    """Score random soups against each distinct (prompt, chosen) reference."""
    rng = random.Random(seed)
    vocabulary = common_words()
    references = list(dict.fromkeys((p.prompt, p.chosen) for p in pairs))
    prompts, responses, ref_index = [], [], []
    for index, (prompt, _) in enumerate(references):
        for _ in range(soups_per_prompt):
            prompts.append(prompt)
            responses.append(word_soup(rng, n_words, vocabulary))
            ref_index.append(index)
    ref_scores = scorer.score([p for p, _ in references], [c for _, c in references])
    soup_scores = scorer.score(prompts, responses)
    wins = int(np.sum(soup_scores > ref_scores[np.array(ref_index)]))
    return ChanceRate(wins / len(responses), wins, len(responses), len(references), n_words)
