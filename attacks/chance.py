"""Chance baselines: how often unoptimized random text already outscores the reference.

An attack's success means little if random word soup of the same length succeeds as
often. The *chance rate* is the share of single random candidates that outscore the
reference; reports show it beside every attack's success rate.

Both count by the finding rule (``attacks.rule``), with the same float tolerance as every
finding: the baseline judges its winners as the attack's are judged; the chance rate
judges none, since a random soup is degenerate by construction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from attacks.rule import findings_among
from harness.core.data import PreferencePair
from harness.core.words import SOUP_WORDS, common_words, word_soup
from harness.scoring import Scorer

#: The chance rate's soups are bad by how they are made; no judge is asked.
SOUP_CONSTRUCTION = "a random word soup"


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


@dataclass(frozen=True)
class RandomBaseline:
    """Unoptimized random candidates for one prompt, at the attack's budget.

    ``single_wins / n`` estimates the chance rate (one random candidate succeeds);
    ``best_of_n`` says whether the best of all ``n`` succeeded (random sampling at equal
    budget). Success means outscoring the reference by the margin and being judged bad.
    """

    n: int
    single_wins: int
    best_of_n: bool
    best_margin: float


def random_baseline(
    scorer: Scorer,
    prompt: str,
    reference: str,
    *,
    budget: int,
    n_words: int = SOUP_WORDS,
    margin: float = 0.0,
    judges: Sequence = (),
    seed: int = 0,
) -> RandomBaseline:
    rng = random.Random(seed)
    vocabulary = common_words()
    own = scorer.with_budget(budget)
    reference_score = own.score_one(prompt, reference)
    soups = [word_soup(rng, n_words, vocabulary) for _ in range(max(budget - 1, 1))]
    soups = list(dict.fromkeys(soups))[: own.remaining]
    scores = own.score_responses(prompt, soups)
    wins = len(
        findings_among(
            soups,
            scores,
            prompt=prompt,
            reference=reference,
            reference_score=reference_score,
            judges=judges,
            margin=margin,
        )
    )
    return RandomBaseline(
        n=len(soups),
        single_wins=wins,
        best_of_n=wins > 0,
        best_margin=float(scores.max() - reference_score) if len(scores) else float("-inf"),
    )


def chance_rate(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    *,
    soups_per_prompt: int = 5,
    n_words: int = SOUP_WORDS,
    seed: int = 0,
) -> ChanceRate:
    """Score random soups against each distinct (prompt, chosen) reference."""
    rate, _ = chance_measure(
        scorer, pairs, soups_per_prompt=soups_per_prompt, n_words=n_words, seed=seed
    )
    return rate


def chance_by_prompt(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    *,
    soups_per_prompt: int = 5,
    n_words: int = SOUP_WORDS,
    seed: int = 0,
) -> dict[str, tuple[int, int]]:
    """``chance_rate`` per prompt: ``{prompt: (wins, soups)}``, the same soups and wins.

    Why per prompt: the whack-a-mole experiment resamples prompts for its intervals, so
    it needs the wins of each prompt, not only their sum.
    """
    _, by_prompt = chance_measure(
        scorer, pairs, soups_per_prompt=soups_per_prompt, n_words=n_words, seed=seed
    )
    return by_prompt


def chance_measure(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    *,
    soups_per_prompt: int = 5,
    n_words: int = SOUP_WORDS,
    seed: int = 0,
) -> tuple[ChanceRate, dict[str, tuple[int, int]]]:
    """``chance_rate`` and ``chance_by_prompt`` of one set of soups, scored once."""
    references, wins = _soup_wins(scorer, pairs, soups_per_prompt, n_words, seed)
    n = len(references) * soups_per_prompt
    total = int(wins.sum())
    by_prompt: dict[str, tuple[int, int]] = {}
    for (prompt, _), won in zip(references, wins, strict=True):
        before = by_prompt.get(prompt, (0, 0))
        by_prompt[prompt] = (before[0] + int(won), before[1] + soups_per_prompt)
    return ChanceRate(total / n, total, n, len(references), n_words), by_prompt


def _soup_wins(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    soups_per_prompt: int,
    n_words: int,
    seed: int,
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The distinct references and, per reference, how many of its soups outscored it."""
    rng = random.Random(seed)
    vocabulary = common_words()
    references = list(dict.fromkeys((p.prompt, p.chosen) for p in pairs))
    prompts, responses = [], []
    for prompt, _ in references:
        for _ in range(soups_per_prompt):
            prompts.append(prompt)
            responses.append(word_soup(rng, n_words, vocabulary))
    ref_scores = scorer.score([p for p, _ in references], [c for _, c in references])
    soup_scores = scorer.score(prompts, responses)
    wins = []
    for index, (prompt, chosen) in enumerate(references):
        mine = slice(index * soups_per_prompt, (index + 1) * soups_per_prompt)
        found = findings_among(
            responses[mine],
            soup_scores[mine],
            prompt=prompt,
            reference=chosen,
            reference_score=float(ref_scores[index]),
            judges=(),
            construction=SOUP_CONSTRUCTION,
        )
        wins.append(len(found))
    return references, np.array(wins, dtype=int)
