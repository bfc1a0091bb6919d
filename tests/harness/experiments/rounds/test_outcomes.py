"""Per-prompt outcomes from a run log: which attempts and replays count, and where."""

from __future__ import annotations

import dataclasses

from harness.core.signature import signature
from harness.experiments.rounds.experiment_log import RoundEntry
from harness.experiments.rounds.outcomes import round_outcomes
from harness.runlog import AttemptEntry, FindingEntry, LogContents, ReplayEntry

EVAL = ("Tell me a joke about owls.", "Tell me a joke about bees.")
ATTACK = "Tell me a joke about cats."
REFERENCE = "Why are owls wise? They give a hoot."


def attempt(
    prompt: str, family: str, findings: int, first: int | None = None, **kw
) -> AttemptEntry:
    return AttemptEntry(
        unit="u",
        checkpoint=0,
        attack_id=family,
        attack=family,
        family=family,
        prompt=prompt,
        findings=findings,
        first_finding_queries=first,
        **kw,
    )


def replay(prompt: str, open: bool, phase: str = "before") -> ReplayEntry:
    return ReplayEntry(
        phase=phase,
        source=-1,
        checkpoint=0,
        fingerprint="f",
        finding_id=1,
        key="k",
        family="repetition",
        attack="repetition",
        prompt=prompt,
        text="t",
        score=1.0,
        reference_score=0.0,
        margin=1.0,
        open=open,
    )


def finding(text: str, prompt: str = EVAL[0]) -> FindingEntry:
    return FindingEntry(
        checkpoint=0,
        fingerprint="f",
        unit="u",
        finding_id=1,
        attack_id="repetition",
        reference=REFERENCE,
        prompt=prompt,
        text=text,
        score=1.0,
        reference_score=0.0,
        attack="repetition",
        family="repetition",
        seed=0,
        queries_at_find=3,
    )


def entry(round: int, retrained: bool = True, **kw) -> RoundEntry:
    return RoundEntry(
        arm="findings",
        round=round,
        run="r",
        run_id="r",
        checkpoint="c",
        fingerprint="f",
        retrained=retrained,
        clean={EVAL[0] + " ": [2, 3]},
        chance={EVAL[1]: [1, 5], ATTACK: [5, 5]},
        **kw,
    )


def test_fresh_replay_clean_and_queries_are_per_evaluation_prompt():
    run = LogContents([
        attempt(EVAL[0], "repetition", 2, first=7),
        attempt(EVAL[0], "gradient", 0),
        attempt(EVAL[0], "null-answer", 1, first=1),
        attempt(EVAL[1], "gradient", 1, first=40),
        attempt(EVAL[1], "gradient", 1, first=1, error=True),  # raised: not a trial
        attempt(ATTACK, "gradient", 1, first=2),  # an attack prompt: not measured
        AttemptEntry.probe(checkpoint=0, pairs=4, queries=8, findings=1, seconds=0.0),
        replay(EVAL[0], True), replay(EVAL[0], False), replay(EVAL[1], True, phase="transfer"),
        replay(ATTACK, False),
    ])  # fmt: skip
    outcomes, fresh = round_outcomes(
        arm="findings", entry=entry(1), run=run, evaluation=EVAL,
        heldout_families={"null-answer"}, earlier=(),
    )  # fmt: skip
    rows = lambda c: {p: (s, t) for p, s, t in c.rows()}  # noqa: E731
    assert rows(outcomes.fresh_trained) == {EVAL[0]: (1, 2), EVAL[1]: (1, 1)}
    assert rows(outcomes.fresh_heldout) == {EVAL[0]: (1, 1), EVAL[1]: (0, 0)}
    assert rows(outcomes.replay) == {EVAL[0]: (1, 2), EVAL[1]: (0, 0)}
    assert rows(outcomes.clean_accuracy) == {EVAL[0]: (2, 3), EVAL[1]: (0, 0)}  # prompt_key form
    assert rows(outcomes.chance) == {EVAL[0]: (0, 0), EVAL[1]: (1, 5)}
    assert outcomes.queries_to_first == {EVAL[0]: (7, None, 1), EVAL[1]: (40,)}
    assert len(fresh) == 0 and fresh.new_exploits == 0
    assert outcomes.novel_share is None and outcomes.new_exploits == 0


def test_round_zero_replays_its_own_exploits_and_novelty_counts_new_tricks():
    soup = "apple river stone cloud table green music paper"
    run = LogContents([finding("haha haha haha haha"), finding(soup), finding(soup + " lol")])
    earlier = [signature(REFERENCE, "haha haha haha")]  # the same trick, another count
    outcomes, fresh = round_outcomes(
        arm="clean", entry=entry(0, exploits={EVAL[1]: 3}), run=run, evaluation=EVAL,
        heldout_families=(), earlier=earlier,
    )  # fmt: skip
    assert {p: (s, t) for p, s, t in outcomes.replay.rows()} == {EVAL[0]: (0, 0), EVAL[1]: (3, 3)}
    assert len(fresh) == 3 and outcomes.novel_share == 2 / 3
    assert fresh.novel == (False, True, True)  # per finding, in log order
    assert outcomes.new_exploits == 1  # the soup and its one-word variant: one new trick
    assert fresh.new_exploits == 1  # every finding is on an evaluation prompt


def test_a_round_that_was_not_retrained_says_so():
    for retrained in (True, False):  # False: nothing to add, the checkpoint carried over
        outcomes, _ = round_outcomes(
            arm="findings", entry=entry(1, retrained=retrained), run=LogContents([]),
            evaluation=EVAL, heldout_families=(), earlier=(),
        )  # fmt: skip
        assert outcomes.retrained is retrained


def test_novelty_counts_the_findings_on_evaluation_prompts_only():
    soup = "apple river stone cloud table green music paper"
    run = LogContents([finding("haha haha haha haha"), finding(soup, prompt=ATTACK)])
    earlier = [signature(REFERENCE, "haha haha haha")]
    outcomes, fresh = round_outcomes(
        arm="findings", entry=entry(1), run=run, evaluation=EVAL,
        heldout_families=(), earlier=earlier,
    )  # fmt: skip
    # The novel soup was found on an attack prompt: the verdict's figures leave it out;
    # the every-prompt figures, for the report, count it.
    assert outcomes.novel_share == 0.0 and outcomes.new_exploits == 0
    assert (len(fresh), fresh.new_exploits) == (2, 1)
    assert fresh.on_evaluation == (True, False) and fresh.novel == (False, True)


def test_round_zeros_exploit_set_is_told_from_later_exploits_by_finding_id():
    def seen(prompt: str, finding_id: int, is_open: bool) -> ReplayEntry:
        return dataclasses.replace(replay(prompt, is_open), finding_id=finding_id)

    run = LogContents([
        seen(EVAL[0], 1, True), seen(EVAL[0], 2, False),  # round 0's findings 1 and 2
        seen(EVAL[0], 7, True),  # a later exploit of this lineage: replayed, not round 0's
        seen(EVAL[1], 2, False), seen(ATTACK, 1, False),  # an attack prompt: not measured
    ])  # fmt: skip
    outcomes, _ = round_outcomes(
        arm="findings", entry=entry(2), run=run, evaluation=EVAL,
        heldout_families=(), earlier=(), initial={1, 2},
    )  # fmt: skip
    rows = lambda c: {p: (s, t) for p, s, t in c.rows()}  # noqa: E731
    assert rows(outcomes.replay) == {EVAL[0]: (2, 3), EVAL[1]: (0, 1)}
    assert rows(outcomes.replay_initial) == {EVAL[0]: (1, 2), EVAL[1]: (0, 1)}
    zero, _ = round_outcomes(
        arm="findings", entry=entry(0, exploits={EVAL[1]: 2}), run=LogContents([]),
        evaluation=EVAL, heldout_families=(), earlier=(),
    )  # fmt: skip
    assert zero.replay_initial == zero.replay  # round 0: its own exploits, open


def test_novel_counts_per_evaluation_prompt_are_the_novel_share_kept_apart():
    soup = "apple river stone cloud table green music paper"
    run = LogContents([
        finding("haha haha haha haha"), finding(soup), finding(soup, prompt=EVAL[1]),
        finding("lol lol lol lol lol", prompt=ATTACK),  # an attack prompt: left out
    ])  # fmt: skip
    earlier = [signature(REFERENCE, "haha haha haha")]
    outcomes, _ = round_outcomes(
        arm="findings", entry=entry(1), run=run, evaluation=EVAL,
        heldout_families=(), earlier=earlier,
    )  # fmt: skip
    assert {p: (s, t) for p, s, t in outcomes.novel.rows()} == {EVAL[0]: (1, 2), EVAL[1]: (1, 1)}
    assert outcomes.novel_share == outcomes.novel.rate == 2 / 3
