"""gamma's closed forms against numerical integration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from harness.experiments.sweep.gamma import abs_area, gamma

coefficient = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def _numerical(f, k: float, kinks: tuple[float, ...] = ()) -> float:
    """The integral over [0, k]; ``kinks`` (where |f| bends) are given to quad, which
    otherwise misses a kink near 0 by ~3e-7 (a = 1/32, b = 3, k = 3)."""
    inside = [x for x in kinks if 0.0 < x < k]
    return float(integrate.quad(f, 0.0, k, limit=200, points=inside or None)[0])


@settings(max_examples=100, deadline=None)
@given(a=coefficient, b=coefficient, k=st.floats(0.1, 3.0))
def test_the_absolute_area_is_the_integral_of_the_absolute_curve(a, b, k):
    exact = float(abs_area(np.float64(a), np.float64(b), k))
    kinks = (a / b,) if b != 0 else ()
    assert exact == pytest.approx(_numerical(lambda x: abs(x * (a - b * x)), k, kinks), abs=1e-7)


def test_gamma_by_its_definition():
    """Gold d(1 - 0.2 d), proxy d(1.5 - 0.1 d), k = 2: the curves cross nowhere in (0, 2]."""
    k = 2.0
    gap = _numerical(lambda x: np.abs(x * (1 - 0.2 * x) - x * (1.5 - 0.1 * x)), k)
    gold = _numerical(lambda x: x * (1 - 0.2 * x), k)
    assert float(gamma(1.0, 0.2, 1.5, 0.1, k)) == pytest.approx(gap / gold, rel=1e-6)
    # a proxy that under-rates by as much counts as much (gamma has no sign)
    assert float(gamma(1.0, 0.2, 0.5, 0.3, k)) == pytest.approx(gap / gold, rel=1e-6)
    assert np.isinf(gamma(-1.0, 0.0, 1.0, 0.0, k))  # gold gains nothing: unbounded
