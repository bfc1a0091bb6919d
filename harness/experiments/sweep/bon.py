"""Best-of-n from a fixed set of samples: the unbiased estimator and KL_bon (pure numpy).

Why an estimator over all subsets. Best-of-n draws n samples and keeps the one the proxy
scores highest. With N >= n samples of a prompt already scored, drawing random subsets
of n to see what best-of-n would pick adds Monte Carlo noise for nothing: the expected
value over *every* subset of size n has a closed form. Sort the N samples ascending by
proxy score; the sample at position i (1-based) is the best of a random n-subset exactly
when the subset holds it and n - 1 of the i - 1 samples below it, so

    E[v | BoN_n] = sum_{i=n..N} C(i-1, n-1) / C(N, n) * v_i

for any per-sample value v (the gold score, the proxy score, a nonsense indicator). The
weights are computed in log space (``gammaln``), so N in the thousands does not overflow;
for the grid of n they form one (K, N) matrix, and a prompt table is one matrix product.
This follows Gao, Schulman & Hilton 2022 (arXiv:2210.10760), as Coste et al. 2023
(arXiv:2310.02743) implement it.

**Ties.** When several samples share the highest proxy score of a subset, best-of-n
keeps one of them at random. Whichever tied sample is kept, the chance that the subset's
best lies in a block of tied scores is the sum of the block's weights, and each sample of
the block is then equally likely to be the one kept: so the estimator replaces each
sample's value by the mean of its tie block before weighting. That is exact for a random
tie-break, does not depend on row order, and has the smallest variance of the estimators
that ignore order (it averages out the tie-break). Ties are common with bf16 or quantised
proxies and with a served RM that rounds; a rule such as "the later row wins" would make
the estimate depend on the order the samples were written in.

**KL_bon(n) = log n - (n - 1) / n** is the usual measure of how far best-of-n moves from
the sampling policy. It is an *upper bound* on the true KL divergence, not its value
(Beirami et al. 2024, arXiv:2401.01879): it is tight only when the samples are all
distinct, so every statement in nats is "at most".

Example::

    ns = n_grid(64)                           # 1, 2, 4, ..., 64
    gold_table = bon_table(proxy, gold, ns)   # (prompts, len(ns)): per prompt, per n
    gold_curve = gold_table.mean(axis=0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln

#: The upper-bound caveat, in the words every output uses.
KL_NOTE = (
    "KL_bon(n) = log n - (n-1)/n is an upper bound on the KL divergence of best-of-n from "
    "the sampling policy, not its value (Beirami et al. 2024, arXiv:2401.01879)"
)


def kl_bon(n: float | np.ndarray) -> float | np.ndarray:
    """``log n - (n - 1) / n`` nats: 0 at n = 1, about 4.55 at n = 256 (an upper bound)."""
    n = np.asarray(n, dtype=np.float64)
    value = np.log(n) - (n - 1.0) / n
    return float(value) if value.ndim == 0 else value


def n_for_kl(kl: float) -> float:
    """The real n >= 1 whose ``kl_bon`` equals ``kl`` (inf when beyond any float).

    ``kl_bon`` rises monotonically from 0 at n = 1, and ``log n < kl + 1``, so the root
    lies in ``[1, exp(kl + 1)]``.
    """
    if not math.isfinite(kl):
        return math.inf
    if kl <= 0:
        return 1.0
    if kl + 1.0 > 700.0:  # exp overflows: such an n is beyond any sample count anyway
        return math.inf
    upper = math.exp(kl + 1.0) + 1.0
    return float(brentq(lambda n: kl_bon(n) - kl, 1.0, upper, xtol=1e-10, rtol=1e-12))


def n_grid(n_max: int) -> list[int]:
    """1, 2, 4, ... up to ``n_max``, and ``n_max`` itself when it is no power of two."""
    if n_max < 1:
        raise ValueError(f"n_max must be >= 1, got {n_max}")
    grid = [2**k for k in range(n_max.bit_length()) if 2**k <= n_max]
    if grid[-1] != n_max:
        grid.append(n_max)
    return grid


def bon_weights(ns: Sequence[int], size: int) -> np.ndarray:
    """``(len(ns), size)``: the weight of ascending position i (1-based) for each n.

    ``C(i-1, n-1) / C(size, n)`` for i >= n, else 0; each row sums to 1.
    """
    n = np.asarray(ns, dtype=np.float64)[:, None]
    if np.any(n < 1) or np.any(n > size):
        raise ValueError(f"every n must be in 1..{size}, got {list(ns)}")
    i = np.arange(1, size + 1, dtype=np.float64)[None, :]
    valid = i >= n
    log_w = (
        gammaln(i)
        - gammaln(n)
        - gammaln(np.where(valid, i - n + 1.0, 1.0))
        - (gammaln(size + 1.0) - gammaln(n + 1.0) - gammaln(size - n + 1.0))
    )
    return np.where(valid, np.exp(np.where(valid, log_w, 0.0)), 0.0)


def bon_matrix(proxy: np.ndarray, values: np.ndarray, ns: Sequence[int]) -> np.ndarray:
    """Per row (a prompt with ``N`` samples): E[value | best-of-n by proxy] for each n.

    ``proxy`` and ``values`` are ``(P, N)``; the result is ``(P, len(ns))``.
    """
    proxy = np.asarray(proxy, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if proxy.shape != values.shape or proxy.ndim != 2:
        raise ValueError(f"proxy {proxy.shape} and values {values.shape} must be equal (P, N)")
    order = np.argsort(proxy, axis=1, kind="stable")
    ranked = tie_block_means(
        np.take_along_axis(proxy, order, axis=1), np.take_along_axis(values, order, axis=1)
    )
    return ranked @ bon_weights(ns, proxy.shape[1]).T


def tie_block_means(sorted_proxy: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """``ranked`` with each value replaced by the mean over its block of equal proxy scores.

    Both are ``(P, N)`` with ``sorted_proxy`` ascending along each row. Blocks are numbered
    across the whole array (a new block starts wherever the score changes, and at every
    row's start), so one ``bincount`` sums every block of every row.
    """
    rows, size = sorted_proxy.shape
    if size == 0:
        return ranked
    starts = np.ones_like(sorted_proxy, dtype=bool)
    starts[:, 1:] = sorted_proxy[:, 1:] != sorted_proxy[:, :-1]
    block = np.cumsum(starts.ravel()) - 1
    sums = np.bincount(block, weights=ranked.ravel())
    sizes = np.bincount(block)
    return (sums / sizes)[block].reshape(rows, size)


def bon_table(
    proxy: Sequence[np.ndarray], values: Sequence[np.ndarray], ns: Sequence[int]
) -> np.ndarray:
    """Per prompt (each with its own number of samples, at least ``max(ns)``), per n:
    E[value | best-of-n by proxy]. Prompts of equal size are computed together."""
    if len(proxy) != len(values):
        raise ValueError(f"{len(proxy)} proxy rows but {len(values)} value rows")
    table = np.empty((len(proxy), len(ns)), dtype=np.float64)
    by_size: dict[int, list[int]] = {}
    for index, row in enumerate(proxy):
        by_size.setdefault(len(row), []).append(index)
    for rows in by_size.values():
        stacked_proxy = np.stack([np.asarray(proxy[r], dtype=np.float64) for r in rows])
        stacked_values = np.stack([np.asarray(values[r], dtype=np.float64) for r in rows])
        table[rows] = bon_matrix(stacked_proxy, stacked_values, ns)
    return table


def best_index(proxy: np.ndarray) -> int:
    """One sample best-of-N (all of them) may keep: the highest proxy, ties to the later
    row. For showing an example pick; the estimator averages over tied picks instead."""
    proxy = np.asarray(proxy)
    return int(np.argsort(proxy, kind="stable")[-1])
