"""What the experiment reads of a round's run, per evaluation prompt, beside its verdict.

The verdict's intervals resample prompts, so it needs each evaluation prompt's tallies,
not a run's totals: **clean accuracy** (pairs ranked right) and the **chance rate**
(random soups that outscore the reference). The round's run measured both on every pair
of the experiment's prompt file (its ``clean`` entry logs them per prompt; every run draws
its soups with the same fixed seed, so they are the same every round), so they are read
from its log, not scored again. Round 0 also counts its own exploits per evaluation
prompt: its replay record, open by construction (``outcomes`` module doc).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from harness.core.errors import HarnessError
from harness.experiments.rounds.split import prompt_key
from harness.runlog import CleanEntry, read_log
from harness.store import FindingStore

__all__ = ["CleanMeasure", "clean_and_chance", "exploits_per_prompt"]


class CleanMeasure(NamedTuple):
    """Per evaluation prompt ``[successes, trials]``, and the checkpoint's fingerprint."""

    clean: dict[str, list[int]]
    chance: dict[str, list[int]]
    fingerprint: str


def clean_and_chance(run_log: Path, evaluation: Iterable[str]) -> CleanMeasure:
    """The ``evaluation`` prompts' tallies from the round run's ``clean`` entry."""
    clean = next(iter(read_log(run_log, strict=True).of_type(CleanEntry)), None)
    if clean is None or not clean.accuracy_by_prompt:
        raise HarnessError(f"run log {run_log} has no clean measurement per prompt")
    keys = {prompt_key(p) for p in evaluation}

    def wanted(tallies: dict[str, tuple[int, int]]) -> dict[str, list[int]]:
        return {p: list(t) for p, t in tallies.items() if prompt_key(p) in keys}

    return CleanMeasure(
        wanted(clean.accuracy_by_prompt), wanted(clean.chance_by_prompt), clean.fingerprint
    )


def exploits_per_prompt(store: Path, evaluation: Iterable[str]) -> dict[str, int]:
    """The store's exploits (representatives of findings) per evaluation prompt."""
    keys = {prompt_key(p) for p in evaluation}
    with FindingStore.open(store) as opened:
        rows = opened.representatives(kind="finding")
    prompts = (item.finding.prompt for item in rows)
    return dict(Counter(p for p in prompts if prompt_key(p) in keys))
