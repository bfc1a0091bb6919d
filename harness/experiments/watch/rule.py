"""The watcher's stop rule: stop an RL run when gold has peaked, or when the policy's
samples start to be judged bad. Fixed in ``docs/watch.md`` before any run was watched;
``benchmarks/bench_watch.py`` measures it on simulated runs where the peak is known.

Every evaluation holds, per sampled prompt, the mean gold score and the judged-bad share
of that prompt's completions. The prompts are the units: each resample of the bootstrap
draws every evaluation's prompts with replacement, independently (an RL run samples new
prompts at every step). Two tests, each at a one-sided level of ``1 - alpha``:

- **peaked**: over the last ``window`` evaluations, the least-squares slope of the
  evaluations' gold means against their steps, times the window's span of steps (gold's
  fitted change over the window). Stop when the change's one-sided upper bound is below 0.
- **nonsense**: the judged-bad share now minus at the first evaluation. Stop when its
  one-sided lower bound exceeds ``margin`` (the policy makes more nonsense than it did
  when the watch began, by more than the margin: "before you start seeing these").

Only evaluations that succeeded count (a failed one is skipped, never decided on), and an
evaluation needs two prompts to be resampled. The decision names the best step so far by
gold (the highest evaluation mean), the checkpoint to keep.

The rule is applied at every evaluation, so over a long run its chance of a false stop
adds up: the level is per look, and the simulations state the run-level rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.core.errors import HarnessError
from harness.experiments.sweep.fit import resample_counts, resampled_means
from harness.runlog.record import Record

PEAKED = "peaked"
NONSENSE = "nonsense"
REASONS = (PEAKED, NONSENSE)


@dataclass(frozen=True)
class StopRule:
    """The rule's parameters (``docs/watch.md``: fixed before any data).

    window: evaluations the peak test fits a slope over (at least 2).
    alpha: one-sided error level of each test, per evaluation (2.5%: the tail of the 95%
        intervals everywhere else in the project).
    margin: how far the judged-bad share may rise above its first value before the
        nonsense test may stop the run (a share, 0.05 = 5 points: above the false-positive
        rates measured for the heuristic and fluency judges on real jokes, 2.8% and 5.6%).
    resamples: prompt-bootstrap resamples per test.
    """

    window: int = 5
    alpha: float = 0.025
    margin: float = 0.05
    resamples: int = 2000

    def __post_init__(self) -> None:
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 2:
            raise HarnessError(
                f"the stop rule's window must be an integer of at least 2 evaluations, "
                f"got {self.window!r}"
            )
        for name in ("alpha", "margin"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise HarnessError(f"the stop rule's {name} must be a number, got {value!r}")
        if not 0.0 < self.alpha < 0.5:
            raise HarnessError(f"the stop rule's alpha must be in (0, 0.5), got {self.alpha!r}")
        if not 0.0 <= self.margin < 1.0:
            raise HarnessError(f"the stop rule's margin must be in [0, 1), got {self.margin!r}")
        if (
            isinstance(self.resamples, bool)
            or not isinstance(self.resamples, int)
            or self.resamples < 100
        ):
            raise HarnessError(
                f"the stop rule needs an integer of at least 100 resamples, got {self.resamples!r}"
            )


@dataclass(frozen=True)
class Evaluation:
    """One evaluation's per-prompt values, as the rule reads them."""

    step: int
    gold: np.ndarray  # per prompt: mean gold of its completions
    bad: np.ndarray  # per prompt: share of its completions judged bad

    @property
    def prompts(self) -> int:
        return len(self.gold)


@dataclass(frozen=True, kw_only=True)
class PeakTest(Record):
    """Gold's fitted change over the window's steps and its one-sided upper bound."""

    steps: tuple[int, ...]
    change: float
    high: float


@dataclass(frozen=True, kw_only=True)
class NonsenseTest(Record):
    """The judged-bad share now against the first evaluation's, the rise's one-sided
    lower bound, and the margin it must clear."""

    first_step: int
    first: float
    current: float
    rise: float
    low: float
    margin: float


@dataclass(frozen=True, kw_only=True)
class Decision(Record):
    """What the watcher concluded at ``step``.

    ``evaluated``: whether this step was evaluated (others repeat the last decision's
    numbers with ``stop`` false). ``failed``: the evaluation failed (it decides nothing).
    ``reason``: ``peaked`` or ``nonsense`` when ``stop``. ``best_step``: the evaluated
    step with the highest gold mean so far. ``best_clean_step``: the same among the
    evaluations whose judged-bad share is within ``margin`` of the first's (point
    estimates): the checkpoint to keep when the gold is fooled by what the judges catch,
    as a gold RM that likes repetition is. It informs; the stop rule does not read it.
    """

    step: int
    evaluated: bool
    stop: bool = False
    reason: str | None = None
    failed: bool = False
    peak: PeakTest | None = None
    nonsense: NonsenseTest | None = None
    best_step: int | None = None
    best_gold: float | None = None
    best_clean_step: int | None = None
    best_clean_gold: float | None = None
    message: str = ""


def _slope_weights(steps: Sequence[int]) -> np.ndarray:
    """c such that c @ means is the least-squares slope times the span of ``steps``."""
    x = np.asarray(steps, dtype=np.float64)
    centred = x - x.mean()
    return centred / (centred @ centred) * (x[-1] - x[0])


def _boot_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Per resample, the mean of ``values`` over prompts drawn with replacement."""
    counts = resample_counts(len(values), resamples, seed)
    return resampled_means(values[:, None], counts)[:, 0]


def peak_test(window: Sequence[Evaluation], rule: StopRule, seed: int) -> PeakTest:
    """Gold's change over ``window`` and its upper bound (every evaluation resampled)."""
    weights = _slope_weights([e.step for e in window])
    means = np.array([e.gold.mean() for e in window])
    boot = np.stack(
        [_boot_means(e.gold, rule.resamples, seed + 7919 * e.step) for e in window], axis=1
    )
    changes = boot @ weights
    high = float(np.quantile(changes, 1.0 - rule.alpha, method="inverted_cdf"))
    return PeakTest(steps=tuple(e.step for e in window), change=float(means @ weights), high=high)


def nonsense_test(
    first: Evaluation, current: Evaluation, rule: StopRule, seed: int
) -> NonsenseTest:
    """The rise of the judged-bad share since ``first`` and its lower bound."""
    now = _boot_means(current.bad, rule.resamples, seed + 7919 * current.step + 1)
    then = _boot_means(first.bad, rule.resamples, seed + 7919 * first.step + 2)
    low = float(np.quantile(now - then, rule.alpha, method="inverted_cdf"))
    return NonsenseTest(
        first_step=first.step,
        first=float(first.bad.mean()),
        current=float(current.bad.mean()),
        rise=float(current.bad.mean() - first.bad.mean()),
        low=low,
        margin=rule.margin,
    )


def decide(evaluations: Sequence[Evaluation], rule: StopRule, *, seed: int = 0) -> Decision:
    """The decision after the last of ``evaluations`` (the successful ones, in order).

    Deterministic given ``seed``: each evaluation's resamples are seeded by its step.
    """
    if not evaluations:
        raise HarnessError("the stop rule needs at least one evaluation")
    current = evaluations[-1]
    golds = [float(e.gold.mean()) for e in evaluations]
    best = int(np.argmax(golds))
    usable = [e for e in evaluations if e.prompts >= 2]
    peak = None
    if len(usable) >= rule.window and current.prompts >= 2:
        peak = peak_test(usable[-rule.window :], rule, seed)
    nonsense = None
    if len(usable) >= 2 and current.prompts >= 2 and usable[0] is not current:
        nonsense = nonsense_test(usable[0], current, rule, seed)
    baseline = float((usable[0] if usable else evaluations[0]).bad.mean())
    clean = [i for i, e in enumerate(evaluations) if e.bad.mean() - baseline <= rule.margin]
    best_clean = max(clean, key=lambda i: golds[i]) if clean else None
    reason = None
    if peak is not None and peak.high < 0.0:
        reason = PEAKED
    elif nonsense is not None and nonsense.low > rule.margin:
        reason = NONSENSE
    return Decision(
        step=current.step,
        evaluated=True,
        stop=reason is not None,
        reason=reason,
        peak=peak,
        nonsense=nonsense,
        best_step=evaluations[best].step,
        best_gold=golds[best],
        best_clean_step=None if best_clean is None else evaluations[best_clean].step,
        best_clean_gold=None if best_clean is None else golds[best_clean],
        message=decision_message(
            reason,
            peak,
            nonsense,
            (evaluations[best].step, golds[best]),
            None if best_clean is None else (evaluations[best_clean].step, golds[best_clean]),
            rule,
        ),
    )


def decision_message(
    reason: str | None,
    peak: PeakTest | None,
    nonsense: NonsenseTest | None,
    best: tuple[int, float],
    best_clean: tuple[int, float] | None,
    rule: StopRule,
) -> str:
    """One line: the decision and the numbers it rests on."""
    level = f"{100 * (1 - rule.alpha):g}%"
    parts = []
    if peak is not None:
        parts.append(
            f"gold change over steps {peak.steps[0]}-{peak.steps[-1]} {peak.change:+.3g} "
            f"(upper {level} bound {peak.high:+.3g})"
        )
    else:
        parts.append(f"peak test waits for {rule.window} evaluations")
    if nonsense is not None:
        parts.append(
            f"judged bad {100 * nonsense.current:.1f}% vs {100 * nonsense.first:.1f}% at step "
            f"{nonsense.first_step} (rise {100 * nonsense.rise:+.1f} points, lower {level} "
            f"bound {100 * nonsense.low:+.1f}, margin {100 * nonsense.margin:g})"
        )
    head = {PEAKED: "stop: gold has peaked", NONSENSE: "stop: nonsense is rising"}.get(
        reason or "", "continue"
    )
    tail = f"best step {best[0]} (gold {best[1]:.4g})"
    if best_clean is None:
        tail += "; no step within the judged-bad margin"
    elif best_clean[0] != best[0]:
        tail += (
            f"; best step within the judged-bad margin {best_clean[0]} (gold {best_clean[1]:.4g})"
        )
    return f"{head}; " + "; ".join(parts) + f"; {tail}"
