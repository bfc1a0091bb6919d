"""How one arm moves across rounds: McNemar's test round against round, and the trend.

Both are statsmodels' and both read per-prompt ``Counts`` on the same prompts round after
round: McNemar's exact test for round r against round r-1 on the same prompts, and a
binomial GLM of success on round with standard errors clustered by prompt for the trend
(the prompt is the unit: ``counts``). They are reported beside the verdict, not rules. A
trend that cannot be estimated (every trial failed, every trial succeeded, the rounds
separate the outcomes perfectly, one prompt, one round) is returned marked not estimable
with the reason, never raised.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harness.experiments.rounds.bootstrap import CONFIDENCE
from harness.experiments.rounds.counts import Counts

__all__ = ["McNemar", "Trend", "mcnemar_test", "trend"]


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


def trend(
    per_round: Mapping[int, Counts],
    *,
    control: Mapping[int, Counts] | None = None,
    confidence: float = CONFIDENCE,
) -> Trend:
    """Odds ratio per round of one metric of one arm, from ``{round: Counts}``.

    One binomial row per (prompt, round) with trials; statsmodels' GLM, standard errors
    clustered by prompt (``cov_type="cluster"``), and the interval and p-value from
    Student's t with G - 1 degrees of freedom for G prompts, not the normal: with a few
    dozen clusters the z reference is anti-conservative.

    With ``control`` (the ``clean`` arm's counts over the same rounds), one model of both
    arms, ``logit P = a + b round + c arm + d round x arm``, and the odds ratio reported
    is exp(d): how much faster the arm's odds move per round than the control's (below 1:
    the arm falls faster). Prompts cluster across both arms.

    The data are checked first for the cases where the maximum-likelihood slope does not
    exist (no variation in the outcome, one round, or rounds that separate successes from
    failures), and the fit runs with its warnings caught, so none of them escapes as an
    error; any of those is "not estimable".
    """
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    arms = [(0, per_round)] + ([(1, control)] if control is not None else [])
    rows = [
        (prompt, r, arm, s, t)
        for arm, side in arms
        for r, counts in sorted(side.items())
        for prompt, s, t in counts.rows()
        if t > 0
    ]
    prompts = sorted({row[0] for row in rows})
    rounds = sorted({row[1] for row in rows})
    trials = sum(row[4] for row in rows)
    successes = sum(row[3] for row in rows)
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
    for arm, _ in arms:
        mine = [row for row in rows if row[2] == arm]
        with_success = [r for _, r, _, s, _ in mine if s > 0]
        with_failure = [r for _, r, _, s, t in mine if s < t]
        if (
            not with_success
            or not with_failure
            or (max(with_failure) <= min(with_success) or max(with_success) <= min(with_failure))
        ):
            return _not_estimable(
                "the rounds separate successes from failures"
                + (" in one arm" if control is not None else "")
                + ": the odds ratio is infinite",
                *sizes,
            )

    index = {p: i for i, p in enumerate(prompts)}
    endog = np.array([[s, t - s] for *_, s, t in rows], dtype=float)
    round_ = np.array([r for _, r, *_ in rows], dtype=float)
    columns = [round_]
    if control is not None:
        treated = np.array([1.0 - arm for _, _, arm, *_ in rows])  # the arm is 1, control 0
        columns = [round_, treated, round_ * treated]
    exog = sm.add_constant(np.column_stack(columns), has_constant="add")
    term = len(columns)  # the slope (alone) or the interaction (last)
    groups = np.array([index[p] for p, *_ in rows])
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
    slope, se = float(clustered.params[term]), float(clustered.bse[term])
    naive_se = float(naive.bse[term])
    if not all(math.isfinite(x) for x in (slope, se, naive_se)) or se <= 0:
        return _not_estimable("the fit gave a non-finite slope or standard error", *sizes)
    df = len(prompts) - 1
    q = float(stats.t.ppf(1 - (1 - confidence) / 2, df))
    p_value = float(2 * stats.t.sf(abs(slope / se), df))
    return Trend(
        True,
        None,
        math.exp(slope),
        math.exp(slope - q * se),
        math.exp(slope + q * se),
        p_value,
        se,
        naive_se,
        *sizes,
    )
