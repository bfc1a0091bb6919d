"""The watcher's stop rule on simulated RL runs whose truth is known: power and false stops.

    python benchmarks/bench_watch.py [--runs 500] [--seed 0] [--evaluations 30]
        [--prompts 16] [--prompt-sd 1.0] [--completions 4] [--bad-rate 0.03]
        [--from-watch WATCH] [--quick]

A simulated run has ``--evaluations`` evaluations (steps 0, 10, 20, ...: the watcher's
default ``every``). At evaluation e each of P prompts has gold mean mu_e + N(0, sigma_p)
(sigma_p: the spread of per-prompt gold means, so a step's gold mean has noise
sigma_m = sigma_p / sqrt(P)) and judged-bad share Binomial(G, b_e) / G. After every
evaluation the real ``harness.experiments.watch.rule.decide`` reads all evaluations so
far, exactly as ``Watcher.observe`` calls it (the default ``StopRule``); the run ends at
the first stop. The slope s of gold is stated in units of sigma_m per evaluation.

Worlds:

- **peaked**: gold rises at s per evaluation up to the peak k* (uniform on the integers
  8..20), then falls at s; bad share constant at b0. Acceptance: at least 90% of runs stop
  within W evaluations after the peak, in (k*, k* + W].
- **rising** (the null): gold rises at s throughout. Acceptance: at most 5% of runs stop
  at all (any stop is before the peak, which never comes).
- **saturating**: gold = s tau (1 - exp(-e / tau)), tau = 8 evaluations (rises at s at
  first, flattens, never falls): any stop is false.
- **flat**: gold constant, the boundary of the null: any stop is false.
- **nonsense**: gold rises at 1 sigma_m per evaluation; the bad share is b0 up to
  evaluation 10, then rises by d per evaluation: the nonsense test's detection delay.

The noise comes from the options or, with ``--from-watch``, from a watch folder (P: the
median prompts per evaluation; sigma_p: the pooled within-evaluation SD of the per-prompt
gold means; G: the median completions per prompt; b0: the first evaluation's bad share).
The peak test is invariant to gold's scale, so given P and s / sigma_m, sigma_p changes
nothing; G and b0 set the nonsense test's noise.

The rule's bootstrap is seeded with ``--seed`` in every run, as one watcher's config seed
is; its resample counts, a pure function of (prompts, resamples, seed), are memoized here
so that the table takes minutes, not an hour; ``decide`` is otherwise run as it is.
Every rate has its Clopper-Pearson 95% interval (the Monte Carlo error of the table).
Whatever comes out is the result: nothing here tunes the rule or the worlds.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from harness.core.errors import HarnessError
from harness.experiments.watch import rule as rule_module
from harness.experiments.watch.log import EvaluationEntry, is_watch, read_watch
from harness.experiments.watch.rule import NONSENSE, PEAKED, Evaluation, StopRule, decide

EVERY = 10  # steps between evaluations (the watcher's default; the rule reads only order)
RATIOS = (0.25, 0.5, 1.0, 2.0)  # s / sigma_m
PEAK_RANGE = (8, 20)  # k*, uniform on these integers, inclusive
TAU = 8.0  # the saturating world's time constant, in evaluations
ONSET = 10  # the nonsense world's last evaluation at b0
NONSENSE_RATIO = 1.0  # the nonsense world's gold slope, s / sigma_m
NONSENSE_RISES = (0.02, 0.05, 0.10)  # the nonsense world's rise of the bad share per evaluation


@dataclass(frozen=True)
class Noise:
    """What makes one evaluation noisy."""

    prompts: int  # P
    prompt_sd: float  # sigma_p
    completions: int  # G
    bad_rate: float  # b0
    source: str

    @property
    def step_sd(self) -> float:
        """sigma_m: the noise of one evaluation's gold mean."""
        return self.prompt_sd / math.sqrt(self.prompts)


@dataclass(frozen=True)
class Trajectory:
    """One run's truth: gold mean and bad rate per evaluation, and the reference
    evaluation (the peak k*, or the nonsense onset; None in a null world)."""

    gold: np.ndarray
    bad: np.ndarray
    reference: int | None


@dataclass(frozen=True)
class World:
    name: str
    effect: float  # s / sigma_m
    truth: Callable[[float, int, float, np.random.Generator], Trajectory]
    rise: float = 0.0  # nonsense world: bad share added per evaluation after ONSET


def peaked(s: float, evaluations: int, b0: float, rng: np.random.Generator) -> Trajectory:
    peak = int(rng.integers(PEAK_RANGE[0], PEAK_RANGE[1] + 1))
    e = np.arange(evaluations)
    return Trajectory(s * (peak - np.abs(e - peak)), np.full(evaluations, b0), peak)


def rising(s: float, evaluations: int, b0: float, rng: np.random.Generator) -> Trajectory:
    return Trajectory(s * np.arange(evaluations, dtype=float), np.full(evaluations, b0), None)


def saturating(s: float, evaluations: int, b0: float, rng: np.random.Generator) -> Trajectory:
    e = np.arange(evaluations, dtype=float)
    return Trajectory(s * TAU * (1 - np.exp(-e / TAU)), np.full(evaluations, b0), None)


def nonsense_world(rise: float) -> Callable[..., Trajectory]:
    def truth(s: float, evaluations: int, b0: float, rng: np.random.Generator) -> Trajectory:
        e = np.arange(evaluations, dtype=float)
        bad = np.clip(b0 + rise * np.maximum(e - ONSET, 0.0), 0.0, 1.0)
        return Trajectory(s * e, bad, ONSET)

    return truth


def worlds() -> list[World]:
    return [
        *(World("peaked", r, peaked) for r in RATIOS),
        *(World("rising", r, rising) for r in RATIOS),
        *(World("saturating", r, saturating) for r in RATIOS),
        World("flat", 0.0, rising),
        *(World("nonsense", NONSENSE_RATIO, nonsense_world(d), rise=d) for d in NONSENSE_RISES),
    ]


def simulate(
    truth: Trajectory, noise: Noise, rule: StopRule, seed: int, rng: np.random.Generator
) -> tuple[int | None, str | None, float]:
    """The evaluation index the watcher stops at and why (None, None: it never stops), and
    the regret of the checkpoint it names: the true gold of the best evaluation in the
    run minus the true gold of the one the decision keeps (its best step), in sigma_m."""
    evaluations = len(truth.gold)
    # All noise is drawn before the run, so the draws do not depend on when it stops.
    gold = truth.gold[:, None] + rng.normal(0.0, noise.prompt_sd, (evaluations, noise.prompts))
    bad = rng.binomial(noise.completions, truth.bad[:, None], (evaluations, noise.prompts))
    seen: list[Evaluation] = []
    for e in range(evaluations):
        seen.append(Evaluation(step=EVERY * e, gold=gold[e], bad=bad[e] / noise.completions))
        decision = decide(seen, rule, seed=seed)
        kept = int(decision.best_step or 0) // EVERY
        regret = float(truth.gold.max() - truth.gold[kept]) / noise.step_sd
        if decision.stop:
            return e, decision.reason, regret
    return None, None, regret


def memoize_resample_counts() -> None:
    """The rule's bootstrap counts depend only on (prompts, resamples, seed): compute each
    once. Read-only, so a caller that wrote into them would fail loudly."""
    original = rule_module.resample_counts

    @functools.lru_cache(maxsize=4096)
    def cached(prompts: int, resamples: int, seed: int) -> np.ndarray:
        counts = original(prompts, resamples, seed)
        counts.setflags(write=False)
        return counts

    rule_module.resample_counts = cached


def rate(count: int, total: int) -> str:
    low, high = proportion_confint(count, total, alpha=0.05, method="beta")
    return f"{count / total:6.1%} [{100 * low:4.1f}, {100 * high:5.1f}]"


def noise_from_watch(folder: str) -> tuple[Noise, str]:
    """P, sigma_p, G and b0 as a watch folder measured them, and a line saying so."""
    if not is_watch(folder):
        raise HarnessError(f"{folder} is not a watch folder (no watch.jsonl)")
    entries = [e for e in read_watch(folder).of_type(EvaluationEntry) if len(e.gold) >= 2]
    if not entries:
        raise HarnessError(f"{folder}: no evaluation with at least 2 prompts")
    golds = [np.asarray(e.gold, dtype=float) for e in entries]
    squares = sum(float(((g - g.mean()) ** 2).sum()) for g in golds)
    pooled = math.sqrt(squares / sum(len(g) - 1 for g in golds))
    prompts = round(float(np.median([len(g) for g in golds])))
    completions = max(1, round(float(np.median([e.rows / len(e.gold) for e in entries]))))
    b0 = float(np.mean(entries[0].bad))
    means = np.array([g.mean() for g in golds])
    slope = float(np.polyfit(np.arange(len(means)), means, 1)[0]) if len(means) >= 2 else 0.0
    noise = Noise(prompts, pooled, completions, b0, f"measured in {folder}")
    said = (
        f"read {len(entries)} evaluations from {folder} (steps {entries[0].step}-"
        f"{entries[-1].step}): P = {prompts} (median), sigma_p = {pooled:.4g} (pooled within "
        f"evaluations), G = {completions} (median), b0 = {b0:.3f} (first evaluation); its gold "
        f"means' fitted slope per evaluation {slope:+.4g} = {slope / noise.step_sd:+.2f} sigma_m "
        f"(for reference: not used)"
    )
    return noise, said


def parse() -> tuple[argparse.Namespace, Noise, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="runs per world (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evaluations", type=int, default=30, help="E (default 30)")
    parser.add_argument("--prompts", type=int, help="P (default 16)")
    parser.add_argument("--prompt-sd", type=float, help="sigma_p (default 1.0)")
    parser.add_argument("--completions", type=int, help="G (default 4)")
    parser.add_argument("--bad-rate", type=float, help="b0 (default 0.03)")
    parser.add_argument("--from-watch", help="take P, sigma_p, G, b0 from a watch folder")
    parser.add_argument("--quick", action="store_true", help="100 runs per world")
    args = parser.parse_args()
    if args.quick:
        args.runs = 100
    said = "defaults"
    noise = Noise(16, 1.0, 4, 0.03, "defaults")
    try:
        if args.from_watch:
            noise, said = noise_from_watch(args.from_watch)
    except HarnessError as exc:
        fail(str(exc))
    given = {
        "prompts": args.prompts,
        "prompt_sd": args.prompt_sd,
        "completions": args.completions,
        "bad_rate": args.bad_rate,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if given:
        noise = Noise(**{**noise.__dict__, **given, "source": f"{noise.source}, options"})
        said += "; set by options: " + ", ".join(f"{k} = {v}" for k, v in given.items())
    window = StopRule().window
    problems = [
        (args.runs < 1, f"--runs must be at least 1, got {args.runs}"),
        (noise.prompts < 2, f"P must be at least 2 (the rule resamples), got {noise.prompts}"),
        (not noise.prompt_sd > 0, f"sigma_p must be above 0, got {noise.prompt_sd}"),
        (noise.completions < 1, f"G must be at least 1, got {noise.completions}"),
        (not 0 <= noise.bad_rate <= 1, f"b0 must be in [0, 1], got {noise.bad_rate}"),
        (
            args.evaluations < PEAK_RANGE[1] + window + 1,
            f"--evaluations must be at least {PEAK_RANGE[1] + window + 1} (the latest peak, "
            f"{PEAK_RANGE[1]}, plus the window and one), got {args.evaluations}",
        ),
    ]  # fmt: skip
    for bad, message in problems:
        if bad:
            fail(message)
    return args, noise, said


def fail(message: str) -> None:
    print(f"bench_watch: {message}", file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    args, noise, said = parse()
    memoize_resample_counts()
    rule = StopRule()
    window = rule.window
    started = time.perf_counter()
    print(f"noise: {said}")
    print(
        f"E = {args.evaluations} evaluations (steps 0, {EVERY}, ...), P = {noise.prompts} "
        f"prompts, sigma_p = {noise.prompt_sd:.4g}, sigma_m = sigma_p/sqrt(P) = "
        f"{noise.step_sd:.4g}, G = {noise.completions} completions, b0 = {noise.bad_rate:.3f}"
    )
    print(
        f"rule: {rule} (decide after every evaluation, bootstrap seed {args.seed}); "
        f"{args.runs} runs per row, data seed {args.seed}; peak k* uniform on "
        f"{PEAK_RANGE[0]}..{PEAK_RANGE[1]}; saturating tau = {TAU:g}; nonsense onset after "
        f"evaluation {ONSET}, gold slope {NONSENSE_RATIO:g} sigma_m"
    )
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start (wall-clock times below)\n")
    with_reference, null = [], []
    for index, world in enumerate(worlds()):
        t = time.perf_counter()
        rng = np.random.default_rng([args.seed, index])
        s = world.effect * noise.step_sd
        outcomes = []
        for _ in range(args.runs):
            truth = world.truth(s, args.evaluations, noise.bad_rate, rng)
            outcomes.append((truth.reference, *simulate(truth, noise, rule, args.seed, rng)))
        row = (world, outcomes, time.perf_counter() - t)
        (with_reference if world.name in ("peaked", "nonsense") else null).append(row)
    print_reference_table(with_reference, window, args.runs)
    print_null_table(null, args.runs)
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s; load average "
        f"{os.getloadavg()[0]:.2f} at the end"
    )


def describe(world: World) -> str:
    if world.name == "nonsense":
        return f"nonsense +{100 * world.rise:g}/ev"
    return world.name


def print_reference_table(rows: list, window: int, runs: int) -> None:
    print(
        f"Worlds with a reference evaluation (peaked: the peak k*; nonsense: the onset, "
        f"evaluation {ONSET}); n = {runs} runs per row, Clopper-Pearson 95% intervals.\n"
        f"delay: median evaluations from the reference to the stop, over runs that stopped "
        f"after it. Acceptance (peaked): stop in (k*, k*+{window}] >= 90%."
    )
    head = f"{'world':<18}{'s/sigma_m':>10}  {'stop <= ref':>21}  {'stop in (ref, ref+W]':>21}"
    print(
        head + f"  {'stop > ref+W':>21}  {'never':>21}  delay  peaked/nons.  accept  "
        "regret med/p90  secs"
    )
    for world, outcomes, seconds in rows:
        before = sum(i is not None and i <= ref for ref, i, _, _ in outcomes)
        within = sum(i is not None and ref < i <= ref + window for ref, i, _, _ in outcomes)
        late = sum(i is not None and i > ref + window for ref, i, _, _ in outcomes)
        never = sum(i is None for _, i, _, _ in outcomes)
        delays = [i - ref for ref, i, _, _ in outcomes if i is not None and i > ref]
        delay = f"{np.median(delays):5.1f}" if delays else "    -"
        reasons = Counter(r for _, _, r, _ in outcomes if r)
        accept = "-"
        if world.name == "peaked":
            accept = "met" if within >= 0.9 * runs else "NOT met"
        print(
            f"{describe(world):<18}{world.effect:>10g}  {rate(before, runs):>21}  "
            f"{rate(within, runs):>21}  {rate(late, runs):>21}  {rate(never, runs):>21}  "
            f"{delay}  {reasons[PEAKED]:>6}/{reasons[NONSENSE]:<5}  {accept:>7}  "
            f"{regret(outcomes)}  {seconds:4.0f}"
        )


def regret(outcomes: list) -> str:
    """Median and 90th percentile of the kept checkpoint's regret (sigma_m units)."""
    values = np.array([r for *_, r in outcomes])
    return f"{np.median(values):6.2f}/{np.quantile(values, 0.9):<6.2f}"


def print_null_table(rows: list, runs: int) -> None:
    print(
        f"\nNull worlds (gold never falls, bad share constant: every stop is false); n = {runs} "
        f"runs per row.\nAcceptance (rising): stopped at all <= 5%."
    )
    print(
        f"{'world':<18}{'s/sigma_m':>10}  {'stopped':>21}  median stop evaluation  "
        f"peaked/nons.  accept  regret med/p90  secs"
    )
    for world, outcomes, seconds in rows:
        stops = [i for _, i, _, _ in outcomes if i is not None]
        reasons = Counter(r for _, _, r, _ in outcomes if r)
        median = f"{np.median(stops):>22.1f}" if stops else f"{'-':>22}"
        accept = "-"
        if world.name == "rising":
            accept = "met" if len(stops) <= 0.05 * runs else "NOT met"
        print(
            f"{world.name:<18}{world.effect:>10g}  {rate(len(stops), runs):>21}  {median}  "
            f"{reasons[PEAKED]:>6}/{reasons[NONSENSE]:<5}  {accept:>7}  {regret(outcomes)}  "
            f"{seconds:4.0f}"
        )


if __name__ == "__main__":
    main()
