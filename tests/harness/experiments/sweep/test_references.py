"""The trajectories' references: a seeded random non-nonsense sample that no score
chooses, or the proxy's favourite; nonsense is never a reference."""

from __future__ import annotations

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.references import (
    REFERENCE_RULES,
    choose_references,
    file_references,
    given_references,
    random_references,
    reference_seed,
)
from harness.experiments.sweep.samples import Sample, SampleSet
from tests.harness.experiments.sweep.samples_data import write_rows

PROMPTS = [f"prompt {p}" for p in range(20)]
PER_PROMPT = 10


def _samples() -> tuple[SampleSet, list[str], list[tuple[int, ...]]]:
    """20 prompts x 10 distinct responses, in prompt order."""
    samples = [
        Sample(p, f"{p} response {i}", None, None, None, f"s.jsonl:{k * PER_PROMPT + i + 1}")
        for k, p in enumerate(PROMPTS)
        for i in range(PER_PROMPT)
    ]
    rows = [tuple(range(k * PER_PROMPT, (k + 1) * PER_PROMPT)) for k in range(len(PROMPTS))]
    return SampleSet(tuple(samples), ()), PROMPTS, rows


def _bad(rng: np.random.Generator) -> np.ndarray:
    """About a third of the samples nonsense; the first prompt's samples all of them."""
    bad = rng.random(len(PROMPTS) * PER_PROMPT) < 0.35
    bad[:PER_PROMPT] = True
    return bad


def test_random_references_are_the_same_for_a_seed_and_differ_between_seeds():
    samples, prompts, rows = _samples()
    bad = _bad(np.random.default_rng(0))
    proxy = np.random.default_rng(1).normal(size=len(bad))
    first = choose_references("random", samples, prompts, rows, proxy, bad, seed=7)
    again = choose_references("random", samples, prompts, rows, proxy, bad, seed=7)
    other = choose_references("random", samples, prompts, rows, proxy, bad, seed=8)
    assert first == again and first.rule == "random"
    assert first.by_prompt != other.by_prompt  # 19 prompts: another seed moves some pick
    assert "neither RM's score chooses it" in first.description


def test_random_references_take_no_score_into_account():
    """Permuting the scores (any RM's: the proxy's here; the gold is not even an input)
    leaves every pick where it was, while the proxy's favourite moves with them."""
    samples, prompts, rows = _samples()
    rng = np.random.default_rng(2)
    bad = _bad(rng)
    proxy = rng.normal(size=len(bad))
    picks = choose_references("random", samples, prompts, rows, proxy, bad, seed=0).by_prompt
    best = choose_references("proxy-best", samples, prompts, rows, proxy, bad, seed=0).by_prompt
    moved = 0
    for permutation in range(5):
        shuffled = np.random.default_rng(10 + permutation).permutation(proxy)
        again = choose_references("random", samples, prompts, rows, shuffled, bad, seed=0)
        assert again.by_prompt == picks
        moved += (
            choose_references("proxy-best", samples, prompts, rows, shuffled, bad, seed=0).by_prompt
            != best
        )
    assert moved  # the scores did reach the proxy-best rule
    assert random_references(samples, prompts, rows, bad, 0) == picks


def test_a_prompts_random_reference_does_not_depend_on_the_other_prompts():
    samples, prompts, rows = _samples()
    bad = _bad(np.random.default_rng(3))
    proxy = np.zeros(len(bad))
    every = choose_references("random", samples, prompts, rows, proxy, bad, seed=5).by_prompt
    some = choose_references(
        "random", samples, prompts[::3], rows[::3], proxy, bad, seed=5
    ).by_prompt
    assert some == {p: every[p] for p in prompts[::3] if p in every}
    assert reference_seed(5, "a") == reference_seed(5, "a") != reference_seed(6, "a")


def test_proxy_best_is_the_proxys_favourite_non_nonsense_sample_ties_to_the_earlier_row():
    samples, prompts, rows = _samples()
    bad = np.zeros(len(PROMPTS) * PER_PROMPT, dtype=bool)
    proxy = np.arange(len(bad), dtype=np.float64) % PER_PROMPT  # the last row is the best
    bad[PER_PROMPT - 1] = True  # prompt 0's favourite is nonsense: its runner-up instead
    proxy[2 * PER_PROMPT + 3] = proxy[2 * PER_PROMPT + 8] = 99.0  # prompt 2: a tie
    chosen = choose_references("proxy-best", samples, prompts, rows, proxy, bad, seed=0)
    assert chosen.rule == "proxy-best" and "the proxy scores highest" in chosen.description
    assert chosen.by_prompt["prompt 0"] == "prompt 0 response 8"
    assert chosen.by_prompt["prompt 1"] == "prompt 1 response 9"
    assert chosen.by_prompt["prompt 2"] == "prompt 2 response 3"


@pytest.mark.parametrize("rule", REFERENCE_RULES)
def test_nonsense_is_never_a_reference(rule):
    samples, prompts, rows = _samples()
    rng = np.random.default_rng(4)
    bad = _bad(rng)
    proxy = rng.normal(size=len(bad)) + 10 * bad  # the proxy loves the nonsense
    nonsense = {s.response for s, b in zip(samples.samples, bad, strict=True) if b}
    for seed in range(10):
        chosen = choose_references(rule, samples, prompts, rows, proxy, bad, seed=seed)
        assert "prompt 0" not in chosen.by_prompt  # all its samples are nonsense: none
        assert len(chosen.by_prompt) == len(PROMPTS) - 1
        assert not set(chosen.by_prompt.values()) & nonsense


def test_an_unknown_rule_is_one_line_and_a_file_overrides(tmp_path):
    samples, prompts, rows = _samples()
    bad = np.zeros(len(samples.samples), dtype=bool)
    with pytest.raises(HarnessError, match="use one of random, proxy-best"):
        choose_references("gold-best", samples, prompts, rows, bad * 1.0, bad, seed=0)
    pairs = write_rows(
        tmp_path / "pairs.jsonl",
        [
            {"prompt": "p", "chosen": "first", "rejected": "r"},
            {"prompt": "p", "chosen": "second", "rejected": "r"},
        ],
    )
    given = given_references(str(pairs))
    assert given == {"p": "first"} and given_references(None) is None
    chosen = file_references(str(pairs), given)
    assert chosen.rule == "file" and chosen.description == f"the chosen responses of {pairs}"
