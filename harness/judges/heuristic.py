"""The heuristic judge: cheap text statistics that say "nonsense" without any model.

Repetition, distinct bigrams, the real-word share and mean Zipf frequency from
``wordfreq``, zlib compressibility, invisible and non-ASCII characters, markup share and
length against the reference. Calibrated so that it calls at most 1% of the bundled real
jokes bad (tested).
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import ClassVar

import numpy as np

from harness.judges.base import Judge, Judgement, register

INVISIBLE_CATEGORIES = {"Cf", "Cc", "Co", "Cn"}
MARKUP = set("#*-_|`>[](){}=~:;.,!?/\\+ \t\n")


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def _words(text: str) -> list[str]:
    from wordfreq import tokenize

    return tokenize(text, "en")


@dataclass(frozen=True)
class TextStats:
    """The statistics the heuristic judge reads; also shown in reports."""

    chars: int
    words: int
    distinct_word_ratio: float
    distinct_bigram_ratio: float
    real_word_share: float
    mean_zipf: float
    compression_ratio: float
    invisible_chars: int
    non_ascii_share: float
    markup_share: float

    @classmethod
    def of(cls, text: str) -> TextStats:
        words = _words(text)
        n = len(words)
        bigrams = list(pairwise(words))
        zipfs = [_zipf(w) for w in words]
        raw = text.encode("utf-8")
        return cls(
            chars=len(text),
            words=n,
            distinct_word_ratio=len(set(words)) / n if n else 1.0,
            distinct_bigram_ratio=len(set(bigrams)) / len(bigrams) if bigrams else 1.0,
            real_word_share=sum(z > 0 for z in zipfs) / n if n else 0.0,
            mean_zipf=float(np.mean(zipfs)) if zipfs else 0.0,
            compression_ratio=len(zlib.compress(raw, 9)) / len(raw) if raw else 1.0,
            invisible_chars=sum(
                unicodedata.category(c) in INVISIBLE_CATEGORIES and c not in "\n\t" for c in text
            ),
            non_ascii_share=sum(ord(c) > 127 for c in text) / len(text) if text else 0.0,
            markup_share=sum(c in MARKUP for c in text) / len(text) if text else 0.0,
        )


@register
@dataclass(frozen=True)
class HeuristicJudge(Judge):
    """Calls text bad when its statistics say nonsense; each rule that fires is a reason.

    Thresholds are deliberately conservative: calibrated on the bundled real jokes to a
    false-positive rate of at most 1%. Word soups of common words pass these rules (they
    look like text); judging those is the gold-RM judge's job. The thresholds are the
    judge's parameters: ``[judges.heuristic]`` in a suite may set any of them.
    """

    name: ClassVar[str] = "heuristic"
    min_words_for_repetition: int = 6
    max_repetition: float = 0.5  # bad when distinct words / words is below this
    min_distinct_bigrams: float = 0.6
    min_real_word_share: float = 0.6
    min_compression_ratio: float = 0.3  # zlib ratio below this: highly repetitive
    max_non_ascii_share: float = 0.3
    max_markup_share: float = 0.6
    max_length_factor: float = 6.0  # bad when longer than this many references
    min_length_for_length_rule: int = 400

    def reasons(self, text: str, reference: str) -> tuple[str, ...]:
        s = TextStats.of(text)
        found = []
        if not text.strip():
            found.append("empty response")
        if s.words >= self.min_words_for_repetition:
            if s.distinct_word_ratio < self.max_repetition:
                found.append(f"repetitive: {s.distinct_word_ratio:.0%} distinct words")
            if s.distinct_bigram_ratio < self.min_distinct_bigrams:
                found.append(f"repetitive: {s.distinct_bigram_ratio:.0%} distinct bigrams")
        if s.words >= 3 and s.real_word_share < self.min_real_word_share:
            found.append(f"non-words: {s.real_word_share:.0%} real words")
        if s.chars >= 40 and s.compression_ratio < self.min_compression_ratio:
            found.append(f"compresses to {s.compression_ratio:.0%} (repetition)")
        if s.invisible_chars:
            found.append(f"{s.invisible_chars} invisible or control characters")
        if s.chars >= 4 and s.non_ascii_share > self.max_non_ascii_share:
            found.append(f"{s.non_ascii_share:.0%} non-ASCII characters")
        if s.chars >= 4 and s.markup_share > self.max_markup_share:
            found.append(f"mostly markup/punctuation ({s.markup_share:.0%})")
        if text.strip() and s.words == 0:
            found.append("no words")
        if s.chars >= self.min_length_for_length_rule and s.chars > self.max_length_factor * max(
            len(reference), 1
        ):
            found.append(f"{s.chars / max(len(reference), 1):.0f}x the reference's length")
        return tuple(found)

    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        verdicts = []
        for text in candidates:
            reasons = self.reasons(text, reference)
            verdicts.append(Judgement(self.name, bool(reasons), reasons))
        return verdicts


# The thresholds are the parameters: building from checked Params is the judge itself.
HeuristicJudge.Params = HeuristicJudge  # type: ignore[misc,assignment]
HeuristicJudge.create = classmethod(lambda cls, params, load: params)  # type: ignore[method-assign]
