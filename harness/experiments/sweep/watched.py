"""``sweep.json``'s ``watch``: what a watcher decided on an RL run, kept beside the sweep of
its samples (``rmh sweep --watch``; ``watch_inputs.py`` reads the watch folder).

The sweep's own step trajectory (``steps``) is recomputed from the samples the watcher
recorded; this record keeps the watcher's decisions as its log wrote them: per evaluation
the two tests of the stop rule (``docs/watch.md``) and the best step so far, the failed
evaluations, and the stop with the checkpoint to keep. Judged-bad examples are the
policy's own text, kept unchanged: every renderer escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.experiments.watch.rule import NonsenseTest, PeakTest
from harness.runlog.record import Record


@dataclass(frozen=True, kw_only=True)
class WatchedStep(Record):
    """One successful evaluation of the watch and the decision taken on it."""

    step: int
    prompts: int
    rows: int
    stop: bool
    reason: str | None
    best_step: int | None
    best_gold: float | None
    peak: PeakTest | None  # the stop rule's records, as the watch log holds them
    nonsense: NonsenseTest | None
    message: str
    best_clean_step: int | None = None  # the best within the judged-bad margin


@dataclass(frozen=True, kw_only=True)
class WatchSummary(Record):
    """The watch a sweep was made from: where it is, how it decided (``config``: every,
    sample_prompts, seed and the stop rule's parameters), each evaluation's decision, the
    failed evaluations (they decide nothing), the stop (None: the watcher never stopped
    the run), the best step by gold, the best step among the evaluations whose judged-bad
    share stayed within the rule's margin (the checkpoint to keep when gold is fooled), and
    up to three completions the judges called bad at the first evaluation where any were."""

    folder: str
    watch_id: str
    judges: tuple[str, ...]
    config: dict[str, Any]
    evaluations: tuple[WatchedStep, ...]
    failures: int
    failed_steps: tuple[int, ...]
    stop_step: int | None
    stop_reason: str | None
    stop_message: str | None
    best_step: int | None
    best_checkpoint: str | None
    bad_examples_step: int | None
    bad_examples: tuple[str, ...]
    best_clean_step: int | None = None
    best_clean_checkpoint: str | None = None

    @property
    def rule(self) -> dict[str, Any]:
        """The stop rule's parameters (window, alpha, margin, resamples)."""
        rule = self.config.get("rule")
        return rule if isinstance(rule, dict) else {}
