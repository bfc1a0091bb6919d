"""The minimum detectable effect: its formula, the design effect, the round-0 check."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.power import (
    best_case_mde,
    intraclass_correlation,
    minimum_detectable_effect,
    prompts_for,
    round0_power,
)


def test_formula_without_clustering_or_seeds() -> None:
    n, m, p = 50, 4, 0.3
    q = stats.t.ppf(0.975, n - 1) + stats.t.ppf(0.8, n - 1)
    expected = q * math.sqrt(2 * p * (1 - p) / (n * m))
    assert minimum_detectable_effect(p, m, n, 1, 0.0) == pytest.approx(expected)
    assert best_case_mde(n, m, 1) == pytest.approx(q * math.sqrt(2 * 0.25 / (n * m)))


def test_design_effect_grows_with_the_intra_prompt_correlation() -> None:
    loose = minimum_detectable_effect(0.5, 6, 40, 1, 0.0)
    tight = minimum_detectable_effect(0.5, 6, 40, 1, 0.5)
    assert tight == pytest.approx(loose * math.sqrt(1 + 5 * 0.5))


def test_seed_spread_cannot_be_bought_back_with_prompts() -> None:
    # With a spread between training replicates, more prompts stop helping; more seeds do.
    assert prompts_for(0.5, 6, 3, 0.1, 0.08, seed_sd=0.05) is None
    assert prompts_for(0.5, 6, 12, 0.1, 0.08, seed_sd=0.05) is not None


def test_prompts_for_is_the_smallest_n() -> None:
    n = prompts_for(0.4, 6, 1, 0.2, 0.15)
    assert n is not None
    assert minimum_detectable_effect(0.4, 6, n, 1, 0.2) <= 0.15
    assert minimum_detectable_effect(0.4, 6, n - 1, 1, 0.2) > 0.15


def test_icc_of_identical_prompts_is_zero_and_of_all_or_nothing_prompts_is_one() -> None:
    assert intraclass_correlation(Counts.of({f"p{i}": (3, 6) for i in range(10)})) == 0.0
    split = {f"p{i}": (6 if i % 2 else 0, 6) for i in range(10)}
    assert intraclass_correlation(Counts.of(split)) == pytest.approx(1.0)


def round0(asr: float, prompts: int) -> RoundOutcomes:
    def counts(rate: float, trials: int) -> Counts:
        return Counts.of({f"p{i}": (round(rate * trials), trials) for i in range(prompts)})

    return RoundOutcomes(
        arm="findings",
        round=0,
        fresh_trained=counts(asr, 6),
        fresh_heldout=counts(0.5, 6),
        replay=counts(1.0, 2),
        clean_accuracy=counts(0.8, 5),
        chance=counts(0.0, 5),
        replay_initial=counts(1.0, 2),
    )


def test_round0_check_flags_too_few_prompts_and_a_rate_below_the_effect() -> None:
    few = round0_power(round0(0.5, 8), seeds=1, effect_size=0.15, available_prompts=8)
    assert few.underpowered
    trained = few.contrasts[0]
    assert trained.prompts_needed is not None and trained.prompts_needed > 8
    assert "underpowered" in "\n".join(few.lines())
    floor = round0_power(round0(0.0, 400), seeds=1, effect_size=0.15, available_prompts=400)
    assert floor.contrasts[0].underpowered and "cannot fall by it" in floor.contrasts[0].line()
    many = round0_power(round0(0.5, 400), seeds=1, effect_size=0.15, available_prompts=400)
    assert not many.underpowered
    accuracy = many.contrasts[-1]
    assert not accuracy.primary and "non-inferior" in accuracy.label
    assert many.as_dict()["underpowered"] is False


def test_a_rate_of_zero_or_one_has_no_variance_with_replicates_too() -> None:
    assert minimum_detectable_effect(1.0, 1.0, 2, 2, 0.0) == 0.0
    assert minimum_detectable_effect(0.0, 3.0, 8, 3, 0.2) == 0.0
