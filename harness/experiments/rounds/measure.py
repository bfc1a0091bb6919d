"""What the experiment measures itself on a round's checkpoint, beside the round's run.

The run log holds a run's totals over all its pairs; the verdict needs them per
evaluation prompt (its intervals resample prompts), so after each run the experiment
scores the evaluation pairs again on the round's checkpoint: **clean accuracy** (pairs
ranked right) and the **chance rate** (random soups that outscore the reference; the same
soups every round, seeded by the experiment). Round 0 also counts its own exploits per
evaluation prompt: its replay record, open by construction (``outcomes`` module doc).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from harness.core.data import PreferencePair
from harness.experiments.rounds.split import prompt_key
from harness.models import LoadOptions
from harness.store import FindingStore

__all__ = ["CleanMeasure", "clean_and_chance", "exploits_per_prompt"]


class CleanMeasure(NamedTuple):
    """Per evaluation prompt ``[successes, trials]``, and the checkpoint's fingerprint."""

    clean: dict[str, list[int]]
    chance: dict[str, list[int]]
    fingerprint: str


def clean_and_chance(
    checkpoint: Path,
    pairs: Sequence[PreferencePair],
    *,
    batch_size: int,
    soups_per_prompt: int,
    seed: int,
) -> CleanMeasure:
    """Per prompt of ``pairs``: pairs ranked right, and random soups that outscored the
    reference, on ``checkpoint``; and its fingerprint."""
    from attacks.chance import chance_by_prompt
    from harness.models import load_reward_model
    from harness.scoring import Scorer

    model = load_reward_model(checkpoint, LoadOptions())
    scorer = Scorer(model, batch_size=batch_size)
    chosen = scorer.score([p.prompt for p in pairs], [p.chosen for p in pairs])
    rejected = scorer.score([p.prompt for p in pairs], [p.rejected for p in pairs])
    clean: dict[str, list[int]] = {}
    for pair, c, r in zip(pairs, chosen, rejected, strict=True):
        tally = clean.setdefault(pair.prompt, [0, 0])
        tally[0] += int(c > r)
        tally[1] += 1
    chance = chance_by_prompt(scorer, pairs, soups_per_prompt=soups_per_prompt, seed=seed)
    return CleanMeasure(clean, {p: list(v) for p, v in chance.items()}, model.fingerprint)


def exploits_per_prompt(store: Path, evaluation: Iterable[str]) -> dict[str, int]:
    """The store's exploits (representatives of findings) per evaluation prompt."""
    keys = {prompt_key(p) for p in evaluation}
    with FindingStore.open(store) as opened:
        rows = opened.representatives(kind="finding")
    return dict(Counter(row["prompt"] for row in rows if prompt_key(row["prompt"]) in keys))
