"""The budget ladder, on invented ASR-by-budget oracles: halving, doubling, the cap, the
floor, the band not reached, the first rung in the band, and the record it logs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

import pytest

from harness.experiments.rounds.budget_ladder import (
    FamilyBudget,
    Tally,
    budgets_at,
    climb,
    ladder_multiples,
    multiple_text,
)
from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, CalibrationEntry
from harness.runlog import RunLog, read_log

ATTEMPTS = 20


class Oracle:
    """ASR by the budget of attack ``a`` (``rates``, in successes out of 20); records
    every budget asked for and charges the budgets as queries."""

    def __init__(self, rates: Mapping[int, int] | Callable[[int], int]) -> None:
        self.rates = rates
        self.asked: list[dict[str, int]] = []

    def __call__(self, budgets: dict[str, int]) -> Tally:
        self.asked.append(budgets)
        budget = budgets["a"]
        k = self.rates(budget) if callable(self.rates) else self.rates[budget]
        return Tally(k, ATTEMPTS, sum(budgets.values()) * ATTEMPTS)


def tried(result: FamilyBudget) -> list[tuple[float, int]]:
    return [(r.multiple, r.successes) for r in result.rungs]


def test_a_budget_already_in_the_band_is_kept_after_one_rung():
    oracle = Oracle({100: 10})
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 10)]
    assert result.reached and result.multiple == 1 and result.budgets == {"a": 100}
    assert result.queries == 100 * ATTEMPTS


def test_a_rate_above_the_band_halves_until_it_lands():
    oracle = Oracle({100: 19, 50: 16, 25: 9, 12: 2})
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 19), (0.5, 16), (0.25, 9)]
    assert result.reached and result.budgets == {"a": 25}
    assert result.queries == (100 + 50 + 25) * ATTEMPTS


def test_a_rate_below_the_band_doubles_until_it_lands():
    oracle = Oracle({100: 0, 200: 2, 400: 7, 800: 12})
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 0), (2.0, 2), (4.0, 7)]
    assert result.reached and result.multiple == 4 and result.budgets == {"a": 400}


def test_the_first_rung_in_the_band_stops_the_ladder():
    oracle = Oracle({100: 1, 200: 6, 400: 10})  # both 200 and 400 are in the band
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 1), (2.0, 6)] and result.budgets == {"a": 200}
    assert [b["a"] for b in oracle.asked] == [100, 200]


def test_the_cap_stops_doubling_and_the_closest_rung_is_kept():
    oracle = Oracle({100: 0, 200: 1, 400: 2, 800: 5, 1600: 10})
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 0), (2.0, 1), (4.0, 2), (8.0, 5)]  # never 16x
    assert not result.reached and result.multiple == 8 and result.budgets == {"a": 800}


def test_a_cap_that_is_not_a_power_of_two_is_the_last_rung():
    oracle = Oracle(lambda budget: 0)
    result = climb("f", {"a": 10}, oracle, cap=6)
    assert [r.multiple for r in result.rungs] == [1, 2, 4, 6]
    assert [r.multiple for r in climb("f", {"a": 10}, oracle, cap=1).rungs] == [1]
    eighths = [Fraction(n, 16) for n in (2, 3, 4, 6, 8, 12)]  # 1/8, 3/16, 1/4, 3/8, 1/2, 3/4
    assert ladder_multiples(6) == [*eighths, 1, Fraction(3, 2), 2, 3, 4, 5, 6]


def test_never_in_the_band_and_all_as_far_keeps_the_suites_budget():
    oracle = Oracle(lambda budget: 0)  # a floor at every budget: more queries buy nothing
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert [r.multiple for r in result.rungs] == [1, 2, 4, 8]
    assert not result.reached and result.multiple == 1 and result.budgets == {"a": 100}


def test_halving_stops_at_the_floor_of_an_eighth():
    oracle = Oracle(lambda budget: ATTEMPTS)  # a ceiling at every budget
    result = climb("f", {"a": 80}, oracle, cap=8)
    assert [r.multiple for r in result.rungs] == [1, 0.5, 0.25, 0.125]
    assert not result.reached and result.budgets == {"a": 80}


def test_halving_stops_when_no_budget_can_shrink_any_more():
    oracle = Oracle(lambda budget: ATTEMPTS)
    result = climb("f", {"a": 3}, oracle, cap=8)
    assert [r.budgets["a"] for r in result.rungs] == [3, 1]  # 3 -> 1 (x1/2) -> 1: stop


def test_a_ladder_that_crosses_the_band_tries_the_budget_between_and_stops():
    oracle = Oracle({100: 5, 200: 16, 150: 11, 400: 10})  # 0.25 then 0.8: the band between
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 5), (2.0, 16), (1.5, 11)]
    assert result.reached and result.budgets == {"a": 150}


def test_crossing_downwards_tries_three_quarters():
    oracle = Oracle({100: 19, 50: 4, 75: 15})  # 0.95, 0.2, then 0.75: still above
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert tried(result) == [(1.0, 19), (0.5, 4), (0.75, 15)]
    assert not result.reached and result.budgets == {"a": 75}  # 0.05 from it; 0.5x is 0.1


def test_crossing_below_a_cap_that_is_not_a_power_of_two_tries_between_its_neighbours():
    oracle = Oracle({10: 0, 20: 1, 40: 2, 60: 20, 50: 8})
    result = climb("f", {"a": 10}, oracle, cap=6)
    assert [r.multiple for r in result.rungs] == [1, 2, 4, 6, 5]
    assert result.reached and result.budgets == {"a": 50}


def test_the_budget_between_is_not_tried_when_it_is_one_already_tried():
    oracle = Oracle({2: 20, 1: 0})  # x3/4 of 2 is 1, which x1/2 measured
    result = climb("f", {"a": 2}, oracle, cap=8)
    assert [r.budgets["a"] for r in result.rungs] == [2, 1]
    assert not result.reached and result.budgets == {"a": 2}  # a tie: the earliest


def test_a_tie_keeps_the_earliest_rung():
    oracle = Oracle({100: 2, 200: 18, 150: 18})  # 0.1, 0.9, 0.9: each 0.2 from the band
    result = climb("f", {"a": 100}, oracle, cap=8)
    assert not result.reached and result.multiple == 1


def test_the_band_is_closed_and_exact():
    assert climb("f", {"a": 10}, lambda b: Tally(3, 10, 0), cap=8).reached  # 0.3 exactly
    assert climb("f", {"a": 10}, lambda b: Tally(7, 10, 0), cap=8).reached  # 0.7 exactly
    assert not climb("f", {"a": 10}, lambda b: Tally(29, 100, 0), cap=1).reached


def test_a_rung_that_measured_nothing_stops_and_keeps_the_suites_budget():
    result = climb("f", {"a": 10}, lambda b: Tally(0, 0, 5), cap=8)
    assert len(result.rungs) == 1 and not result.reached and result.budgets == {"a": 10}
    assert result.queries == 5


def test_every_attack_of_a_family_scales_alike():
    oracle = Oracle({100: 20, 50: 10})
    result = climb("f", {"a": 100, "b": 30}, oracle, cap=8)
    assert oracle.asked == [{"a": 100, "b": 30}, {"a": 50, "b": 15}]
    assert result.budgets == {"a": 50, "b": 15}
    assert budgets_at({"a": 7, "b": 1}, Fraction(1, 8)) == {"a": 1, "b": 1}


def test_a_cap_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        climb("f", {"a": 10}, lambda b: Tally(0, 1, 0), cap=0)


def test_the_line_says_what_was_kept_tried_and_spent():
    reached = climb("search", {"a": 100}, Oracle({100: 19, 50: 9}), cap=8)
    assert reached.line() == (
        "calibration, search: budget x1/2 (a 50): ASR 9/20, in the band 0.3-0.7; "
        "tried x1 19/20, x1/2 9/20; 3,000 queries"
    )
    missed = climb("gradient", {"a": 10}, Oracle(lambda b: 0), cap=2)
    assert "the band 0.3-0.7 was not reached; kept the closest, ASR 0/20" in missed.line()
    assert multiple_text(0.125) == "x1/8" and multiple_text(8.0) == "x8"
    assert multiple_text(1.5) == "x3/2"


def test_the_calibration_entry_writes_and_reads_back_typed(tmp_path):
    family = climb("search", {"a": 100, "b": 40}, Oracle({100: 19, 50: 9}), cap=8)
    entry = CalibrationEntry(
        seed=7,
        prompts=8,
        low=0.3,
        high=0.7,
        cap=8,
        families=(family,),
        budgets=dict(family.budgets),
        queries=family.queries,
        seconds=1.5,
    )
    path = tmp_path / "experiment.jsonl"
    with RunLog.create(path) as log:
        log.write(entry)
    assert read_log(path, strict=True, format=EXPERIMENT_LOG).entries == [entry]
