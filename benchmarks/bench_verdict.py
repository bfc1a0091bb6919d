"""The verdict rules on worlds whose truth is known: the confusion matrix (issue 20).

    python benchmarks/bench_verdict.py [--repetitions 1000] [--v1-repetitions 200]

For each simulated world (``harness.experiments.rounds.simulate``: null, helps,
helps-trained-only, whack-a-mole, harmful, floor) and each number of evaluation prompts
(8, 27, 64, 256), the real ``rules.decide`` runs on ``--repetitions`` simulated
experiments (3 training replicates per arm) and the table counts its verdicts; then each
designed world once more at the design the power formula says gives its verdict 80%
power (``simulate.powered_design``: seeds and prompts). Beside them, the rules of the
first version (``rules_v1.py``, percentile bootstrap) on the same draws of the null and
floor worlds, at ``--v1-repetitions`` (their bootstrap is slow). The rates are printed
with exact (Clopper-Pearson) 95% intervals: the Monte Carlo error of the table itself.
Whatever comes out is the result: nothing here tunes a rule or a world.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from statsmodels.stats.proportion import proportion_confint

from benchmarks.rules_v1 import decide_v1
from harness.experiments.rounds.simulate import (
    WORLDS,
    confusion,
    powered_design,
)

PROMPTS = (8, 27, 64, 256)
LABELS = (
    "helps",
    "helps-trained-only",
    "whack-a-mole",
    "harmful",
    "inconclusive",
    "inconclusive (floor)",
    "inconclusive (ceiling)",
)
DECISIVE = ("helps", "helps-trained-only", "whack-a-mole", "harmful")


def rate(count: int, total: int) -> str:
    low, high = proportion_confint(count, total, alpha=0.05, method="beta")
    return f"{count / total:6.1%} [{low:.1%}, {high:.1%}]"


def table(title: str, rows: dict[str, Counter[str]], total: int) -> None:
    print(f"\n{title} ({total} experiments per row)")
    print(f"{'world':<20}" + "".join(f"{label:>22}" for label in LABELS))
    for world, tally in rows.items():
        print(f"{world:<20}" + "".join(f"{tally.get(label, 0):>22}" for label in LABELS))
    for world, tally in rows.items():
        decisive = sum(tally.get(label, 0) for label in DECISIVE)
        truth = WORLDS[world].truth
        right = total - decisive if truth == "null" else tally.get(truth, 0)
        truth = "not decisive" if truth == "null" else truth
        print(
            f"  {world:<20} decisive {rate(decisive, total)}   right ({truth}) {rate(right, total)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=1000)
    parser.add_argument("--v1-repetitions", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    for n in PROMPTS:
        t = time.perf_counter()
        rows = confusion(WORLDS.values(), n, args.repetitions)
        table(
            f"rules v2, n = {n} prompts, 3 seeds [{time.perf_counter() - t:.1f} s]",
            rows,
            args.repetitions,
        )
    print("\nrules v2 at each designed world's powered design (seeds, prompts):")
    for world in WORLDS.values():
        design = powered_design(world)
        if world.truth in ("null", "inconclusive (floor)"):
            continue
        if design is None:
            print(f"  {world.name}: no design up to 12 seeds reaches 80% power")
            continue
        seeds, n = design
        t = time.perf_counter()
        tally = confusion([dataclasses.replace(world, seeds=seeds)], n, args.repetitions)[
            world.name
        ]
        print(f"  {world.name:<20} K = {seeds}, n = {n}: right ({world.truth}) "
              f"{rate(tally.get(world.truth, 0), args.repetitions)}; {dict(tally)} "
              f"[{time.perf_counter() - t:.1f} s]")  # fmt: skip
    if args.v1_repetitions:
        for n in PROMPTS:
            t = time.perf_counter()
            worlds = [WORLDS["null"], WORLDS["floor"]]
            rows = confusion(worlds, n, args.v1_repetitions, decide_with=lambda o, _s: decide_v1(o))
            table(
                f"rules v1 (for contrast), n = {n} [{time.perf_counter() - t:.1f} s]",
                rows,
                args.v1_repetitions,
            )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
