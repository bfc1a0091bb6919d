"""The statistics of the whack-a-mole experiment, on per-prompt data.

Everything here is data in, numbers out: no model, no log, no torch. The orchestrator
turns run logs into ``Counts`` (per prompt: successes out of trials) and the verdict and
the report call these functions.

**The prompt is the unit.** The attempts on one prompt are not independent (an easy prompt
is easy for every attack, every seed and every round), so intervals resample *prompts*
with all their trials, and a rate is pooled over prompts: sum of successes over sum of
trials. A paired comparison (round r against round 0, an arm against the ``clean`` arm)
resamples the prompts *jointly*: each resample draws one set of prompts and every
condition is computed on it, which is what removes the prompt-to-prompt variation that
the conditions share. The same seed gives the same draws, so every contrast of one
verdict is computed on the same resamples of the same prompts.

**Percentile bootstrap, and its blind spot.** The intervals are percentile intervals of
``B`` resamples (default 2000, a seeded ``numpy.random.Generator``). A bootstrap cannot
see past its sample: when every prompt has the same outcome, every resample is identical
and the interval has zero width. That is honest about the sample and overconfident about
the population when the prompts are few; the verdict's tests use it on purpose to put an
interval exactly on a threshold. A resample that draws only prompts without trials for
some condition has no rate; it is dropped and ``Estimate.resamples`` says how many were
kept.

**Tests and trends** are statsmodels': McNemar's exact test for round r against round
r-1 on the same prompts, and a binomial GLM of success on round with standard errors
clustered by prompt for the trend. A trend that cannot be estimated (every trial failed,
every trial succeeded, the rounds separate the outcomes perfectly, one prompt, one round)
is returned marked not estimable with the reason, never raised.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONFIDENCE",
    "RESAMPLES",
    "SEED",
    "Counts",
    "Estimate",
    "McNemar",
    "QueriesToFirst",
    "Trend",
    "change",
    "contrast",
    "difference_in_differences",
    "extra_prompts_needed",
    "mcnemar_test",
    "queries_to_first",
    "rate_interval",
    "trend",
]

RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0
_CHUNK = 256  # resamples drawn at once: bounds memory at _CHUNK x prompts counts


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Counts:
    """One metric of one arm and round: per prompt, successes out of trials.

    What a success and a trial are is the metric's: an attempt with at least one finding
    out of the attempts (fresh ASR), an exploit representative still open out of those
    replayed (replay ASR), a pair ranked right out of the pairs (clean accuracy). A prompt
    with zero trials is allowed and weighs nothing in a pooled rate.
    """

    prompts: tuple[str, ...]
    successes: tuple[int, ...]
    trials: tuple[int, ...]

    def __post_init__(self) -> None:
        if not len(self.prompts) == len(self.successes) == len(self.trials):
            raise ValueError("Counts: prompts, successes and trials differ in length")
        if len(set(self.prompts)) != len(self.prompts):
            raise ValueError("Counts: a prompt appears twice")
        for prompt, s, t in self.rows():
            if not 0 <= s <= t:
                raise ValueError(f"Counts: prompt {prompt!r} has {s} successes of {t} trials")

    @classmethod
    def of(cls, per_prompt: Mapping[str, tuple[int, int]]) -> Counts:
        """From ``{prompt: (successes, trials)}``."""
        prompts = tuple(per_prompt)
        return cls(
            prompts,
            tuple(int(per_prompt[p][0]) for p in prompts),
            tuple(int(per_prompt[p][1]) for p in prompts),
        )

    @classmethod
    def from_outcomes(cls, per_prompt: Mapping[str, Sequence[bool]]) -> Counts:
        """From ``{prompt: [outcome of each trial]}``, e.g. clean pairs ranked right."""
        return cls.of({p: (sum(map(bool, v)), len(v)) for p, v in per_prompt.items()})

    @property
    def total_successes(self) -> int:
        return sum(self.successes)

    @property
    def total_trials(self) -> int:
        return sum(self.trials)

    @property
    def rate(self) -> float:
        """Pooled over prompts; NaN without trials."""
        return self.total_successes / self.total_trials if self.total_trials else math.nan

    def any_success(self) -> dict[str, bool]:
        """Per prompt with trials: did any trial succeed (McNemar's binary outcome)."""
        return {p: s > 0 for p, s, t in self.rows() if t}

    def rows(self) -> Iterator[tuple[str, int, int]]:
        """``(prompt, successes, trials)`` per prompt."""
        return zip(self.prompts, self.successes, self.trials, strict=True)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile interval over resampled prompts."""

    estimate: float
    low: float
    high: float
    n_prompts: int
    confidence: float = CONFIDENCE
    resamples: int = 0  # resamples that had a value (see the module doc)

    @property
    def estimable(self) -> bool:
        return all(math.isfinite(x) for x in (self.estimate, self.low, self.high))

    def halfwidth(self, toward: float) -> float:
        """The half of the interval that faces ``toward`` (percentile intervals are skewed)."""
        if self.estimate >= toward:
            return self.estimate - self.low
        return self.high - self.estimate

    def __str__(self) -> str:
        if not self.estimable:
            return f"not estimable ({self.n_prompts} prompts)"
        return f"{self.estimate:+.3f} [{self.low:+.3f}, {self.high:+.3f}], {self.n_prompts} prompts"


# ------------------------------------------------------------------ bootstrap
def contrast(
    terms: Sequence[tuple[float, Counts]],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """Interval for ``sum(coef * pooled rate)`` over ``terms``, resampling prompts jointly.

    The prompts are the union over the terms; a prompt missing from a term has no trials
    there. ``rate_interval``, ``change`` and ``difference_in_differences`` are the
    contrasts with one, two and four terms.
    """
    prompts = sorted({p for _, counts in terms for p in counts.prompts})
    index = {p: i for i, p in enumerate(prompts)}
    coefs = np.array([float(c) for c, _ in terms])
    s = np.zeros((len(terms), len(prompts)))
    n = np.zeros((len(terms), len(prompts)))
    for row, (_, counts) in enumerate(terms):
        columns = [index[p] for p in counts.prompts]
        s[row, columns] = counts.successes
        n[row, columns] = counts.trials

    with np.errstate(divide="ignore", invalid="ignore"):
        point = float(coefs @ (s.sum(axis=1) / n.sum(axis=1)))
    if not prompts or not math.isfinite(point):
        return Estimate(math.nan, math.nan, math.nan, len(prompts), confidence, 0)

    rng = np.random.default_rng(seed)
    uniform = np.full(len(prompts), 1.0 / len(prompts))
    values: list[np.ndarray] = []
    for start in range(0, resamples, _CHUNK):
        # How often each prompt is drawn: the same as drawing indices with replacement.
        weights = rng.multinomial(len(prompts), uniform, size=min(_CHUNK, resamples - start))
        with np.errstate(divide="ignore", invalid="ignore"):
            values.append((weights @ s.T) / (weights @ n.T) @ coefs)
    drawn = np.concatenate(values)
    drawn = drawn[np.isfinite(drawn)]
    if drawn.size == 0:
        return Estimate(point, math.nan, math.nan, len(prompts), confidence, 0)
    alpha = 1.0 - confidence
    low, high = np.quantile(drawn, [alpha / 2, 1 - alpha / 2])
    return Estimate(point, float(low), float(high), len(prompts), confidence, int(drawn.size))


def rate_interval(
    counts: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """The pooled rate with a prompt-bootstrap interval."""
    return contrast([(1.0, counts)], confidence=confidence, resamples=resamples, seed=seed)


def change(
    after: Counts,
    before: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """``rate(after) - rate(before)`` on the same prompts, e.g. round r against round 0."""
    return contrast(
        [(1.0, after), (-1.0, before)], confidence=confidence, resamples=resamples, seed=seed
    )


def difference_in_differences(
    arm_after: Counts,
    arm_before: Counts,
    control_after: Counts,
    control_before: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """``(arm_after - arm_before) - (control_after - control_before)``, prompts jointly.

    Negative: the arm fell by more than the control (the ``clean`` arm, which had the same
    training steps without the findings).
    """
    return contrast(
        [(1.0, arm_after), (-1.0, arm_before), (-1.0, control_after), (1.0, control_before)],
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def extra_prompts_needed(estimate: Estimate, thresholds: Sequence[float] = (0.0,)) -> int | None:
    """Roughly how many more prompts until the interval stops containing a threshold.

    A rough scaling estimate, not a power analysis: it assumes the effect stays what was
    observed and the interval narrows as ``1/sqrt(n)``, so that the n at which the half
    facing the threshold equals the distance to it is
    ``n_needed = n * (halfwidth / |estimate - threshold|)**2``. With several thresholds
    (the verdict decides some quantities against two), the nearest to settle counts.
    0 when no threshold is inside the interval; None when the estimate sits on a threshold
    inside it (no number of prompts settles that) or is not estimable.
    """
    if not estimate.estimable:
        return None
    inside = [t for t in thresholds if estimate.low <= t <= estimate.high]
    if not inside:
        return 0
    needed: list[int] = []
    for t in inside:
        distance = abs(estimate.estimate - t)
        if distance == 0:
            continue
        n = estimate.n_prompts * (estimate.halfwidth(t) / distance) ** 2
        # Rounded first: 0.15 / 0.1 is 1.5000000000000002 in floating point.
        needed.append(max(0, math.ceil(round(n, 6)) - estimate.n_prompts))
    return min(needed) if needed else None


# ------------------------------------------------------------------ McNemar
@dataclass(frozen=True)
class McNemar:
    """Round r against round r-1 on the prompts both have, by "any success on the prompt"."""

    before_only: int  # prompts with a success before and none after
    after_only: int
    both: int
    neither: int
    p_value: float  # exact (binomial on the discordant prompts); 1.0 without any

    @property
    def n_prompts(self) -> int:
        return self.before_only + self.after_only + self.both + self.neither


def mcnemar_test(before: Counts, after: Counts) -> McNemar:
    """McNemar's exact test on the prompts that have trials in both conditions."""
    from statsmodels.stats.contingency_tables import mcnemar

    was, now = before.any_success(), after.any_success()
    shared = [p for p in was if p in now]
    both = sum(was[p] and now[p] for p in shared)
    before_only = sum(was[p] and not now[p] for p in shared)
    after_only = sum(now[p] and not was[p] for p in shared)
    neither = len(shared) - both - before_only - after_only
    if before_only + after_only == 0:
        p_value = 1.0  # nothing changed on any prompt: no evidence of a change
    else:
        table = [[both, before_only], [after_only, neither]]
        p_value = float(mcnemar(table, exact=True).pvalue)
    return McNemar(before_only, after_only, both, neither, p_value)


# ------------------------------------------------------------------ trend
@dataclass(frozen=True)
class Trend:
    """Logistic regression of success on round: the odds ratio per round.

    Standard errors are clustered by prompt (the same prompts recur every round);
    ``naive_se`` is the model-based one, kept to show what clustering changed.
    """

    estimable: bool
    reason: str | None
    odds_ratio: float
    low: float
    high: float
    p_value: float
    se: float  # of the log odds ratio, clustered by prompt
    naive_se: float
    n_prompts: int
    n_rounds: int
    n_trials: int


def _not_estimable(reason: str, prompts: int, rounds: int, trials: int) -> Trend:
    nan = math.nan
    return Trend(False, reason, nan, nan, nan, nan, nan, nan, prompts, rounds, trials)


def trend(per_round: Mapping[int, Counts], *, confidence: float = CONFIDENCE) -> Trend:
    """Odds ratio per round of one metric of one arm, from ``{round: Counts}``.

    One binomial row per (prompt, round) with trials; statsmodels' GLM with
    ``cov_type="cluster"`` by prompt. The data are checked first for the cases where the
    maximum-likelihood slope does not exist (no variation in the outcome, one round, or
    rounds that separate successes from failures), and the fit runs with its warnings
    caught, so none of them escapes as an error; any of those is "not estimable".
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    rows = [
        (prompt, r, s, t)
        for r, counts in sorted(per_round.items())
        for prompt, s, t in counts.rows()
        if t > 0
    ]
    prompts = sorted({row[0] for row in rows})
    rounds = sorted({row[1] for row in rows})
    trials = sum(row[3] for row in rows)
    successes = sum(row[2] for row in rows)
    sizes = (len(prompts), len(rounds), trials)
    if not rows:
        return _not_estimable("no trials", *sizes)
    if successes == 0:
        return _not_estimable("every trial failed: no trend to estimate", *sizes)
    if successes == trials:
        return _not_estimable("every trial succeeded: no trend to estimate", *sizes)
    if len(rounds) < 2:
        return _not_estimable("one round: no trend to estimate", *sizes)
    if len(prompts) < 2:
        return _not_estimable("one prompt: standard errors clustered by prompt need two", *sizes)
    with_success = [r for _, r, s, _ in rows if s > 0]
    with_failure = [r for _, r, s, t in rows if s < t]
    if max(with_failure) <= min(with_success) or max(with_success) <= min(with_failure):
        return _not_estimable(
            "the rounds separate successes from failures: the odds ratio is infinite", *sizes
        )

    index = {p: i for i, p in enumerate(prompts)}
    endog = np.array([[s, t - s] for _, _, s, t in rows], dtype=float)
    exog = sm.add_constant(np.array([r for _, r, _, _ in rows], dtype=float), has_constant="add")
    groups = np.array([index[p] for p, _, _, _ in rows])
    model = sm.GLM(endog, exog, family=sm.families.Binomial())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clustered = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
            naive = model.fit()
        except Exception as error:  # statsmodels raises a zoo; report, never propagate
            return _not_estimable(f"the fit failed: {error}", *sizes)
    troubles = [
        w for w in caught if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))
    ]
    if troubles:
        return _not_estimable(f"the fit did not converge: {troubles[0].message}", *sizes)
    slope, se = float(clustered.params[1]), float(clustered.bse[1])
    naive_se = float(naive.bse[1])
    if not all(math.isfinite(x) for x in (slope, se, naive_se)):
        return _not_estimable("the fit gave a non-finite slope or standard error", *sizes)
    low, high = clustered.conf_int(alpha=1 - confidence)[1]
    return Trend(
        True,
        None,
        math.exp(slope),
        math.exp(float(low)),
        math.exp(float(high)),
        float(clustered.pvalues[1]),
        se,
        naive_se,
        *sizes,
    )


# ------------------------------------------------------------------ queries to first finding
@dataclass(frozen=True)
class QueriesToFirst:
    """The attacker's cost: the median queries to the first finding, with the censored share.

    ``median`` is over the attempts that found something; ``censored_share`` is the share
    of attempts that found nothing within their budget. Read them together.
    """

    median: float  # NaN when no attempt found anything
    low: float
    high: float
    found: int
    attempts: int
    n_prompts: int

    @property
    def censored_share(self) -> float:
        return 1.0 - self.found / self.attempts if self.attempts else math.nan


def queries_to_first(
    per_prompt: Mapping[str, Sequence[int | None]],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> QueriesToFirst:
    """Median queries to the first finding over the attempts that found one, with a
    prompt-bootstrap interval; ``None`` marks an attempt that found nothing (censored).

    Why not count a censored attempt at its budget, or estimate a Kaplan-Meier median:
    the budget is not the cost (the true cost is somewhere above it, unknown), so counting
    it there biases the median down by an amount set by the suite, not the model; and the
    Kaplan-Meier median does not exist once more than half the attempts find nothing,
    which is exactly the robust checkpoint this experiment hopes to make. The conditional
    median is always defined; the censored share beside it carries the rest, and a
    rising censored share is itself the sign of a harder target.
    """
    prompts = sorted(per_prompt)
    found = [np.array([q for q in per_prompt[p] if q is not None], dtype=float) for p in prompts]
    attempts = sum(len(per_prompt[p]) for p in prompts)
    n_found = sum(len(f) for f in found)
    if n_found == 0:
        nan = math.nan
        return QueriesToFirst(nan, nan, nan, 0, attempts, len(prompts))
    median = float(np.median(np.concatenate(found)))
    rng = np.random.default_rng(seed)
    medians = []
    for _ in range(resamples):
        drawn = [found[i] for i in rng.integers(0, len(prompts), size=len(prompts))]
        pooled = np.concatenate(drawn)
        if pooled.size:
            medians.append(float(np.median(pooled)))
    alpha = 1.0 - confidence
    low, high = np.quantile(medians, [alpha / 2, 1 - alpha / 2])
    return QueriesToFirst(median, float(low), float(high), n_found, attempts, len(prompts))
