"""The sweep's nonsense onset on worlds whose truth is known: false onsets and power.

    python benchmarks/bench_onset.py [--repetitions 1000] [--old-repetitions 200]

Null worlds: each prompt has its own chance that a sample is nonsense (Beta-distributed,
mean ``rate``), and the verdict is independent of the proxy score, so the proxy's picks
are nonsense exactly as often as the policy's own samples at every n: any onset is false.
Rising worlds: the proxy's top ``share`` of each prompt's samples are nonsense with
probability ``lift`` on top of the null's chance, so the picks turn to nonsense as n
grows. For each world and number of prompts the table gives how often an onset is found
(with Clopper-Pearson 95% intervals: the Monte Carlo error of the table itself) by:

- ``holm``: the sweep's rule (``harness.experiments.sweep.onset``): a one-sided paired t
  per n against n = 1, Holm over the n, family-wise one-sided 2.5%;
- ``scan``: the rule it replaced, the first n whose 95% paired prompt-bootstrap interval
  of the rise lies above 0 (500 resamples; no multiplicity control), at
  ``--old-repetitions`` (its bootstrap is slower).

Whatever comes out is the result: nothing here tunes the rule or the worlds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from harness.experiments.sweep.bon import bon_table, n_grid
from harness.experiments.sweep.fit import percentile_interval, resample_counts, resampled_means
from harness.experiments.sweep.onset import find_onset

SAMPLES = 64
NS = tuple(n_grid(SAMPLES))
PROMPTS = (10, 40, 200)


@dataclass(frozen=True)
class World:
    name: str
    rate: float  # mean chance that a sample is nonsense, whatever its proxy score
    share: float = 0.0  # the proxy's top share of samples ...
    lift: float = 0.0  # ... are nonsense with this much more chance


WORLDS = (
    World("null, 5% nonsense", 0.05),
    World("null, 30% nonsense", 0.30),
    World("rising: top 1/16 +50%", 0.05, share=1 / 16, lift=0.5),
    World("rising: top 1/4 +20%", 0.05, share=1 / 4, lift=0.2),
    World("rising: top 1/16 +10%", 0.05, share=1 / 16, lift=0.1),
)


def draw(world: World, prompts: int, rng: np.random.Generator) -> np.ndarray:
    """Per-prompt nonsense rates of the picks, (prompts, len(NS))."""
    concentration = 10.0
    chance = rng.beta(world.rate * concentration, (1 - world.rate) * concentration, prompts)
    proxy = rng.normal(size=(prompts, SAMPLES))
    top = proxy >= np.quantile(proxy, 1 - world.share, axis=1, keepdims=True)
    p = np.clip(chance[:, None] + world.lift * (top & (world.share > 0)), 0, 1)
    bad = rng.random((prompts, SAMPLES)) < p
    return bon_table(list(proxy), list(bad.astype(float)), NS)


def scan_onset(rates: np.ndarray, seed: int) -> int | None:
    """The rule before: the first n whose paired bootstrap interval of the rise clears 0."""
    boot = resampled_means(rates, resample_counts(len(rates), 500, seed))
    rise = boot - boot[:, :1]
    return next(
        (n for j, n in enumerate(NS) if j and percentile_interval(rise[:, j], 0.95)[0] > 0),
        None,
    )


def rate(count: int, total: int) -> str:
    low, high = proportion_confint(count, total, alpha=0.05, method="beta")
    return f"{count / total:6.1%} [{low:5.1%}, {high:5.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=1000)
    parser.add_argument("--old-repetitions", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{SAMPLES} samples per prompt, n = {', '.join(map(str, NS))}")
    print(f"{'world':<24}{'prompts':>8}  {'holm: onset found':>26}  {'scan: onset found':>26}")
    for world in WORLDS:
        for prompts in PROMPTS:
            rng = np.random.default_rng(prompts * 7919 + len(world.name))
            found, found_old, onsets = 0, 0, []
            for r in range(args.repetitions):
                rates = draw(world, prompts, rng)
                onset = find_onset(NS, rates, 0.025).n
                found += onset is not None
                if onset is not None:
                    onsets.append(onset)
                if r < args.old_repetitions:
                    found_old += scan_onset(rates, r) is not None
            median = f"  holm's median onset n = {np.median(onsets):g}" if onsets else ""
            print(
                f"{world.name:<24}{prompts:>8}  {rate(found, args.repetitions):>26}  "
                f"{rate(found_old, args.old_repetitions):>26}{median}"
            )
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
