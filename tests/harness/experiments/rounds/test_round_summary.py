"""Training replicates pooled into one round record: counts summed per prompt, the novel
share over every replicate's findings, new exploits summed, the parts kept."""

from __future__ import annotations

import pytest

from harness.core.signature import signature
from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.round_summary import FreshFindings, RoundSummary, pooled

PROMPTS = ("p1", "p2")
REFERENCE = "A plain answer."


def counts(a: tuple[int, int], b: tuple[int, int]) -> Counts:
    return Counts.of({"p1": a, "p2": b})


def replicate(
    k: int, fresh: tuple[int, int], novel: tuple[int, int], retrained: bool, texts: tuple[str, ...]
) -> RoundSummary:
    outcomes = RoundOutcomes(
        arm="findings",
        round=2,
        fresh_trained=counts(fresh, (0, 4)),
        fresh_heldout=counts((0, 2), (1, 2)),
        replay=counts((1, 3), (0, 0)),
        clean_accuracy=counts((3, 4), (4, 4)),
        chance=counts((0, 5), (0, 5)),
        novel_share=novel[0] / novel[1],
        new_exploits=novel[0],
        queries_to_first={"p1": (3 + k, None), "p2": (None,)},
        retrained=retrained,
        replay_initial=counts((1, 2), (0, 0)),
        novel=counts(novel, (0, 0)),
    )
    sigs = tuple(signature(REFERENCE, t) for t in texts)
    fresh_findings = FreshFindings(
        entries=(), signatures=sigs, on_evaluation=(True,) * len(sigs), novel=(True,) * len(sigs)
    )
    return RoundSummary(outcomes, 10 + k, 0.5 + k, retrained, fresh_findings, (k,))


def test_replicates_pool_per_prompt_and_keep_their_records():
    soup = "apple river stone cloud table green music paper"
    parts = [
        replicate(0, (2, 4), (1, 2), True, (soup,)),
        replicate(1, (1, 4), (2, 3), False, (soup + " lol", "haha haha haha haha")),
    ]
    summary = pooled(parts, keep_replicates=True)
    o = summary.outcomes
    rows = lambda c: {p: (s, t) for p, s, t in c.rows()}  # noqa: E731
    assert rows(o.fresh_trained) == {"p1": (3, 8), "p2": (0, 8)}
    assert rows(o.replay_initial) == {"p1": (2, 4), "p2": (0, 0)}
    assert rows(o.clean_accuracy) == {"p1": (6, 8), "p2": (8, 8)}
    assert o.novel_share == pytest.approx(3 / 5)  # over the pooled findings, not a mean
    assert o.new_exploits == 3  # each lineage's own new exploits, summed
    assert o.queries_to_first == {"p1": (3, None, 4, None), "p2": (None, None)}
    assert o.retrained and summary.retrained  # one replicate retrained
    assert o.replicates == (parts[0].outcomes, parts[1].outcomes)
    assert o.seeds() == o.replicates
    assert (summary.augmented, summary.loss, summary.seeds) == (21, 1.0, (0, 1))
    # the report's new exploits: the soup found by both lineages is one trick
    assert len(summary.fresh.signatures) == 3 and summary.new_exploits_every_prompt == 2


def test_a_single_seed_is_its_own_record():
    part = replicate(0, (2, 4), (1, 2), True, ())
    assert pooled([part], keep_replicates=False) is part
    kept = pooled([part], keep_replicates=True)  # several seeds, one measured so far
    assert kept.outcomes.replicates == (part.outcomes,)
    assert kept.outcomes.fresh_trained == part.outcomes.fresh_trained
    with pytest.raises(ValueError, match="no replicates"):
        pooled([], keep_replicates=True)
