"""gamma: the normalised area between the gold and the proxy best-of-n fits.

"Rethinking reward model evaluation through the lens of reward overoptimization"
(arXiv:2505.12763, 2025) summarises overoptimization in one number: fit both
best-of-n curves in the law's form ``R(d) = d (alpha - beta d)``, gold ``f`` and proxy
``g``, and take

    gamma = integral_0^k |f(d) - g(d)| dd  /  integral_0^k f(d) dd

with ``k`` the largest d sampled. 0 when the proxy's gain is the gold's all the way; 1
when the area between them equals gold's whole gain. Here both curves are in units of
each RM's score spread over the samples (the gain columns' unit), so an RM on another
scale does not change gamma, and d is sqrt(KL_bon), the d of the fit.

Both integrals have closed forms (``f - g`` is ``d (a - b d)``, with one sign change at
``a / b``), so gamma is computed for every bootstrap resample at once, each with both
curves refitted: its interval is the percentile interval of those.

What gamma does not capture (docs/sweep.md says it too): where the gap opens (a late gap
and an early one of the same area score alike), the sign (a proxy that under-rates its
picks counts as much as one that over-rates them), anything beyond the largest n sampled,
and anything the fitted form misses; and it is undefined when gold gains nothing over the
range (the denominator is <= 0: recorded as unbounded, which a gate reads as a fail).
"""

from __future__ import annotations

import numpy as np

#: gamma's state: measured, or unbounded (gold's fitted gain over the range is <= 0).
MEASURED = "measured"
UNBOUNDED = "gold-gains-nothing"


def _area(a: np.ndarray, b: np.ndarray, d: float | np.ndarray) -> np.ndarray:
    """integral_0^d of x (a - b x) dx."""
    return a * d**2 / 2.0 - b * d**3 / 3.0


def abs_area(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """integral_0^k |x (a - b x)| dx, split at the sign change x = a / b when it lies
    inside (0, k)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(b != 0, a / np.where(b != 0, b, 1.0), np.inf)
    inside = (root > 0) & (root < k)
    cut = np.where(inside, root, k)
    first = np.abs(_area(a, b, cut))
    second = np.abs(_area(a, b, k) - _area(a, b, cut))
    return first + np.where(inside, second, 0.0)


def gamma(
    gold_alpha: np.ndarray,
    gold_beta: np.ndarray,
    proxy_alpha: np.ndarray,
    proxy_beta: np.ndarray,
    k: float,
) -> np.ndarray:
    """gamma of each (gold, proxy) pair of fits, all in spread units; inf where gold's
    fitted area over ``(0, k)`` is <= 0."""
    gold_alpha = np.asarray(gold_alpha, dtype=np.float64)
    gold_beta = np.asarray(gold_beta, dtype=np.float64)
    gap = abs_area(gold_alpha - np.asarray(proxy_alpha), gold_beta - np.asarray(proxy_beta), k)
    gold_area = _area(gold_alpha, gold_beta, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gold_area > 0, gap / np.where(gold_area > 0, gold_area, 1.0), np.inf)
