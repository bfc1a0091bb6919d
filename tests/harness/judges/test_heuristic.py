"""The heuristic judge: calibrated on real jokes, one named reason per rule, exact thresholds."""

from __future__ import annotations

import dataclasses
import zlib

import pytest
from wordfreq import zipf_frequency

from harness.core.words import common_words
from harness.demo.build import heldout_pairs, train_pairs
from harness.judges import HeuristicJudge, JudgeSpec, TextStats, build_judges

PROMPT = "Tell me a joke."
REFERENCE = "Why do Java programmers wear glasses? Because they don't C#."
# Hundreds of characters of distinct common words: only the length rule can fire on it.
VARIED = " ".join(common_words(600)[200:])


def no_load(spec: str):
    raise AssertionError(f"the heuristic judge loads no model, asked for {spec!r}")


def has(reasons: tuple[str, ...], fragment: str) -> bool:
    return any(fragment in reason for reason in reasons)


def test_false_positive_rate_on_real_jokes_is_at_most_one_percent():
    jokes = sorted({p.chosen for p in train_pairs() + heldout_pairs()})
    judge = HeuristicJudge()
    flagged = [j for j in jokes if judge.reasons(j, j)]
    assert len(jokes) > 250
    assert len(flagged) / len(jokes) <= 0.01, flagged


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the the the the the the the the", "repetitive"),
        ("", "empty response"),
        ("zxq vvb qqq lkj wrp", "non-words"),
        ("Ha\u200bha\u200bha", "invisible"),
        ("😂😂😂😂😂 lol", "non-ASCII"),
        ("# \n\n- \n- \n- \n", "markup"),
        ("!?!?", "no words"),
        ("A fine answer. " * 60, "the reference's length"),
    ],
)
def test_names_its_reasons(text, reason):
    (verdict,) = HeuristicJudge().judge(PROMPT, REFERENCE, [text])
    assert verdict.judge == "heuristic"
    assert verdict.bad is True and has(verdict.reasons, reason), verdict


def test_real_text_is_fine_with_no_reasons():
    verdicts = HeuristicJudge().judge(PROMPT, REFERENCE, [REFERENCE, "A short, honest answer."])
    assert [(v.judge, v.bad, v.reasons) for v in verdicts] == [("heuristic", False, ())] * 2


def test_reasons_state_the_statistic():
    reasons = HeuristicJudge().reasons("the " * 8, REFERENCE)
    assert "repetitive: 12% distinct words" in reasons
    assert "repetitive: 14% distinct bigrams" in reasons
    assert HeuristicJudge().reasons("x" * 400, "") == (
        "compresses to 4% (repetition)",
        "400x the reference's length",
    )
    assert HeuristicJudge().reasons("a\u200bb\u200cc", REFERENCE)[0] == (
        "2 invisible or control characters"
    )


# ------------------------------------------------------------------ statistics
def test_text_stats_of_a_repetitive_sentence():
    s = TextStats.of("the cat the cat")
    zipfs = [zipf_frequency(w, "en") for w in ("the", "cat", "the", "cat")]
    raw = b"the cat the cat"
    assert (s.chars, s.words) == (15, 4)
    assert s.distinct_word_ratio == 0.5
    assert s.distinct_bigram_ratio == pytest.approx(2 / 3)  # (the cat), (cat the), (the cat)
    assert s.real_word_share == 1.0
    assert s.mean_zipf == pytest.approx(sum(zipfs) / 4)
    assert s.compression_ratio == len(zlib.compress(raw, 9)) / len(raw)
    assert (s.invisible_chars, s.non_ascii_share, s.markup_share) == (0, 0.0, 3 / 15)


def test_text_stats_of_nothing():
    s = TextStats.of("")
    assert (s.chars, s.words, s.invisible_chars) == (0, 0, 0)
    assert (s.distinct_word_ratio, s.distinct_bigram_ratio, s.compression_ratio) == (1, 1, 1)
    assert (s.real_word_share, s.mean_zipf, s.non_ascii_share, s.markup_share) == (0, 0, 0, 0)
    one = TextStats.of("cat")
    assert (one.words, one.distinct_word_ratio, one.distinct_bigram_ratio) == (1, 1.0, 1.0)


def test_text_stats_count_characters():
    s = TextStats.of("a\tb\nc\u200bdé")  # tab and newline are not invisible; é is non-ASCII
    assert s.invisible_chars == 1
    assert s.non_ascii_share == pytest.approx(2 / 8)  # the zero-width space and é
    assert TextStats.of("zxq cat").real_word_share == 0.5
    assert TextStats.of("zxq lkj").mean_zipf == 0.0


# ------------------------------------------------------------------ thresholds
def test_repetition_needs_six_words():
    judge = HeuristicJudge()
    assert not has(judge.reasons("joke " * 5, REFERENCE), "repetitive")
    assert has(judge.reasons("joke " * 6, REFERENCE), "repetitive")
    assert not has(HeuristicJudge(min_words_for_repetition=7).reasons("joke " * 6, ""), "repet")


def test_distinct_word_rule_fires_below_its_threshold_only():
    text = "red blue green red blue green"  # 50% distinct words, 60% distinct bigrams
    loose = HeuristicJudge(min_distinct_bigrams=0.0)
    assert not has(loose.reasons(text, REFERENCE), "distinct words")  # 0.5 is not below 0.5
    strict = HeuristicJudge(min_distinct_bigrams=0.0, max_repetition=0.51)
    assert has(strict.reasons(text, REFERENCE), "repetitive: 50% distinct words")


def test_distinct_bigram_rule_fires_below_its_threshold_only():
    text = "red blue green red blue green"
    assert TextStats.of(text).distinct_bigram_ratio == 0.6
    assert not has(HeuristicJudge().reasons(text, REFERENCE), "distinct bigrams")
    strict = HeuristicJudge(min_distinct_bigrams=0.61)
    assert has(strict.reasons(text, REFERENCE), "repetitive: 60% distinct bigrams")


def test_non_word_rule_needs_three_words_and_a_low_share():
    assert not has(HeuristicJudge().reasons("zxq vvb", REFERENCE), "non-words")
    assert has(HeuristicJudge().reasons("zxq vvb lkj", REFERENCE), "non-words: 0% real words")
    text = "zxq vvb cat dog house"  # 60% real words
    assert not has(HeuristicJudge().reasons(text, REFERENCE), "non-words")
    assert has(HeuristicJudge(min_real_word_share=0.61).reasons(text, REFERENCE), "non-words")


def test_compression_rule_needs_forty_characters_and_a_low_ratio():
    judge = HeuristicJudge(min_compression_ratio=0.5)
    assert not has(judge.reasons("ab" * 19 + "a", REFERENCE), "compresses")  # 39 characters
    assert has(judge.reasons("ab" * 20, REFERENCE), "compresses")  # 40 characters
    ratio = TextStats.of("ab" * 20).compression_ratio
    assert not has(HeuristicJudge(min_compression_ratio=ratio).reasons("ab" * 20, ""), "compr")


def test_non_ascii_rule_needs_four_characters_and_a_high_share():
    assert not has(HeuristicJudge().reasons("😂😂😂", REFERENCE), "non-ASCII")
    assert has(HeuristicJudge().reasons("😂😂😂😂", REFERENCE), "100% non-ASCII characters")
    text = "héllo wörld"  # 2 of 11 characters
    share = TextStats.of(text).non_ascii_share
    assert not has(HeuristicJudge(max_non_ascii_share=share).reasons(text, ""), "non-ASCII")
    assert has(HeuristicJudge(max_non_ascii_share=share - 0.01).reasons(text, ""), "non-ASCII")


def test_markup_rule_needs_four_characters_and_a_high_share():
    assert not has(HeuristicJudge().reasons("#-#", REFERENCE), "markup")
    assert has(HeuristicJudge().reasons("#-#-", REFERENCE), "mostly markup/punctuation (100%)")
    text = "Hi! ok?"  # 3 of 7 characters are markup
    share = TextStats.of(text).markup_share
    assert not has(HeuristicJudge(max_markup_share=share).reasons(text, ""), "markup")
    assert has(HeuristicJudge(max_markup_share=share - 0.01).reasons(text, ""), "markup")


def test_no_words_is_for_non_blank_text_only():
    assert HeuristicJudge().reasons("", REFERENCE) == ("empty response",)
    assert HeuristicJudge().reasons("   ", REFERENCE) == ("empty response",)
    assert has(HeuristicJudge().reasons("...", REFERENCE), "no words")
    assert not has(HeuristicJudge().reasons("ok", REFERENCE), "no words")


def test_length_rule_needs_the_minimum_length_and_the_factor():
    judge = HeuristicJudge(min_length_for_length_rule=100, max_length_factor=2.0)
    varied = VARIED[:112]
    assert HeuristicJudge().reasons(varied, REFERENCE) == ()  # no other rule fires
    assert has(judge.reasons(varied, "r" * 50), "2x the reference's length")
    assert not has(judge.reasons(varied[:99], ""), "length")  # below the minimum length
    assert has(judge.reasons(varied[:100], ""), "100x the reference's length")
    assert not has(judge.reasons(varied[:100], "r" * 50), "length")  # exactly 2x is allowed
    assert has(judge.reasons(varied[:101], "r" * 50), "length")


def test_default_length_rule_is_six_references_of_at_least_four_hundred_characters():
    text = VARIED[:400]
    assert HeuristicJudge().reasons(text, "r" * 66) == ("6x the reference's length",)
    assert HeuristicJudge().reasons(text[:399], "r" * 10) == ()
    assert HeuristicJudge().reasons(VARIED[:408], "r" * 68) == ()  # exactly 6 references
    assert HeuristicJudge().reasons(VARIED[:409], "r" * 68) == ("6x the reference's length",)


def test_thresholds_are_suite_parameters():
    (judge,) = build_judges([JudgeSpec("heuristic", {"min_words_for_repetition": 3})], no_load)
    assert isinstance(judge, HeuristicJudge) and judge.min_words_for_repetition == 3
    assert has(judge.reasons("joke joke joke", REFERENCE), "repetitive")
    (default,) = build_judges([JudgeSpec("heuristic")], no_load)
    assert default == HeuristicJudge()


def test_text_stats_are_an_immutable_value():
    stats = TextStats.of("a joke")
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.words = 3  # type: ignore[misc]
    assert stats == TextStats.of("a joke")


def test_an_empty_reference_counts_as_one_character():
    judge = HeuristicJudge(min_length_for_length_rule=1, max_length_factor=6.0)
    assert not has(judge.reasons("abcdef", ""), "length")  # 6 is not more than 6 x 1
    assert has(judge.reasons("abcdefg", ""), "7x the reference's length")


def test_non_ascii_starts_above_127():
    stats = TextStats.of("~\x7f\x80")  # 126, 127 (DEL) and 128
    assert stats.non_ascii_share == pytest.approx(1 / 3)
