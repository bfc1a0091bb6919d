"""The verdict rules of the first version (issue 12), kept to compare with rules v2.

Not used by the harness: ``bench_verdict.py`` runs them on the same simulated worlds as
``harness.experiments.rounds.rules`` to show what they got wrong. They read the arm's own
changes against round 0 and its falls beyond ``clean`` through 95% percentile prompt
bootstraps; "does not fall by more than clean" was the negation of a significant fall
(a zero-width interval at a floor satisfied it), rule 1 was an OR of three one-sided
tests at 2.5% each, and replay was the arm's own change on every earlier exploit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.experiments.rounds.bootstrap import Estimate
from harness.experiments.rounds.contrasts import (
    Resampling,
    RoundOutcomes,
    by_arm,
    change_beyond,
    final_round,
    own_change,
    retrained_rounds,
)

MARGIN, NOVEL_SHARE, TOLERANCE = 0.02, 0.5, 1e-9


def _below(e: Estimate, t: float) -> bool:
    return e.estimable and e.high < t - TOLERANCE


def _above(e: Estimate, t: float) -> bool:
    return e.estimable and e.low > t + TOLERANCE


def decide_v1(
    outcomes: Sequence[RoundOutcomes],
    *,
    arm: str = "findings",
    control: str = "clean",
    resamples: int = 2000,
    seed: int = 0,
) -> str:
    """The first version's outcome for ``arm`` (its rules 1 to 5, in order)."""
    arms = by_arm(outcomes)
    mine, theirs = arms.get(arm, {}), arms.get(control, {})
    final = final_round(mine, theirs)
    if 0 not in mine or 0 not in theirs or not final:
        return "inconclusive"
    rs = Resampling(0.95, resamples, seed)
    own = {m: own_change(m, mine, final, (0.0,), rs).estimate for m in
           ("clean_accuracy", "replay", "fresh_trained", "fresh_heldout", "chance")}  # fmt: skip
    beyond = {m: change_beyond(m, mine, theirs, final, (0.0,), rs).estimate for m in
              ("fresh_trained", "fresh_heldout")}  # fmt: skip
    if (
        _below(own["clean_accuracy"], -MARGIN)
        or _above(own["fresh_heldout"], 0.0)
        or _above(own["chance"], 0.0)
    ):
        return "harmful"
    if len(retrained_rounds(mine, theirs)) < 2:
        return "inconclusive"
    replay_falls = _below(own["replay"], 0.0)
    non_inferior = _above(own["clean_accuracy"], -MARGIN)
    trained_falls = _below(own["fresh_trained"], 0.0)
    trained_beyond = _below(beyond["fresh_trained"], 0.0)
    heldout_beyond = _below(beyond["fresh_heldout"], 0.0)
    if (replay_falls and trained_falls and _below(own["fresh_heldout"], 0.0)
            and trained_beyond and heldout_beyond and non_inferior):  # fmt: skip
        return "helps"
    if replay_falls and trained_falls and trained_beyond and not heldout_beyond and non_inferior:
        return "helps-trained-only"
    if replay_falls and (not trained_beyond or _novel_every_round(mine, final)):
        return "whack-a-mole"
    return "inconclusive"


def _novel_every_round(arm: Mapping[int, RoundOutcomes], final: int) -> bool:
    rounds = [arm.get(r) for r in range(1, final + 1)]
    return all(
        o is not None
        and o.novel_share is not None
        and o.novel_share >= NOVEL_SHARE - TOLERANCE
        and o.new_exploits > 0
        for o in rounds
    )
