"""Instability probes: meaning-preserving edits that flip a preference pair.

For a pair the RM orders correctly (chosen above rejected), each perturbation is applied
to the chosen response (does it fall below the rejected one?) and to the rejected one
(does it rise above the chosen one?). A flip is an *instability*, a second kind of
finding: the RM's preference hangs on whitespace, case, a typo, punctuation, markdown or
a content-free preamble. Pairs the RM already orders wrongly are accuracy errors, not
instabilities, and are skipped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from harness.core.data import PreferencePair
from harness.core.perturb import PERTURBATIONS
from harness.scoring import Scorer


@dataclass(frozen=True)
class Instability:
    """A meaning-preserving edit of one side of a pair that flips the pair's order."""

    prompt: str
    chosen: str
    rejected: str
    side: str  # "chosen" or "rejected": which response was edited
    perturbation: str
    perturbed: str
    chosen_score: float
    rejected_score: float
    perturbed_score: float

    @property
    def swing(self) -> float:
        """How far the edit moved the edited side's score."""
        original = self.chosen_score if self.side == "chosen" else self.rejected_score
        return self.perturbed_score - original


def probe_pairs(
    scorer: Scorer,
    pairs: Sequence[PreferencePair],
    *,
    perturbations: Sequence[str] | None = None,
    seed: int = 0,
) -> list[Instability]:
    """All flips found over ``pairs``; every score goes through ``scorer`` in one batch."""
    names = list(perturbations or PERTURBATIONS)
    rng = random.Random(seed)
    prompts = [p.prompt for p in pairs]
    chosen = scorer.score(prompts, [p.chosen for p in pairs])
    rejected = scorer.score(prompts, [p.rejected for p in pairs])
    jobs: list[tuple[int, str, str, str]] = []
    for i, pair in enumerate(pairs):
        if chosen[i] <= rejected[i]:
            continue
        for name in names:
            for side, text in (("chosen", pair.chosen), ("rejected", pair.rejected)):
                edited = PERTURBATIONS[name](text, rng)
                if edited != text:
                    jobs.append((i, side, name, edited))
    scores = scorer.score([prompts[i] for i, *_ in jobs], [edited for *_, edited in jobs])
    found = []
    for (i, side, name, edited), score in zip(jobs, scores, strict=True):
        flipped = score < rejected[i] if side == "chosen" else score > chosen[i]
        if flipped:
            pair = pairs[i]
            found.append(
                Instability(
                    pair.prompt,
                    pair.chosen,
                    pair.rejected,
                    side,
                    name,
                    edited,
                    float(chosen[i]),
                    float(rejected[i]),
                    float(score),
                )
            )
    return found
