"""Hypothesis strategies for structured nonsense, importable by users.

Use them in your own property tests, e.g. "no repetition of a prompt word outscores the
reference"::

    from hypothesis import given
    from attacks.strategies import repetitions, prompt_words

    @given(repetitions(prompt_words("Tell me a joke about Python.")))
    def test_repetition_never_wins(text):
        assert scorer.score_one(prompt, text) <= scorer.score_one(prompt, reference)

Every choice among elements goes through ``stable_sampled_from`` and every other draw is a
count below 100 or a yes/no, so that the constants Hypothesis mines from the modules a
process has loaded never reach these strategies: at a seed they draw the same texts in
every process (``attacks.stable_sampling`` says why and how).
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from attacks.stable_sampling import stable_sampled_from
from attacks.templates import BIDI, HOMOGLYPHS, ZERO_WIDTH, EmptyFormatting, prompt_words
from harness.core.words import common_words

__all__ = [
    "format_shells",
    "nonsense",
    "prompt_echoes",
    "prompt_words",
    "repetitions",
    "token_soups",
    "unicode_junk",
]

EMOJI = ("😂", "🤣", "👍", "🎉", "💯", "🔥", "✨")
SEPARATORS = (" ", ", ", "! ", "\n", " - ")


def repetitions(units: Sequence[str] = ("the", "joke", "funny", "haha")) -> st.SearchStrategy[str]:
    """One word or phrase repeated 2-40 times with one separator."""
    return st.builds(
        lambda unit, count, sep: sep.join([unit] * count),
        stable_sampled_from(list(units) or ["the"]),
        st.integers(2, 40),
        stable_sampled_from(SEPARATORS),
    )


def token_soups(
    vocabulary: Sequence[str] | None = None, min_size: int = 1, max_size: int = 16
) -> st.SearchStrategy[str]:
    """Words drawn from a vocabulary (default: 3,000 common English words), space-joined."""
    words = list(vocabulary) if vocabulary is not None else list(common_words(3000))
    return st.lists(stable_sampled_from(words), min_size=min_size, max_size=max_size).map(" ".join)


def unicode_junk(max_size: int = 24) -> st.SearchStrategy[str]:
    """Zero-width, bidi, homoglyph and emoji characters, with some ASCII letters."""
    alphabet = [*ZERO_WIDTH, *BIDI, *HOMOGLYPHS.values(), *EMOJI, *"abcxyz "]
    return st.lists(stable_sampled_from(alphabet), min_size=1, max_size=max_size).map("".join)


def format_shells() -> st.SearchStrategy[str]:
    """Markdown shells with no content, optionally repeated."""
    return st.builds(
        lambda shell, times: shell * times,
        stable_sampled_from(EmptyFormatting.SHELLS),
        st.integers(1, 3),
    )


def prompt_echoes(prompt: str, max_size: int = 16) -> st.SearchStrategy[str]:
    """The prompt's own content words, shuffled and repeated."""
    words = prompt_words(prompt) or ["joke"]
    return st.lists(stable_sampled_from(words), min_size=1, max_size=max_size).map(" ".join)


def nonsense(prompt: str, vocabulary: Sequence[str] | None = None) -> st.SearchStrategy[str]:
    """Any of the above, or two of them joined: the fuzz attack's search space."""
    base = st.one_of(
        repetitions([*prompt_words(prompt), "the", "joke", "funny"]),
        token_soups(vocabulary),
        unicode_junk(),
        format_shells(),
        prompt_echoes(prompt),
    )
    return st.one_of(base, st.tuples(base, base).map(" ".join))
