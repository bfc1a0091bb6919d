"""Samples whose best-of-n gold curve follows the overoptimization law exactly, in
expectation: the ground truth for the fit's recovery tests.

The gold score of a sample is a function of its proxy rank within its prompt, plus a
prompt offset and per-sample noise. That function, ``gold_by_rank``, is the smoothest
(least squared second difference) vector of N values whose best-of-n expectation equals
``d (alpha - beta d)`` at every n of the grid: N unknowns, one linear constraint per n
(the best-of-n weights), solved exactly. So the law holds exactly for the expected curve,
and what a fit recovers is limited only by the noise and the number of prompts.
"""

from __future__ import annotations

import numpy as np

from harness.experiments.sweep.bon import bon_weights, kl_bon, n_grid


def gold_by_rank(size: int, alpha: float, beta: float) -> np.ndarray:
    ns = np.array(n_grid(size))
    constraints = bon_weights(ns, size)
    d = np.sqrt(kl_bon(ns))
    target = d * (alpha - beta * d)
    second = np.diff(np.eye(size), 2, axis=0)
    k = len(ns)
    kkt = np.block([[2 * second.T @ second, constraints.T], [constraints, np.zeros((k, k))]])
    solution = np.linalg.solve(kkt, np.concatenate([np.zeros(size), target]))
    return solution[:size]


def synthetic_scores(
    *, prompts: int, size: int, alpha: float, beta: float, noise: float, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(proxy, gold) per prompt: proxy standard normal; gold by proxy rank, plus a prompt
    offset (standard normal) and per-sample noise of standard deviation ``noise``."""
    rng = np.random.default_rng(seed)
    curve = gold_by_rank(size, alpha, beta)
    proxy = rng.normal(size=(prompts, size))
    ranks = np.argsort(np.argsort(proxy, axis=1), axis=1)
    gold = rng.normal(size=(prompts, 1)) + curve[ranks] + noise * rng.normal(size=(prompts, size))
    return list(proxy), list(gold)
