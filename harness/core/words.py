"""Common English words and random word soups: the raw material of chance baselines.

``wordfreq`` ships its frequency lists, so this works offline. The chance rate, the
black-box searches, the fuzz strategies and the demo's gold recipe all draw from the
same vocabulary, so "random text" means one thing everywhere.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache

#: Words in a random soup: the length the chance rate and the baselines use.
SOUP_WORDS = 8


@lru_cache(maxsize=4)
def common_words(n: int = 2000, lang: str = "en") -> tuple[str, ...]:
    """The ``n`` most frequent alphabetic words (``wordfreq`` ships the list offline)."""
    from wordfreq import top_n_list

    return tuple(w for w in top_n_list(lang, n * 2) if w.isalpha())[:n]


def word_soup(rng: random.Random, n_words: int, vocabulary: Sequence[str]) -> str:
    """``n_words`` words drawn uniformly with replacement, joined by spaces."""
    return " ".join(rng.choice(vocabulary) for _ in range(n_words))
