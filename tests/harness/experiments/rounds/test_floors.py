"""k*, floors and ceilings, and the Clopper-Pearson bound printed beside them."""

from __future__ import annotations

import pytest

from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.floors import floor_k, limit_of, prompt_share_bound


@pytest.mark.parametrize("n, k", [(8, 3), (16, 4), (27, 4), (64, 4), (256, 4)])
def test_k_star(n: int, k: int) -> None:
    assert floor_k(n) == k
    assert (1 - k / n) ** n < 0.025 <= (1 - (k - 1) / n) ** n


def counts(successes_per_prompt: list[int], trials: int = 3) -> Counts:
    return Counts.of({f"p{i}": (s, trials) for i, s in enumerate(successes_per_prompt)})


def test_floored_at_round_zero() -> None:
    bound = limit_of(counts([1] + [0] * 7), [counts([3] * 8)], [counts([3] * 8)])
    assert bound is not None and bound.limit == "floor" and bound.where == "round 0"
    assert bound.prompts == 1 and bound.k_star == 3
    assert bound.bound == pytest.approx(prompt_share_bound(1, 8, upper=True))
    assert "1 of 8 prompts" in bound.line("fresh ASR")


def test_floored_at_the_final_round_only_when_both_arms_are() -> None:
    r0 = counts([1, 1, 1, 0, 0, 0, 0, 0])
    low, high = counts([0] * 8), counts([1, 1, 1, 1, 0, 0, 0, 0])
    assert limit_of(r0, [low], [low]) is not None
    assert limit_of(r0, [low], [high]) is None
    # Replicates pool: a prompt with a success in any replicate has one.
    assert limit_of(r0, [low, high], [low, high]) is None


def test_ceiling() -> None:
    full = counts([3] * 8)
    bound = limit_of(full, [full], [full])
    assert bound is not None and bound.limit == "ceiling"


def test_rule_of_three_is_the_bound_at_zero() -> None:
    # Exact one-sided 97.5% bound of 0 of n: 1 - 0.025^(1/n), close to 3.7 / n.
    assert prompt_share_bound(0, 24, upper=True) == pytest.approx(1 - 0.025 ** (1 / 24))
