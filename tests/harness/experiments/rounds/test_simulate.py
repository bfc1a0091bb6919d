"""Rules v2 on worlds whose truth is known: error under the null, floors, power.

``benchmarks/bench_verdict.py`` prints the whole confusion matrix at 1,000 experiments
per cell; these tests assert on fewer (the Monte Carlo error is part of each bound: a
rate of 5% on 400 draws has a standard error of 1.1 points), deterministic from their
seeds. The powered designs' 75% is asserted as "not rejected by 150 draws" (the exact
upper bound of the observed share reaches it); the benchmark's 1,000 draws give the
figure itself. The fast ones run the small worlds; the powered designs run thousands of prompts
and are marked slow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from harness.experiments.rounds.rules import DECISIVE
from harness.experiments.rounds.simulate import (
    WORLDS,
    confusion,
    powered_design,
    simulate_outcomes,
)


def decisive_share(world: str, n: int, repetitions: int) -> float:
    tally = confusion([WORLDS[world]], n, repetitions)[world]
    return sum(tally[label] for label in DECISIVE) / repetitions


@pytest.mark.parametrize("n", [8, 27])
def test_null_world_gives_a_decisive_verdict_at_most_five_percent_of_the_time(n: int) -> None:
    assert decisive_share("null", n, 400) <= 0.05


@pytest.mark.parametrize("n", [8, 27])
def test_floor_world_is_inconclusive_floor(n: int) -> None:
    tally = confusion([WORLDS["floor"]], n, 400)["floor"]
    assert tally["inconclusive (floor)"] / 400 >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("n", [64, 256])
def test_null_world_at_more_prompts(n: int) -> None:
    assert decisive_share("null", n, 400) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("n", [64, 256])
def test_floor_world_never_decides_where_it_is_no_longer_a_floor(n: int) -> None:
    # An ASR of 1% with 6 attempts succeeds on about 3.7 of 64 prompts and 15 of 256:
    # around and above k* = 4, so by the rule's own definition it is often no floor (the
    # benchmark: 94.5% floored at 64, 20% at 256). What must hold is that it never
    # decides.
    assert decisive_share("floor", n, 400) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("world", ["helps", "helps-trained-only", "whack-a-mole", "harmful"])
def test_designed_world_reaches_its_verdict_at_the_powered_design(world: str) -> None:
    design = powered_design(WORLDS[world])
    assert design is not None
    seeds, n = design
    tally = confusion([dataclasses.replace(WORLDS[world], seeds=seeds)], n, 150)[world]
    # 150 draws: a true 76% (the harmful world's, at 1,000 draws in the benchmark) falls
    # below 75% on 150 draws almost half the time. The test asks that the draws cannot
    # reject "at least 75%": the exact upper 95% bound of the observed share reaches it.
    right = tally[WORLDS[world].truth]
    _, upper = proportion_confint(right, 150, alpha=0.05, method="beta")
    assert upper >= 0.75, tally


def test_simulated_tables_have_the_worlds_rates() -> None:
    rng = np.random.default_rng(0)
    outcomes = simulate_outcomes(WORLDS["helps"], 2000, rng)
    r0, findings, clean = outcomes[0], outcomes[-2], outcomes[-1]
    assert (findings.arm, clean.arm) == ("findings", "clean")
    assert len(findings.replicates) == 3
    assert abs(r0.fresh_trained.rate - 0.5) < 0.05
    # findings falls beyond clean by the effect (0.15), on fresh ASR and round 0's replay
    fell = clean.fresh_trained.rate - findings.fresh_trained.rate
    assert abs(fell - 0.15) < 0.03
    assert abs(clean.replay_initial.rate - findings.replay_initial.rate - 0.15) < 0.03
