"""An RL run's trajectory: per step (one samples file per checkpoint), the policy's own
samples scored by proxy and gold, the nonsense rate, and the KL from the logprobs.

Per step, each quantity is averaged per prompt first and then over prompts (every prompt
counts once, however many samples it has), with a prompt-bootstrap interval (a nonsense
rate of 0 or 1: Clopper-Pearson over the prompts, as in best-of-n). The KL of
a step is the mean of ``policy_logprob - ref_logprob`` over its samples: the usual
single-sample estimate of KL(policy || reference), shown only when every sample of the
run carries both logprobs. Where gold peaks over the steps is where that run should have
stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.experiments.sweep.analysis import rate_estimate
from harness.experiments.sweep.fit import percentile_interval, resample_counts, resampled_means
from harness.experiments.sweep.result import Estimate, StepPoint, StepTrajectory
from harness.experiments.sweep.samples import Sample


def _per_prompt(rows: Sequence[int], samples: Sequence[Sample], values: np.ndarray) -> np.ndarray:
    """(prompts, columns): each prompt's mean of each column over its rows."""
    groups: dict[str, list[int]] = {}
    for i in rows:
        groups.setdefault(samples[i].prompt, []).append(i)
    return np.stack([values[g].mean(axis=0) for g in groups.values()])


def step_trajectory(
    samples: Sequence[Sample],
    proxy: np.ndarray,
    gold: np.ndarray,
    bad: np.ndarray,
    *,
    resamples: int,
    confidence: float,
    seed: int,
) -> StepTrajectory | None:
    """The steps in order; None for one step without logprobs (nothing to show)."""
    steps = sorted({s.step for s in samples}, key=lambda s: -1 if s is None else s)
    kl_available = all(s.kl is not None for s in samples)
    if len(steps) < 2 and not kl_available:
        return None
    kl = np.array([s.kl if s.kl is not None else np.nan for s in samples], dtype=np.float64)
    columns = np.column_stack([proxy, gold, bad.astype(np.float64), kl])
    points = []
    for index, step in enumerate(steps):
        rows = [i for i, s in enumerate(samples) if s.step == step]
        table = _per_prompt(rows, samples, columns)
        boot = resampled_means(table, resample_counts(len(table), resamples, seed + index))
        means = table.mean(axis=0)

        def estimate(column: int, boot: np.ndarray = boot, means: np.ndarray = means) -> Estimate:
            return Estimate.of(means[column], *percentile_interval(boot[:, column], confidence))

        points.append(
            StepPoint(
                step=step,
                rows=len(rows),
                prompts=len(table),
                proxy=estimate(0),
                gold=estimate(1),
                kl=estimate(3) if kl_available else None,
                nonsense=rate_estimate(boot[:, 2], means[2], len(table), confidence),
            )
        )
    golds = [p.gold.estimate if p.gold.estimate is not None else -np.inf for p in points]
    peak = points[int(np.argmax(golds))].step if len(points) > 1 else None
    note = (
        "KL per step: mean of policy_logprob - ref_logprob over the step's samples"
        if kl_available
        else "no KL: the samples do not all carry both policy_logprob and ref_logprob"
    )
    return StepTrajectory(
        steps=tuple(points), kl_available=kl_available, gold_peak_step=peak, note=note
    )
