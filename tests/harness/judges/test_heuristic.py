"""The heuristic judge: calibrated on real jokes, one named reason per rule, exact thresholds,
and every statistic read against the reference's own value (a joke that repeats itself by
design is no evidence against a near-copy of it)."""

from __future__ import annotations

import dataclasses
import zlib

import pytest
from wordfreq import zipf_frequency

from harness.core.errors import HarnessError
from harness.core.words import common_words
from harness.demo.build import gold_pairs, heldout_pairs, train_pairs
from harness.judges import HeuristicJudge, JudgeSpec, TextStats, build_judges

PROMPT = "Tell me a joke."
REFERENCE = "Why do Java programmers wear glasses? Because they don't C#."
# Hundreds of characters of distinct common words: only the length rule can fire on it.
VARIED = " ".join(common_words(600)[200:])


def no_load(spec: str):
    raise AssertionError(f"the heuristic judge loads no model, asked for {spec!r}")


def has(reasons: tuple[str, ...], fragment: str) -> bool:
    return any(fragment in reason for reason in reasons)


def real_jokes() -> list[str]:
    return sorted({p.chosen for p in train_pairs() + gold_pairs() + heldout_pairs()})


def test_false_positive_rate_on_real_jokes_is_at_most_one_percent():
    """Each joke against another one as reference: judged against itself, every rule that
    reads the reference would be excused by construction and the rate would say nothing.
    The reference is the joke half the sorted list away, not a neighbour that may share
    its opening words."""
    jokes = real_jokes()
    judge = HeuristicJudge()
    half = len(jokes) // 2
    flagged = [j for i, j in enumerate(jokes) if judge.reasons(j, jokes[(i + half) % len(jokes)])]
    assert len(jokes) > 250
    assert len(flagged) / len(jokes) <= 0.01, flagged


def test_no_real_joke_is_bad_against_itself():
    """What a reference shows is no evidence against it: every statistic is excused."""
    judge = HeuristicJudge()
    assert [j for j in real_jokes() if judge.reasons(j, j)] == []


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


# ------------------------------------------------------------------ against the reference
# Real jokes that repeat themselves by design. The QA engineer's is a bundled joke on which
# TextAttack's near-copies were called repetitive by this judge alone.
QA = (
    "A QA engineer walks into a bar. Runs into a bar. Crawls into a bar. Dances into a bar. "
    "Tiptoes into a bar. Rams a bar. Jumps into a bar."
)
KNOCK = "Knock knock. Who's there? Banana. Banana who? " * 3 + (
    "Knock knock. Who's there? Orange. Orange who? Orange you glad I didn't say banana?"
)
# One edit each, as a word-level attack makes them: a typo, a swapped word, a dropped word
# and two transposed words.
NEAR_COPIES = {
    QA: [
        QA.replace("Dances", "Dnaces"),
        QA.replace("Runs", "Sprints"),
        QA.replace("A QA", "A", 1),
        QA.replace("Runs into", "into Runs"),
    ],
    KNOCK: [
        KNOCK.replace("glad", "gald"),
        KNOCK.replace("glad", "happy"),
        KNOCK.replace(" I didn't", " didn't"),
        KNOCK.replace("you glad", "glad you"),
    ],
}
DEGENERATE = "bar bar bar bar bar bar bar bar"
# Why do programmers mix up Halloween and Christmas? ... in Russian: mostly non-ASCII, and
# half of its words are no English words.
RUSSIAN = "Почему программисты путают Хэллоуин и Рождество? Потому что 31 OCT = 25 DEC."
TABLE = "| 1 | 2 |\n|---|---|\n| ? | ! |"  # a joke told as a markdown table: mostly markup
CODER = "My code works and I don't know why \U0001f468\u200d\U0001f4bb"  # a ZWJ emoji


def test_the_qa_engineer_joke_is_a_real_joke_past_the_repetition_threshold():
    assert QA in real_jokes()
    for reference in (QA, KNOCK):
        assert TextStats.of(reference).distinct_word_ratio < HeuristicJudge().max_repetition


@pytest.mark.parametrize("reference", [QA, KNOCK], ids=["qa-engineer", "knock-knock"])
def test_near_copies_of_a_repetitive_reference_are_not_bad(reference):
    """Each near-copy is as repetitive as its reference, which is what the reference shows."""
    copies = NEAR_COPIES[reference]
    verdicts = HeuristicJudge().judge(PROMPT, reference, copies)
    assert [(v.bad, v.reasons) for v in verdicts] == [(False, ())] * len(copies)
    # The statistics alone would call them bad: against a plain joke they are (as the
    # judge did for every reference before).
    for copy in copies:
        assert has(HeuristicJudge().reasons(copy, REFERENCE), "repetitive"), copy


@pytest.mark.parametrize("reference", [QA, KNOCK], ids=["qa-engineer", "knock-knock"])
def test_a_degenerate_candidate_is_bad_against_a_repetitive_reference(reference):
    (verdict,) = HeuristicJudge().judge(PROMPT, reference, [DEGENERATE])
    assert verdict.bad is True
    assert verdict.reasons == (
        "repetitive: 12% distinct words",
        "repetitive: 14% distinct bigrams",
    )


def test_a_repetitive_candidate_is_bad_against_a_plain_reference():
    judge = HeuristicJudge()
    assert judge.reasons(QA, REFERENCE) == ("repetitive: 40% distinct words",)
    assert judge.reasons(KNOCK, REFERENCE) == (
        "repetitive: 31% distinct words",
        "repetitive: 50% distinct bigrams",
    )
    assert has(judge.reasons(DEGENERATE, REFERENCE), "repetitive: 12% distinct words")


def test_margins_are_suite_parameters_and_not_negative():
    spec = JudgeSpec("heuristic", {"repetition_margin": 0.5, "max_extra_invisible_chars": 2})
    (judge,) = build_judges([spec], no_load)
    assert (judge.repetition_margin, judge.max_extra_invisible_chars) == (0.5, 2)
    with pytest.raises(HarnessError, match=r"'markup_margin' must be at least 0, got -0\.1"):
        build_judges([JudgeSpec("heuristic", {"markup_margin": -0.1})], no_load)
    with pytest.raises(HarnessError, match="'max_extra_invisible_chars' must be at least 0"):
        HeuristicJudge(max_extra_invisible_chars=-1)


# One test per rule that reads the reference. Each starts with a real answer past the
# absolute threshold that the default margin excuses against its own kind of reference
# (the old, reference-blind judge called it bad), then pins the margin's edge on values
# that are exact binary fractions, and a reference too short for the rule to measure.
def test_distinct_word_rule_needs_the_candidate_clearly_below_the_reference():
    dropped = NEAR_COPIES[QA][2]  # 38% distinct words against the joke's 40%
    assert HeuristicJudge().reasons(dropped, QA) == ()
    assert has(HeuristicJudge().reasons(dropped, REFERENCE), "repetitive: 38% distinct words")
    text = "red blue red blue red blue red blue"  # 25% distinct words
    half = "red blue green yellow red blue green yellow"  # 50%
    judge = HeuristicJudge(min_distinct_bigrams=0.0)  # the bigram rule is another test's
    assert has(judge.reasons(text, half), "repetitive: 25% distinct words")  # below 50% - 10%
    edge = dataclasses.replace(judge, repetition_margin=0.25)
    assert not has(edge.reasons(text, half), "distinct words")  # 25% is not below 25%
    assert has(dataclasses.replace(judge, repetition_margin=0.125).reasons(text, half), "dist")
    # A reference of five words is too short for the rule, so its 20% shows nothing.
    assert has(judge.reasons(text, "red red red red red"), "distinct words")
    assert not has(judge.reasons(text, "red red red red red red"), "distinct words")


def test_distinct_bigram_rule_needs_the_candidate_clearly_below_the_reference():
    judge = HeuristicJudge(max_repetition=0.0)  # the distinct-word rule is another test's
    dropped = NEAR_COPIES[KNOCK][2]  # 48% distinct bigrams against the joke's 50%
    assert TextStats.of(KNOCK).distinct_bigram_ratio == 0.5
    assert judge.reasons(dropped, KNOCK) == ()
    assert judge.reasons(dropped, REFERENCE) == ("repetitive: 48% distinct bigrams",)
    text = "red blue red blue red blue red blue red"  # 2 of 8 bigrams distinct: 25%
    half = "red blue green red blue green red"  # 3 of 6: 50%
    assert judge.reasons(text, half) == ("repetitive: 25% distinct bigrams",)
    assert dataclasses.replace(judge, bigram_margin=0.25).reasons(text, half) == ()
    assert dataclasses.replace(judge, bigram_margin=0.125).reasons(text, half) != ()
    assert judge.reasons(text, "red blue red blue red") != ()  # five words: not measured


def test_non_word_rule_needs_the_candidate_clearly_below_the_reference():
    # A joke in Russian has few English words: a near-copy of it has no fewer.
    typo = RUSSIAN.replace("программисты", "програмисты")
    assert TextStats.of(typo).real_word_share < HeuristicJudge().min_real_word_share
    assert not has(HeuristicJudge().reasons(typo, RUSSIAN), "non-words")
    assert has(HeuristicJudge().reasons(typo, REFERENCE), "non-words: 50% real words")
    text = "zxq vvb lkj cat"  # 25% real words
    half = "zxq vvb cat dog"  # 50%
    assert HeuristicJudge().reasons(text, half) == ("non-words: 25% real words",)
    assert HeuristicJudge(real_word_margin=0.25).reasons(text, half) == ()
    assert HeuristicJudge(real_word_margin=0.125).reasons(text, half) != ()
    assert HeuristicJudge().reasons(text, "zxq vvb") != ()  # two words: not measured


def test_compression_rule_needs_the_candidate_clearly_below_the_reference():
    text, similar = "ab" * 50, "ab" * 40  # a chant answered with a slightly longer chant
    c, r = TextStats.of(text).compression_ratio, TextStats.of(similar).compression_ratio
    assert c < r < HeuristicJudge().min_compression_ratio
    assert HeuristicJudge().reasons(text, similar) == ()  # within 10% of the reference
    assert HeuristicJudge().reasons(text, REFERENCE) == ("compresses to 13% (repetition)",)
    assert HeuristicJudge(compression_margin=(r - c) / 2).reasons(text, similar) != ()
    assert HeuristicJudge(compression_margin=(r - c) * 2).reasons(text, similar) == ()
    assert HeuristicJudge().reasons(text, "ab" * 19 + "a") != ()  # 39 characters: not measured


def test_non_ascii_rule_needs_the_candidate_clearly_above_the_reference():
    typo = RUSSIAN.replace("программисты", "програмисты")
    assert TextStats.of(typo).non_ascii_share > HeuristicJudge().max_non_ascii_share
    assert HeuristicJudge().reasons(typo, RUSSIAN) == ()
    assert has(HeuristicJudge().reasons(typo, REFERENCE), "67% non-ASCII characters")
    text = "😂😂😂😂haha"  # 50% non-ASCII
    quarter = "😂😂hahahe"  # 25%
    assert has(HeuristicJudge().reasons(text, quarter), "50% non-ASCII characters")
    assert not has(HeuristicJudge(non_ascii_margin=0.25).reasons(text, quarter), "non-ASCII")
    assert has(HeuristicJudge(non_ascii_margin=0.125).reasons(text, quarter), "non-ASCII")
    assert has(HeuristicJudge().reasons(text, "😂😂😂"), "non-ASCII")  # 3 characters: not measured


def test_markup_rule_needs_the_candidate_clearly_above_the_reference():
    swapped = TABLE.replace("? | !", "! | ?")
    assert HeuristicJudge().reasons(swapped, TABLE) == ()
    assert HeuristicJudge().reasons(swapped, REFERENCE) == ("mostly markup/punctuation (93%)",)
    text = "ab!!!!!!"  # 75% markup
    five_eighths = "abc!!!!!"  # 62.5%
    assert HeuristicJudge(markup_margin=0.125).reasons(text, five_eighths) == ()
    assert HeuristicJudge(markup_margin=0.0625).reasons(text, five_eighths) == (
        "mostly markup/punctuation (75%)",
    )
    assert HeuristicJudge().reasons(text, "abc") != ()  # 3 characters: not measured


def test_invisible_rule_counts_what_the_reference_does_not_have():
    assert TextStats.of(CODER).invisible_chars == 1  # the zero-width joiner of the coder emoji
    same = CODER.replace("don't", "do not")
    extra = CODER.replace("My code", "My\u200bcode")
    assert HeuristicJudge().reasons(same, CODER) == ()
    assert HeuristicJudge().reasons(same, REFERENCE) == ("1 invisible or control characters",)
    assert HeuristicJudge().reasons(extra, CODER) == ("2 invisible or control characters",)
    assert HeuristicJudge(max_extra_invisible_chars=1).reasons(extra, CODER) == ()
