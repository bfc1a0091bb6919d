"""The watcher's gold: one RM, or several standardized and combined.

Gold RMs are loaded when the watcher is built, so a gold that cannot be loaded is an
error before training starts, not an hour into it. Several golds sit on different
scales: each is standardized by its mean and spread over the first evaluation's rows
(fixed from then on, and written to the log so that a resumed watch keeps the same
scale), then averaged (``mean``) or their minimum taken (``min``, the worst case of
Coste et al. 2023), as the sweep's ensemble gold does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from harness.core.errors import HarnessError
from harness.experiments.watch.log import GoldScaleRecord as GoldScale
from harness.models.base import RewardModel
from harness.scoring import Scorer

#: What a gold may be given as: a checkpoint spec (loaded), a reward model, or a scorer.
GoldSource = str | os.PathLike[str] | RewardModel | Scorer
COMBINES = ("mean", "min")


class WatchGold:
    """The gold members (spec and scorer) and how their scores are combined."""

    def __init__(self, gold: GoldSource | Sequence[GoldSource], combine: str = "mean") -> None:
        if combine not in COMBINES:
            raise HarnessError(f"gold_combine must be mean or min, got {combine!r}")
        sources = (
            [gold] if isinstance(gold, (str, os.PathLike, RewardModel, Scorer)) else list(gold)
        )
        if not sources:
            raise HarnessError(
                "the watcher needs a gold RM (a checkpoint, a reward model or a scorer)"
            )
        self.members = [(_spec(g), _scorer(g)) for g in sources]
        prints = self.fingerprints
        if len(set(prints)) < len(prints):
            raise HarnessError("a gold RM is given twice (same fingerprint)")
        self.combine = combine
        self.scale: GoldScale | None = None

    @property
    def fingerprints(self) -> list[str]:
        return [s.model.fingerprint for _, s in self.members]

    def score(self, prompts: list[str], texts: list[str]) -> np.ndarray:
        """The gold per row: one member's score, or the members' standardized combination."""
        raw = np.stack([s.score(prompts, texts) for _, s in self.members])
        if len(self.members) == 1:
            scores = raw[0]
        else:
            if self.scale is None:
                spreads = raw.std(axis=1)
                if not np.all(spreads > 0):
                    raise HarnessError(
                        "a gold RM gives every sampled row the same score; it cannot be "
                        "standardized"
                    )
                self.scale = GoldScale(
                    centers=tuple(float(c) for c in raw.mean(axis=1)),
                    spreads=tuple(float(s) for s in spreads),
                )
            centers = np.asarray(self.scale.centers)[:, None]
            z = (raw - centers) / np.asarray(self.scale.spreads)[:, None]
            scores = z.mean(axis=0) if self.combine == "mean" else z.min(axis=0)
        if not np.all(np.isfinite(scores)):
            raise HarnessError("the gold RM returned a score that is not finite")
        return scores

    def __repr__(self) -> str:
        names = ", ".join(spec for spec, _ in self.members)
        return f"WatchGold({names}; {self.combine})"


def _spec(source: GoldSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    model = source.model if isinstance(source, Scorer) else source
    return repr(model)


def _scorer(source: GoldSource) -> Scorer:
    if isinstance(source, Scorer):
        return source
    if isinstance(source, RewardModel):
        return Scorer(source)
    from harness.models import load_reward_model

    return Scorer(load_reward_model(source))
