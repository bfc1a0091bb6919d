"""Rules v2 on constructed experiments: every outcome, floors, equivalence, Holm.

Each metric is given per prompt as a rate around a centre with a fixed spread (the same
pattern for every metric), so every contrast has a known mean and a known, non-zero
standard error. With 40 prompts the tests are Student's t on the prompts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.rules import (
    OUTCOMES,
    RuleSettings,
    compare_arms,
    decide,
    underpowered_verdict,
)

N = 40  # evaluation prompts
TRIALS = 200
# A zero-mean pattern, the same for every metric: per-prompt differences between two
# conditions built from it cancel it when their centres differ by a constant.
_PATTERN = np.tile([-0.04, -0.02, 0.0, 0.02, 0.04], N // 5)
_WOBBLE = np.tile([-0.01, 0.01], N // 2)  # one condition's own noise, independent of it


def around(centre: float, wobble: bool = False) -> Counts:
    """N prompts whose rates are ``centre`` plus the pattern (and the wobble)."""
    rates = np.clip(centre + _PATTERN + (_WOBBLE if wobble else 0.0), 0.0, 1.0)
    return Counts.of({f"p{i:03d}": (round(r * TRIALS), TRIALS) for i, r in enumerate(rates)})


BASE = {
    "fresh_trained": 0.5,
    "fresh_heldout": 0.5,
    "replay": 1.0,
    "replay_initial": 1.0,
    "clean_accuracy": 0.85,
    "chance": 0.1,
    "novel": 0.3,
}


def record(arm: str, r: int, wobble: bool = False, **centres: float) -> RoundOutcomes:
    values = {**BASE, **centres}
    if r == 0:
        values["replay"] = values["replay_initial"] = 1.0
    counts = {k: around(v, wobble) for k, v in values.items()}
    if r == 0:
        counts["novel"] = Counts.empty()
    return RoundOutcomes(arm=arm, round=r, **counts)  # type: ignore[arg-type]


CLEAN = dict(fresh_trained=0.45, fresh_heldout=0.45, replay=0.6, replay_initial=0.6)


def experiment(
    findings: dict[str, float], clean: dict[str, float] | None = None, rounds: int = 2
) -> list[RoundOutcomes]:
    """Round 0 shared; rounds 1..``rounds`` of both arms, findings wobbling around its
    centres so that its differences from clean have a spread."""
    out = [record("findings", 0), record("clean", 0)]
    for r in range(1, rounds + 1):
        out.append(record("findings", r, wobble=True, **{**CLEAN, **findings}))
        out.append(record("clean", r, **(clean if clean is not None else CLEAN)))
    return out


HELPS = dict(fresh_trained=0.3, fresh_heldout=0.3, replay=0.3, replay_initial=0.3)


def test_helps_and_it_generalises() -> None:
    v = decide(experiment(HELPS))
    assert v.outcome == "helps", v.reasons[0]
    assert v.generalises and "generalises" in v.reasons[0]
    assert "one-sided 2.5%" in v.reasons[0]
    assert v.contrast("fresh_trained_vs_clean").estimate.method == "t"


def test_helps_on_trained_families_only() -> None:
    v = decide(experiment({**HELPS, "fresh_heldout": 0.45}))
    assert v.outcome == "helps-trained-only", v.reasons[0]
    assert not v.generalises


def test_whack_a_mole_needs_equivalence_not_absence_of_evidence() -> None:
    # Replay closes beyond clean; trained fresh ASR equal to clean's, within delta.
    v = decide(experiment({"replay": 0.3, "replay_initial": 0.3}))
    assert v.outcome == "whack-a-mole", v.reasons[0]
    assert "equivalent" in v.reasons[0]
    # The same data with a margin too tight for the interval: not equivalent, and no
    # other rule holds.
    tight = decide(
        experiment({"replay": 0.3, "replay_initial": 0.3}), settings=RuleSettings(delta=0.001)
    )
    assert tight.outcome == "inconclusive"


def test_whack_a_mole_by_novelty_when_trained_asr_is_not_equivalent() -> None:
    findings = {"replay_initial": 0.3, "fresh_trained": 0.52, "novel": 0.6}
    v = decide(experiment(findings), settings=RuleSettings(delta=0.05))
    assert v.outcome == "whack-a-mole", v.reasons[0]
    assert "novel share" in v.reasons[0]


def test_replay_read_is_round_zeros_set_beyond_clean() -> None:
    # Every exploit replayed falls, but round 0's set falls no more than clean's.
    v = decide(experiment({**HELPS, "replay_initial": 0.6}))
    assert v.outcome == "inconclusive", v.reasons[0]


@pytest.mark.parametrize(
    "harm, says",
    [
        ({"clean_accuracy": 0.75}, "clean accuracy lies below"),
        ({"chance": 0.3}, "chance rate rises"),
        ({"fresh_heldout": 0.65}, "held-out fresh ASR rises"),
    ],
)
def test_harmful_is_holm_adjusted_and_wins_over_helping(harm: dict, says: str) -> None:
    v = decide(experiment({**HELPS, **harm}))
    assert v.outcome == "harmful"
    assert says in v.reasons[0] and "Holm" in v.reasons[0]
    assert "family-wise one-sided 2.5%" in v.reasons[0]


def test_floor_blocks_every_rule() -> None:
    # No success anywhere: "fell to 0" cannot be told from "did not change".
    none = Counts.of({f"p{i:03d}": (0, 6) for i in range(N)})
    outcomes = []
    for arm, r, replay in (("findings", 0, 1.0), ("clean", 0, 1.0), ("findings", 1, 0.3),
                           ("clean", 1, 0.6), ("findings", 2, 0.3), ("clean", 2, 0.6)):  # fmt: skip
        o = record(arm, r, wobble=arm == "findings", replay_initial=replay)
        outcomes.append(dataclasses.replace(o, fresh_trained=none, fresh_heldout=none))
    v = decide(outcomes)
    assert v.label == "inconclusive (floor)", v.reasons[0]
    assert any("Clopper-Pearson" in line and "0 of 40 prompts" in line for line in v.reasons)


def test_a_floor_at_round_zero_only_blocks_too() -> None:
    # One prompt with a success of 8 at round 0 (k* = 3), then large rates: still floored.
    def few(successes: int) -> Counts:
        return Counts.of({f"p{i}": (successes if i == 0 else 0, 24) for i in range(8)})

    r0 = dataclasses.replace(record("findings", 0), fresh_heldout=few(3))
    r0 = dataclasses.replace(r0, clean_accuracy=Counts.of({f"p{i}": (8, 10) for i in range(8)}))
    outcomes = [r0, dataclasses.replace(r0, arm="clean")]
    for r in (1, 2):
        outcomes.append(dataclasses.replace(r0, arm="findings", round=r, fresh_heldout=few(0)))
        outcomes.append(dataclasses.replace(r0, arm="clean", round=r, fresh_heldout=few(0)))
    v = decide(outcomes)
    assert v.label == "inconclusive (floor)"
    assert "1 of 8 prompts" in "\n".join(v.reasons)


def test_one_retrained_round_decides_only_harm() -> None:
    assert decide(experiment(HELPS, rounds=1)).outcome == "inconclusive"
    assert decide(experiment({"clean_accuracy": 0.7}, rounds=1)).outcome == "harmful"


def test_nothing_to_compare_without_round_zero_or_retraining() -> None:
    no_zero = [o for o in experiment(HELPS) if not (o.arm == "clean" and o.round == 0)]
    assert decide(no_zero).outcome == "inconclusive"
    carried = [dataclasses.replace(o, retrained=False) if o.round else o for o in experiment(HELPS)]
    v = decide(carried)
    assert v.outcome == "inconclusive" and v.final_round == 0


def test_power_is_reported_and_names_the_prompts_that_would_reach_it() -> None:
    v = decide(experiment({}))
    assert v.power is not None
    text = "\n".join(v.reasons)
    assert "power before retraining" in text and "MDE" in text


def test_underpowered_verdict_for_require_power() -> None:
    power = decide(experiment({})).power
    assert power is not None
    v = underpowered_verdict("findings", "clean", power)
    assert v.outcome == "underpowered" and v.outcome in OUTCOMES


def test_every_outcome_but_underpowered_is_reachable_by_the_rules() -> None:
    reached = {
        decide(experiment(HELPS)).outcome,
        decide(experiment({**HELPS, "fresh_heldout": 0.45})).outcome,
        decide(experiment({"replay_initial": 0.3})).outcome,
        decide(experiment({"clean_accuracy": 0.7})).outcome,
        decide(experiment({})).outcome,
    }
    assert reached == set(OUTCOMES) - {"underpowered"}


def test_compare_arms_uses_the_paired_tests() -> None:
    outcomes = experiment(HELPS)
    outcomes += [
        dataclasses.replace(o, arm="synthetic")
        for o in experiment({}, rounds=2)
        if o.arm == "findings"
    ]
    contrasts = {c.key: c for c in compare_arms(outcomes)}
    trained = contrasts["fresh_trained_vs_synthetic"].estimate
    assert trained.high < 0 and trained.method == "t"
