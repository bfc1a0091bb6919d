"""The power of the experiment, said before the data: the minimum detectable effect.

Before the first retraining, round 0 tells how often each family's attacks succeed and
how much of that is the prompt (an easy prompt is easy for every attempt). From that,
each *primary contrast* (fresh ASR of the trained families beyond ``clean``, fresh ASR
of the held-out families beyond ``clean``, replay of round 0's exploits beyond
``clean``) gets the smallest difference the experiment would detect with 80% power in a
two-sided 95% test at its prompts, seeds and attempts:

    DE  = 1 + (m K - 1) rho                      design effect of attempts in prompts
    var = 2 p (1 - p) DE / (n m K)               the difference of two arms' rates
    MDE = (t_{0.975, n-1} + t_{0.80, n-1}) sqrt(var)

with n evaluation prompts, m attempts per prompt and replicate, K training replicates
(seeds), p the round-0 rate and rho the intra-prompt correlation estimated from round 0
(the one-way ANOVA estimator). Two arms on the same prompts are paired, which this
formula ignores: it is the unpaired, cluster-randomised formula and errs towards saying
"underpowered". A rate below the effect size cannot fall by it at all; that is
underpowered too. Replay's rate at round 0 is 1 by construction, so its p is taken at
0.5 (the worst case), its m and n are round 0's exploits per prompt and the prompts that
have one, and its rho is the trained families'.

Beside them, not counted as underpowered: clean accuracy's non-inferiority. ``helps``
needs the lower bound of clean accuracy beyond ``clean`` above ``-m`` (m = 0.02) when the
truth is no change, i.e. an MDE of at most m: with a few preference pairs per prompt that
takes well over a thousand prompts, and the line says how many.

``PowerCheck.underpowered`` is what ``--require-power`` stops on; it replaces the old
``extra_prompts_needed`` (a 1/sqrt(n) scaling sized for 50% power, and None exactly at a
floor) as the inconclusive verdict's "what would settle it". ``simulate`` checks the
formula: at the n it names, the designed worlds reach their verdict.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from harness.experiments.rounds.counts import Counts

__all__ = [
    "POWER",
    "ContrastPower",
    "PowerCheck",
    "best_case_mde",
    "intraclass_correlation",
    "minimum_detectable_effect",
    "prompts_for",
    "round0_power",
]

POWER = 0.80
_ALPHA = 0.05  # two-sided
_MAX_PROMPTS = 100_000
_MAX_SEEDS = 64


def minimum_detectable_effect(
    p: float,
    m: float,
    n: int,
    seeds: int,
    rho: float,
    *,
    power: float = POWER,
    level: float = _ALPHA / 2,
    seed_sd: float = 0.0,
) -> float:
    """The module doc's MDE; infinite below two prompts or without attempts.

    ``level`` is the test's one-sided level (2.5%: two-sided 95%), ``power`` the chance of
    detecting an effect of the MDE's size. ``seed_sd``: the standard deviation of a
    training replicate's rate (the whole model better or worse), on the rate scale. With
    K >= 2 the formula is that of the test the rules use (``paired``): the variance of
    the replicates' means is added, ``2 p (1 - p)(1 - rho) / (n m K) + 2 seed_sd^2 / K``
    (the within-prompt noise counted a second time, as the test does, and the seeds'
    spread), and the t quantiles take Satterthwaite's degrees of freedom between the
    prompts' n - 1 and the seeds' K - 1. ``seed_sd`` is unknown before any retraining:
    the power check at round 0 leaves it at 0 and says so."""
    if n < 2 or m <= 0 or seeds < 1 or (seed_sd > 0 and seeds < 2):
        return math.inf
    design_effect = 1 + (m * seeds - 1) * rho
    prompt_term = 2 * p * (1 - p) * design_effect / (n * m * seeds)
    if seeds < 2:
        return _quantiles(n - 1, level, power) * math.sqrt(prompt_term)
    # With replicates the test (``paired``) adds the variance of the replicates' means:
    # the within-prompt noise once more, and the training seeds' own spread.
    seed_term = 2 * p * (1 - p) * (1 - rho) / (n * m * seeds) + 2 * seed_sd**2 / seeds
    if prompt_term + seed_term == 0:  # a rate of 0 or 1 without seed spread: no variance
        return 0.0
    df = (prompt_term + seed_term) ** 2 / (prompt_term**2 / (n - 1) + seed_term**2 / (seeds - 1))
    return _quantiles(max(1, math.floor(df)), level, power) * math.sqrt(prompt_term + seed_term)


@functools.lru_cache(maxsize=65536)
def _quantiles(df: int, level: float, power: float) -> float:
    return float(stats.t.ppf(1 - level, df) + stats.t.ppf(power, df))


def best_case_mde(n_prompts: int, attempts_per_prompt: float, seeds: int) -> float:
    """The MDE of the most favourable design: rate 0.5, no clustering. When even this
    exceeds the effect size, no outcome of round 0 can make the experiment powered."""
    return minimum_detectable_effect(0.5, attempts_per_prompt, n_prompts, seeds, 0.0)


def intraclass_correlation(counts: Counts) -> float:
    """One-way ANOVA estimate of the correlation of attempts within a prompt, in [0, 1].

    0 when it cannot be estimated (fewer than two prompts, or every trial alike)."""
    rows = [(s, t) for _, s, t in counts.rows() if t]
    g, total = len(rows), sum(t for _, t in rows)
    if g < 2 or total <= g:
        return 0.0
    p = sum(s for s, _ in rows) / total
    between = sum(t * (s / t - p) ** 2 for s, t in rows) / (g - 1)
    within = sum(s * (1 - s / t) for s, t in rows) / (total - g)
    k0 = (total - sum(t * t for _, t in rows) / total) / (g - 1)
    denominator = between + (k0 - 1) * within
    if denominator <= 0:
        return 0.0
    return min(1.0, max(0.0, (between - within) / denominator))


@dataclass(frozen=True)
class ContrastPower:
    """One primary contrast's power at the experiment's design."""

    key: str
    label: str
    rate: float  # p in the formula
    attempts_per_prompt: float  # m
    prompts: int  # n
    seeds: int  # K
    icc: float  # rho
    mde: float
    effect_size: float
    prompts_needed: int | None  # n that would reach the effect size (None: none would)
    seeds_needed: int | None  # K at these prompts that would reach it (None: none would)
    note: str = ""
    primary: bool = True  # counts for ``PowerCheck.underpowered``

    @property
    def underpowered(self) -> bool:
        if not self.primary:
            return not self.mde <= self.effect_size
        return not self.mde <= self.effect_size or self.rate < self.effect_size

    def line(self) -> str:
        seeds = f"{self.seeds} seed" + ("s" if self.seeds != 1 else "")
        design = (
            f"rate {self.rate:.2f}, {self.prompts} prompts x {self.attempts_per_prompt:.1f} "
            f"trials x {seeds}, ICC {self.icc:.2f}"
        )
        mde = f"MDE {self.mde:.3f}" if math.isfinite(self.mde) else "no MDE"
        if not self.underpowered:
            return f"{self.label}: {design}: {mde} <= {self.effect_size:.2f}"
        if self.primary and self.rate < self.effect_size and self.mde <= self.effect_size:
            why = f"the rate at round 0 is below {self.effect_size:.2f}: it cannot fall by it"
        else:
            reach = []
            if self.prompts_needed is not None:
                reach.append(f"{self.prompts_needed} prompts")
            if self.seeds_needed is not None:
                reach.append(f"{self.seeds_needed} seeds at these prompts")
            why = "would reach it: " + " or ".join(reach) if reach else "nothing here reaches it"
            if self.primary and self.rate < self.effect_size:
                below = f"{self.effect_size:.2f}"
                why += f"; and the rate at round 0 is below {below}: it cannot fall by it"
        note = f" ({self.note})" if self.note else ""
        word = "underpowered" if self.primary else "not shown at this size"
        return f"{self.label}: {design}: {mde} > {self.effect_size:.2f}, {word}; {why}{note}"


@dataclass(frozen=True)
class PowerCheck:
    """Every primary contrast's power, from round 0, before any retraining."""

    effect_size: float
    contrasts: tuple[ContrastPower, ...]
    available_prompts: int

    @property
    def underpowered(self) -> bool:
        return any(c.primary and c.underpowered for c in self.contrasts)

    @property
    def prompts_needed(self) -> int | None:
        """The most prompts any underpowered contrast needs for 80% power (None: none)."""
        needs = [c.prompts_needed for c in self.contrasts if c.underpowered and c.prompts_needed]
        return max(needs, default=None)

    def lines(self) -> list[str]:
        head = (
            f"power before retraining (80% power, two-sided 95%, effect size "
            f"{self.effect_size:.2f}; {self.available_prompts} evaluation prompts available):"
        )
        return [head, *(f"  {c.line()}" for c in self.contrasts)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "effect_size": self.effect_size,
            "available_prompts": self.available_prompts,
            "underpowered": self.underpowered,
            "contrasts": [_finite_fields(asdict(c)) for c in self.contrasts],
        }


def _finite_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: a non-finite number is logged as null."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in fields.items()
    }


def prompts_for(
    p: float,
    m: float,
    seeds: int,
    rho: float,
    effect: float,
    *,
    power: float = POWER,
    level: float = _ALPHA / 2,
    seed_sd: float = 0.0,
) -> int | None:
    """The fewest evaluation prompts whose MDE is at most ``effect`` (None: none)."""

    def reaches(n: int) -> bool:
        mde = minimum_detectable_effect(
            p, m, n, seeds, rho, power=power, level=level, seed_sd=seed_sd
        )
        return mde <= effect

    if not reaches(_MAX_PROMPTS):
        return None
    low, high = 2, _MAX_PROMPTS
    while low < high:  # the MDE falls with n
        mid = (low + high) // 2
        low, high = (low, mid) if reaches(mid) else (mid + 1, high)
    return low


def _needed(p: float, m: float, n: int, seeds: int, rho: float, effect: float) -> tuple:
    """The prompts (at these seeds) and the seeds (at these prompts) that reach ``effect``."""

    def reaches(n_: int, k_: int) -> bool:
        return minimum_detectable_effect(p, m, n_, k_, rho) <= effect

    prompts = prompts_for(p, m, seeds, rho, effect)
    seeds_needed = next((k for k in range(1, _MAX_SEEDS + 1) if reaches(n, k)), None)
    return prompts, seeds_needed


def _contrast(
    key: str, label: str, p: float, counts: Counts, seeds: int, rho: float, effect: float,
    note: str = "", primary: bool = True,
) -> ContrastPower:  # fmt: skip
    with_trials = [t for _, _, t in counts.rows() if t]
    n = len(with_trials)
    m = sum(with_trials) / n if n else 0.0
    mde = minimum_detectable_effect(p, m, n, seeds, rho)
    prompts, seeds_needed = _needed(p, m, n, seeds, rho, effect)
    return ContrastPower(
        key, label, p, m, n, seeds, rho, mde, effect, prompts, seeds_needed, note, primary
    )


def round0_power(
    round0: Any, *, seeds: int, effect_size: float, available_prompts: int, margin: float = 0.02
) -> PowerCheck:
    """The power check of the module doc from round 0's ``RoundOutcomes``."""
    trained_rho = intraclass_correlation(round0.fresh_trained)
    contrasts: Sequence[ContrastPower] = (
        _contrast(
            "fresh_trained_vs_clean", "fresh ASR, trained families, beyond clean",
            _rate(round0.fresh_trained), round0.fresh_trained, seeds, trained_rho, effect_size,
        ),
        _contrast(
            "fresh_heldout_vs_clean", "fresh ASR, held-out families, beyond clean",
            _rate(round0.fresh_heldout), round0.fresh_heldout, seeds,
            intraclass_correlation(round0.fresh_heldout), effect_size,
        ),
        _contrast(
            "replay_initial_vs_clean", "replay of round 0's exploits, beyond clean",
            0.5, round0.replay_initial, seeds, trained_rho, effect_size,
            note="rate taken at 0.5: round 0's is 1 by construction",
        ),
        _contrast(
            "clean_accuracy_vs_clean", "clean accuracy non-inferior to clean",
            _rate(round0.clean_accuracy), round0.clean_accuracy, seeds,
            intraclass_correlation(round0.clean_accuracy), margin,
            note=f"'helps' needs its lower bound above -{margin}: the effect here is the "
            "margin; not counted as underpowered",
            primary=False,
        ),
    )  # fmt: skip
    return PowerCheck(effect_size, tuple(contrasts), available_prompts)


def _rate(counts: Counts) -> float:
    rate = counts.rate
    return 0.0 if math.isnan(rate) else rate
