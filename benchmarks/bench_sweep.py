"""Best-of-n estimator speed: the sweep's vectorised estimator against two baselines, one run.

    python benchmarks/bench_sweep.py [--prompts 1000] [--samples 256] [--baseline-prompts 40]

The workload is what a large sweep analyses: ``--prompts`` prompts with ``--samples``
scored samples each (proxy, gold and a nonsense indicator, random, with ties in the
proxy), and best-of-n for n = 1, 2, 4, ..., samples. Measured:

1. the estimator (``harness.experiments.sweep.bon.bon_table``): one sort and one matrix
   product per quantity, for every prompt and every n;
2. the whole best-of-n analysis (``analysis.analyse_bon``): the estimator, 2,000 prompt
   resamples for every interval, the fit and its bootstrap, the nonsense onset, the gap;
3. baseline: the same formula in a plain per-prompt Python loop (``math.comb`` weights),
   on ``--baseline-prompts`` prompts, extrapolated per prompt to the whole workload;
4. baseline: Monte Carlo, 1,000 random n-subsets per prompt and n (numpy), likewise on
   ``--baseline-prompts`` and extrapolated; with its error against the exact estimate.

Prints seconds and ratios. Target: the whole analysis under 5 s on 2 cores for 1,000
prompts x 256 samples.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from harness.experiments.sweep.analysis import analyse_bon
from harness.experiments.sweep.bon import bon_table, n_grid

TARGET_SECONDS = 5.0


def workload(prompts: int, samples: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    proxy = np.round(rng.normal(size=(prompts, samples)), 2)  # two decimals: ties
    gold = proxy - 0.3 * proxy**2 + rng.normal(size=(prompts, samples))
    bad = (proxy > 1.5).astype(np.float64)
    return list(proxy), list(gold), list(bad)


def naive(proxy, values, ns) -> np.ndarray:
    """The formula as written, one prompt and one n at a time, in Python."""
    out = np.empty((len(proxy), len(ns)))
    for row, (p, v) in enumerate(zip(proxy, values, strict=True)):
        order = sorted(range(len(p)), key=lambda i: (p[i], i))
        ranked = [v[i] for i in order]
        size = len(ranked)
        for col, n in enumerate(ns):
            total = math.comb(size, n)
            out[row, col] = sum(
                math.comb(i - 1, n - 1) / total * ranked[i - 1] for i in range(n, size + 1)
            )
    return out


def monte_carlo(proxy, values, ns, draws: int, seed: int = 0) -> np.ndarray:
    """Best-of-n by drawing ``draws`` random n-subsets per prompt and n (vectorised)."""
    rng = np.random.default_rng(seed)
    out = np.empty((len(proxy), len(ns)))
    for row, (p, v) in enumerate(zip(proxy, values, strict=True)):
        size = len(p)
        key = np.asarray(p) * (size + 1) + np.arange(size) / size  # ties to the later row
        for col, n in enumerate(ns):
            subsets = np.argsort(rng.random((draws, size)), axis=1)[:, :n]
            best = subsets[np.arange(draws), np.argmax(key[subsets], axis=1)]
            out[row, col] = np.asarray(v)[best].mean()
    return out


def timed(fn, *args, **kw):
    started = time.perf_counter()
    result = fn(*args, **kw)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--baseline-prompts", type=int, default=40)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    proxy, gold, bad = workload(args.prompts, args.samples)
    ns = n_grid(args.samples)
    print(f"workload: {args.prompts} prompts x {args.samples} samples, n = {ns}")

    _, estimator = timed(lambda: [bon_table(proxy, values, ns) for values in (proxy, gold, bad)])
    analysis, whole = timed(analyse_bon, proxy, gold, bad, args.samples, resamples=2000)
    exact = bon_table(proxy, gold, ns)
    k = args.baseline_prompts
    slow, naive_seconds = timed(naive, proxy[:k], gold[:k], ns)
    sampled, mc_seconds = timed(monte_carlo, proxy[:k], gold[:k], ns, args.draws)
    scale = args.prompts / k * 3  # per prompt, and three quantities as the estimator does
    naive_total, mc_total = naive_seconds * scale, mc_seconds * scale

    print(f"estimator (numpy, 3 quantities):       {estimator:8.3f} s")
    print(
        f"whole analysis (bootstrap 2000, fit):  {whole:8.3f} s  "
        f"(n* {analysis.fit.n_star.estimate if analysis.fit else None})"
    )
    print(
        f"naive Python loop, {k} prompts:          {naive_seconds:8.3f} s -> "
        f"{naive_total:8.1f} s extrapolated; agrees to "
        f"{np.abs(slow - exact[:k]).max():.1e}"
    )
    print(
        f"Monte Carlo ({args.draws} draws), {k} prompts:  {mc_seconds:8.3f} s -> "
        f"{mc_total:8.1f} s extrapolated; max error {np.abs(sampled - exact[:k]).max():.3f}"
    )
    print(f"ratio naive / estimator:      {naive_total / estimator:10.0f}x")
    print(f"ratio Monte Carlo / estimator: {mc_total / estimator:9.0f}x")
    verdict = "met" if whole < TARGET_SECONDS else "MISSED"
    print(f"target: whole analysis under {TARGET_SECONDS:.0f} s: {verdict} ({whole:.2f} s)")


if __name__ == "__main__":
    main()
