"""The nonsense onset: found where it is, not found by chance, bounded where rates are 0."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from harness.experiments.sweep.bon import bon_table, n_grid
from harness.experiments.sweep.onset import find_onset, holm, one_sided_p, upper_bound

NS = tuple(n_grid(64))  # 1, 2, ..., 64
LEVEL = 0.025


def test_an_onset_at_sixteen_from_a_rate_of_zero_is_found_at_sixteen():
    """Per-prompt rates: 0 at every n below 16 (so the rate at n = 1 is 0 and a bootstrap
    of it has width zero), then a fifth of the 60 prompts' picks are nonsense."""
    rng = np.random.default_rng(0)
    rates = np.zeros((60, len(NS)))
    late = [j for j, n in enumerate(NS) if n >= 16]
    rates[:, late] = (rng.random((60, 1)) < 0.2) * np.linspace(0.6, 1.0, len(late))
    onset = find_onset(NS, rates, LEVEL)
    assert onset.n == 16
    assert all(onset.adjusted_p[str_n] == 1.0 for str_n in (2, 4, 8))
    assert onset.adjusted_p[16] < LEVEL


def _null_world(rng: np.random.Generator, prompts: int, size: int) -> np.ndarray:
    """Nonsense independent of the proxy: each prompt has its own nonsense probability
    (mean 5%, many prompts with none), and the proxy ranks samples at random."""
    p = rng.beta(0.5, 9.5, size=prompts)
    proxy = rng.normal(size=(prompts, size))
    bad = rng.random((prompts, size)) < p[:, None]
    return bon_table(list(proxy), list(bad.astype(float)), NS)


def test_a_null_world_finds_an_onset_in_at_most_five_percent_of_two_hundred_draws():
    """200 null worlds of 40 prompts x 64 samples. Measured: 1 of 200 (0.5%); the scan
    it replaced (the first n whose paired-bootstrap interval of the rise clears 0, no
    multiplicity control) is measured in ``benchmarks/bench_onset.py``."""
    rng = np.random.default_rng(7)
    onsets = sum(find_onset(NS, _null_world(rng, 40, 64), LEVEL).n is not None for _ in range(200))
    assert onsets <= 10


def test_no_spread_is_decided_by_the_sign_test():
    assert one_sided_p(np.full(5, 0.25)) == 0.5**5  # five of five rose
    assert one_sided_p(np.full(2, 0.25)) == 0.25  # two prompts cannot make an onset
    assert one_sided_p(np.zeros(5)) == 1.0
    assert one_sided_p(np.array([0.1])) == 1.0  # one prompt: no test


def test_the_bound_on_a_rise_of_zero_everywhere_is_clopper_pearson():
    assert upper_bound(np.zeros(40), LEVEL) == pytest.approx(1 - LEVEL ** (1 / 40))
    rise = np.array([0.0, 0.1, 0.2, 0.0, 0.1, 0.3])
    assert upper_bound(rise, LEVEL) > rise.mean()
    # no pick nonsense at the largest n on any of 8 prompts: the rise is bounded by what
    # 0 of 8 allows (37%), not by the t bound of minus the base rates (below 0)
    base = np.array([0.01, 0.02, 0.0, 0.01, 0.03, 0.0, 0.01, 0.0])
    assert upper_bound(-base, LEVEL) < 0
    assert upper_bound(-base, LEVEL, np.zeros(8)) == pytest.approx(1 - LEVEL ** (1 / 8))


def test_holm_is_statsmodels_holm():
    rng = np.random.default_rng(3)
    for size in (1, 2, 5, 9):
        p = rng.random(size) ** 3
        assert np.allclose(holm(list(p)), multipletests(p, method="holm")[1])
