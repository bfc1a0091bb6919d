"""The watcher's configuration: how often and how much it evaluates, the stop rule, and
its judges given by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import HarnessError
from harness.experiments.sweep.nonsense import sample_judge
from harness.experiments.watch.rule import StopRule
from harness.judges import Judge
from harness.judges.base import JudgeSpec, build_judges


@dataclass(frozen=True)
class WatchConfig:
    """How often and how much the watcher evaluates, and the stop rule.

    every: evaluate at steps that are multiples of ``every`` (step 0 included).
    sample_prompts: prompts scored per evaluation (a seeded sample of the step's
        prompts when it has more; every completion of a sampled prompt is scored).
    seed: seeds the prompt sample and the rule's bootstrap.
    """

    every: int = 10
    sample_prompts: int = 16
    seed: int = 0
    rule: StopRule = field(default_factory=StopRule)

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise HarnessError(
                f"the watcher's seed must be a non-negative integer, got {self.seed!r}"
            )
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every <= 0:
            raise HarnessError(
                f"the watcher's every must be a positive number of steps, got {self.every!r}"
            )
        if (
            isinstance(self.sample_prompts, bool)
            or not isinstance(self.sample_prompts, int)
            or self.sample_prompts < 2
        ):
            raise HarnessError(
                "the watcher's sample_prompts must be at least 2 (the stop rule resamples "
                f"prompts), got {self.sample_prompts!r}"
            )


def watch_judge(judge: str | Judge) -> Judge:
    """A judge given by name (built with its defaults; ``heuristic`` is the sweep's
    sampling judge) or as itself."""
    if isinstance(judge, Judge):
        return judge
    if judge == "heuristic":
        return sample_judge()
    (built,) = build_judges([JudgeSpec(judge)], _no_models)
    return built


def _no_models(spec: str) -> Any:
    raise HarnessError(f"judge needs a model ({spec}); pass the judge itself to the watcher")
