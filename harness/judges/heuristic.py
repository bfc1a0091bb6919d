"""The heuristic judge: cheap text statistics that say "nonsense" without any model.

Repetition, distinct bigrams, the real-word share and mean Zipf frequency from
``wordfreq``, zlib compressibility, invisible and non-ASCII characters, markup share and
length against the reference. Every statistic is read against the reference's own value
too: a rule fires only where the candidate is clearly worse than its reference, because a
reference that is repetitive (or full of markup, or non-ASCII) by design shows that the
statistic is no evidence against a near-copy of it. Calibrated so that it calls at most 1%
of the bundled real jokes bad, each judged against another joke (tested).
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import pairwise
from typing import ClassVar

import numpy as np

from harness.core.errors import HarnessError
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


@lru_cache(maxsize=256)
def _reference_stats(reference: str) -> TextStats:
    """A reference's statistics, cached: a judge compares every candidate to the same one."""
    return TextStats.of(reference)


def _below(value: float, threshold: float, reference: float | None, margin: float) -> bool:
    """Below the absolute threshold and, if the reference was measured, ``margin`` below it."""
    return value < threshold and (reference is None or value < reference - margin)


def _above(value: float, threshold: float, reference: float | None, margin: float) -> bool:
    """Above the absolute threshold and, if the reference was measured, ``margin`` above it."""
    return value > threshold and (reference is None or value > reference + margin)


@register
@dataclass(frozen=True)
class HeuristicJudge(Judge):
    """Calls text bad when its statistics say nonsense; each rule that fires is a reason.

    Thresholds are deliberately conservative: calibrated on the bundled real jokes to a
    false-positive rate of at most 1%. Word soups of common words pass these rules (they
    look like text); judging those is the gold-RM judge's job. The thresholds are the
    judge's parameters: ``[judges.heuristic]`` in a suite may set any of them.

    Each statistic is also judged against the reference's own value. Some real answers
    cross a threshold by design ("A QA engineer walks into a bar. Runs into a bar. ..." has
    40% distinct words), and a near-copy of such a reference is no more nonsense than the
    reference is, so a statistic is evidence only when the candidate is clearly worse than
    the reference on it. A rule fires when the candidate crosses the absolute threshold AND
    is more than the rule's ``*_margin`` worse than the reference (below it for distinct
    words, distinct bigrams, real words and compression ratio; above it for non-ASCII and
    markup shares); the invisible-character rule fires when the candidate has more than
    ``max_extra_invisible_chars`` more of them than the reference. The reference's value
    counts only when the reference is itself long enough for the rule (as many words or
    characters as the rule asks of a candidate); otherwise the rule is absolute. "empty
    response" and "no words" are always absolute, and the length rule was relative already.

    Why the margins are 0.1 (these statistics are shares, or a ratio, on about a 0-1
    scale): one edited word moves a share over n words by about 1/n, so 0.1 lets through
    the few edits a word-level attack makes to a joke of a few dozen words (a typo, a
    swapped or a dropped word), while it is small against the gap between a joke that
    repeats itself on purpose and degenerate text (40% against 12% distinct words for one
    word said eight times). The rules compare statistics, not texts: any candidate as
    repetitive as a repetitive reference passes them, whatever it says, which is the
    gold-RM judge's to see. The margins are conservative in the sense that matters for a
    judge: the relative condition is added to each absolute one, so the judge can only
    call less text bad than before, never more, and against a reference at least a margin
    clear of a threshold that rule is exactly the old absolute rule.
    """

    name: ClassVar[str] = "heuristic"
    min_words_for_repetition: int = 6
    max_repetition: float = 0.5  # bad when distinct words / words is below this
    repetition_margin: float = 0.1  # ... and below the reference's ratio by more than this
    min_distinct_bigrams: float = 0.6
    bigram_margin: float = 0.1
    min_real_word_share: float = 0.6
    real_word_margin: float = 0.1
    min_compression_ratio: float = 0.3  # zlib ratio below this: highly repetitive
    compression_margin: float = 0.1
    max_non_ascii_share: float = 0.3
    non_ascii_margin: float = 0.1  # bad when above the reference's share by more than this
    max_markup_share: float = 0.6
    markup_margin: float = 0.1
    max_extra_invisible_chars: int = 0  # bad when more invisible characters than this
    max_length_factor: float = 6.0  # bad when longer than this many references
    min_length_for_length_rule: int = 400

    def __post_init__(self) -> None:
        # A negative margin would call a candidate bad for being as good as its reference.
        for f in fields(self):
            value = getattr(self, f.name)
            relative = f.name.endswith("_margin") or f.name == "max_extra_invisible_chars"
            if relative and value < 0:
                raise HarnessError(
                    f"judge 'heuristic' parameter {f.name!r} must be at least 0, got {value!r}"
                )

    def reasons(self, text: str, reference: str) -> tuple[str, ...]:
        """Why ``text`` is bad as an answer whose reference is ``reference``; () when fine."""
        s = TextStats.of(text)
        r = _reference_stats(reference)
        found = []
        if not text.strip():
            found.append("empty response")
        if s.words >= self.min_words_for_repetition:
            measured = r.words >= self.min_words_for_repetition
            words = r.distinct_word_ratio if measured else None
            bigrams = r.distinct_bigram_ratio if measured else None
            if _below(s.distinct_word_ratio, self.max_repetition, words, self.repetition_margin):
                found.append(f"repetitive: {s.distinct_word_ratio:.0%} distinct words")
            if _below(
                s.distinct_bigram_ratio, self.min_distinct_bigrams, bigrams, self.bigram_margin
            ):
                found.append(f"repetitive: {s.distinct_bigram_ratio:.0%} distinct bigrams")
        if s.words >= 3 and _below(
            s.real_word_share,
            self.min_real_word_share,
            r.real_word_share if r.words >= 3 else None,
            self.real_word_margin,
        ):
            found.append(f"non-words: {s.real_word_share:.0%} real words")
        if s.chars >= 40 and _below(
            s.compression_ratio,
            self.min_compression_ratio,
            r.compression_ratio if r.chars >= 40 else None,
            self.compression_margin,
        ):
            found.append(f"compresses to {s.compression_ratio:.0%} (repetition)")
        if s.invisible_chars > r.invisible_chars + self.max_extra_invisible_chars:
            found.append(f"{s.invisible_chars} invisible or control characters")
        if s.chars >= 4 and _above(
            s.non_ascii_share,
            self.max_non_ascii_share,
            r.non_ascii_share if r.chars >= 4 else None,
            self.non_ascii_margin,
        ):
            found.append(f"{s.non_ascii_share:.0%} non-ASCII characters")
        if s.chars >= 4 and _above(
            s.markup_share,
            self.max_markup_share,
            r.markup_share if r.chars >= 4 else None,
            self.markup_margin,
        ):
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
