"""The word searches' ``lm`` mutation on a tiny saved Llama LM: the span alone changes."""

from __future__ import annotations

import pytest

from attacks import get_attack
from attacks.lm_mutation import LMRewriter
from attacks.lm_proposer import LMProposer
from harness.core.errors import HarnessError
from harness.models import CallableRewardModel
from harness.scoring import Scorer
from harness.testing import PlantedRewardModel, build_tiny_causal_lm

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."
JOKE = "why did the python programmer quit his job because he did not get arrays"
WORDS = JOKE.split(" ")


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "lm", chat_template=True))


@pytest.fixture(scope="module")
def rewriter(tiny_lm) -> LMRewriter:
    return LMRewriter(LMProposer.load(tiny_lm), PROMPT, seed=0, prefix_text=" ".join)


@pytest.mark.parametrize(("start", "span"), [(0, 3), (4, 2), (10, 5), (13, 1), (5, 20)])
def test_a_rewrite_keeps_every_word_outside_the_span(rewriter, start, span):
    out = rewriter.rewrite([WORDS] * 8, [start] * 8, span)
    for words in out:
        assert len(words) == len(WORDS)
        assert words[:start] == WORDS[:start]
        assert words[start + span :] == WORDS[start + span :]
    assert any(words != WORDS for words in out)  # the LM did write something


def test_rewrites_are_seeded_per_call(tiny_lm):
    def draws(seed):
        r = LMRewriter(LMProposer.load(tiny_lm), PROMPT, seed=seed, prefix_text=" ".join)
        return [r.rewrite([WORDS] * 4, [2] * 4, 3) for _ in range(2)]

    first, again, other = draws(0), draws(0), draws(1)
    assert first == again and first != other
    assert first[0] != first[1]  # a second call draws fresh streams


def test_the_prefix_is_what_the_lm_reads(tiny_lm, monkeypatch):
    """The LM continues the prompt and the candidate's text before the span, nothing else."""
    proposer = LMProposer.load(tiny_lm)
    seen = []
    continue_rows = LMProposer.continue_rows

    def spy(self, prefixes, streams, steps):
        seen.extend(prefixes)
        return continue_rows(self, prefixes, streams, steps)

    monkeypatch.setattr(LMProposer, "continue_rows", spy)
    r = LMRewriter(proposer, PROMPT, seed=0, prefix_text=lambda w: f"{REFERENCE} {' '.join(w)}")
    r.rewrite([WORDS], [3], 2)
    expected = proposer.prompt_ids(PROMPT) + proposer.encode(f"{REFERENCE} why did the")
    assert seen == [expected]


@pytest.mark.parametrize("name", ["greedy-coordinate", "genetic"])
def test_searches_with_the_lm_mutation_count_lm_tokens_and_stay_in_budget(tiny_lm, name):
    planted = PlantedRewardModel.default()

    def run():
        return get_attack(name)(mutation="lm", lm=tiny_lm, length=6, batch=8).run(
            Scorer(CallableRewardModel(planted)), PROMPT, REFERENCE, budget=60, seed=2
        )

    first, second = run(), run()
    assert first.error is None, first.error
    assert first.queries <= 60 and first.lm_tokens > 0
    assert (first.best_text, first.lm_tokens) == (second.best_text, second.lm_tokens)


@pytest.mark.parametrize("name", ["greedy-coordinate", "genetic"])
def test_the_default_mutation_is_the_word_swap_with_no_lm(name):
    attack = get_attack(name)()
    assert attack.params.mutation == "word"
    outcome = attack.run(
        Scorer(CallableRewardModel(PlantedRewardModel.default())), PROMPT, REFERENCE, budget=40
    )
    assert outcome.error is None and outcome.lm_tokens == 0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"mutation": "gpt"}, "parameter 'mutation' must be"),
        ({"span": 0}, "parameter 'span' must be at least 1"),
        ({"temperature": 0.0}, "parameter 'temperature' must be finite and > 0"),
    ],
)
@pytest.mark.parametrize("name", ["greedy-coordinate", "genetic"])
def test_bad_mutation_parameters_are_one_line(name, params, fragment):
    with pytest.raises(HarnessError, match=fragment):
        get_attack(name)(**params)


def test_a_search_whose_lm_proposes_only_what_was_scored_stops(tiny_lm):
    """At a near-zero temperature every rewrite repeats (cached, free): greedy-coordinate,
    whose only source of new text is the rewrite, ends instead of spinning, long before
    its budget. (A genetic search's crossover keeps making new text: it spends its budget.)
    """
    attack = get_attack("greedy-coordinate")(
        mutation="lm", lm=tiny_lm, temperature=1e-6, length=4, batch=4
    )
    outcome = attack.run(
        Scorer(CallableRewardModel(PlantedRewardModel.default())), PROMPT, REFERENCE,
        budget=100_000, seed=0,
    )  # fmt: skip
    assert outcome.error is None, outcome.error
    assert outcome.queries < 1_000 and outcome.lm_tokens > 0
