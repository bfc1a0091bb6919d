"""Per-prompt counts: the data every statistic of the whack-a-mole experiment reads.

Everything in the experiment's statistics is data in, numbers out: no model, no log, no
torch. The orchestrator turns run logs into ``Counts`` (per prompt: successes out of
trials); ``bootstrap`` puts intervals on their rates and contrasts, ``across_rounds``
tests and trends them over rounds, and the verdict and the report call those.

**The prompt is the unit.** The attempts on one prompt are not independent (an easy prompt
is easy for every attack, every seed and every round), so intervals resample *prompts*
with all their trials, and a rate is pooled over prompts: sum of successes over sum of
trials. That is why a record keeps the prompts apart instead of only its totals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Counts"]


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
        s, t = self.arrays()
        if not np.all((s >= 0) & (s <= t)):
            for prompt, si, ti in self.rows():
                if not 0 <= si <= ti:
                    raise ValueError(f"Counts: prompt {prompt!r} has {si} successes of {ti} trials")

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Successes and trials as arrays, in prompt order (computed once)."""
        cached = self.__dict__.get("_arrays")
        if cached is None:
            cached = (
                np.array(self.successes, dtype=np.int64),
                np.array(self.trials, dtype=np.int64),
            )
            object.__setattr__(self, "_arrays", cached)
        return cached

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
    def from_arrays(
        cls, prompts: tuple[str, ...], successes: np.ndarray, trials: np.ndarray
    ) -> Counts:
        """From arrays in prompt order, without converting them back (many at a time)."""
        counts = object.__new__(cls)
        s, t = np.asarray(successes, np.int64), np.asarray(trials, np.int64)
        object.__setattr__(counts, "prompts", prompts)
        object.__setattr__(counts, "successes", tuple(s.tolist()))
        object.__setattr__(counts, "trials", tuple(t.tolist()))
        object.__setattr__(counts, "_arrays", (s, t))
        counts.__post_init__()
        return counts

    @classmethod
    def empty(cls) -> Counts:
        """No prompts: a metric that was not measured."""
        return cls((), (), ())

    @classmethod
    def pooled(cls, parts: Sequence[Counts]) -> Counts:
        """Per prompt, the parts' successes and trials summed (replicates of one round)."""
        if parts and all(p.prompts == parts[0].prompts for p in parts[1:]):
            arrays = [p.arrays() for p in parts]
            return cls.from_arrays(
                parts[0].prompts, sum(a[0] for a in arrays), sum(a[1] for a in arrays)
            )
        totals: dict[str, list[int]] = {}
        for part in parts:
            for prompt, s, t in part.rows():
                total = totals.setdefault(prompt, [0, 0])
                total[0] += s
                total[1] += t
        return cls.of({p: (s, t) for p, (s, t) in totals.items()})

    def prompts_with_success(self) -> int:
        """Prompts on which at least one trial succeeded (the floor rule counts these)."""
        s, t = self.arrays()
        return int(np.count_nonzero((t > 0) & (s > 0)))

    def prompts_with_failure(self) -> int:
        """Prompts on which at least one trial failed (the ceiling rule counts these)."""
        s, t = self.arrays()
        return int(np.count_nonzero((t > 0) & (s < t)))

    def prompts_with_trials(self) -> int:
        return int(np.count_nonzero(self.arrays()[1]))

    def per_prompt_rates(self) -> dict[str, float]:
        """Per prompt with trials, its own rate (every prompt weighs the same)."""
        return {p: s / t for p, s, t in self.rows() if t}

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
