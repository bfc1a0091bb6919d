"""The ensemble judge: several reward models vote on whether the candidate is worse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from harness.core.errors import HarnessError
from harness.judges.base import Judge, Judgement, ModelLoader, register
from harness.scoring import Scorer


@register
@dataclass
class EnsembleJudge(Judge):
    """Several reward models vote on whether the candidate is worse than the reference.

    Bad when at least ``quorum`` of them rank it below the reference; fine when none do;
    undecided in between (the spread flags it).
    """

    scorers: Sequence[Scorer]
    quorum: float = 0.5
    name: ClassVar[str] = "ensemble"
    checkpoint_params: ClassVar[tuple[str, ...]] = ("checkpoints",)

    @dataclass(frozen=True)
    class Params:
        checkpoints: tuple[str, ...] = field(default_factory=tuple)
        quorum: float = 0.5

    @classmethod
    def create(cls, params: Params, load: ModelLoader) -> EnsembleJudge:
        if not params.checkpoints:
            raise HarnessError("judge 'ensemble' needs at least one checkpoint")
        if not 0 < params.quorum <= 1:
            raise HarnessError(f"judge 'ensemble' quorum must be in (0, 1], got {params.quorum}")
        return cls([load(c) for c in params.checkpoints], quorum=params.quorum)

    def rm_scorers(self) -> Sequence[Scorer]:
        return tuple(self.scorers)

    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        below = np.zeros((len(self.scorers), len(candidates)), dtype=bool)
        for row, scorer in enumerate(self.scorers):
            ref = scorer.score_one(prompt, reference)
            below[row] = scorer.score_responses(prompt, candidates) < ref
        judgements = []
        for col in range(len(candidates)):
            share = float(below[:, col].mean())
            bad = True if share >= self.quorum else (False if share == 0 else None)
            reason = f"{below[:, col].sum()}/{len(self.scorers)} ensemble RMs rank it below"
            judgements.append(Judgement(self.name, bad, (reason,)))
        return judgements
