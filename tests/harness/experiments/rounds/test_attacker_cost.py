"""Queries to the first finding: the median of the found, with the censored share."""

from __future__ import annotations

import math

import numpy as np

from harness.experiments.rounds.attacker_cost import queries_to_first


# ------------------------------------------------------------------ queries to first finding
def test_queries_to_first_is_the_median_of_the_found_with_the_censored_share() -> None:
    per_prompt = {f"p{i}": (10 * (i + 1), None, None, 20 * (i + 1)) for i in range(30)}
    q = queries_to_first(per_prompt)
    found = [10 * (i + 1) for i in range(30)] + [20 * (i + 1) for i in range(30)]
    assert q.median == float(np.median(found))
    assert (q.found, q.attempts, q.n_prompts) == (60, 120, 30)
    assert q.censored_share == 0.5
    assert q.low < q.median < q.high


def test_queries_to_first_with_nothing_found_has_no_median() -> None:
    q = queries_to_first({"a": (None, None)})
    assert math.isnan(q.median) and q.censored_share == 1.0
