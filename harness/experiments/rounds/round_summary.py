"""One arm's round as the table, the report and the verdict read it, its replicates pooled.

``outcomes`` builds a ``RoundSummary`` per training replicate of an arm's round from what
the runs wrote; with ``--seeds K`` this module pools the K replicates of one (arm, round)
into the one record the round table, the report and the verdict read (``pooled``):

- each per-prompt metric (``Counts``) is the replicates' successes and trials summed per
  prompt (``Counts.pooled``): a prompt is still one cluster, now of every replicate's
  trials;
- the novel share is over the pooled findings (novel findings on evaluation prompts out
  of all of them), the new exploits are summed (each lineage's own new tricks), and the
  queries to first finding are concatenated per prompt, replicate by replicate;
- the record is ``retrained`` when any replicate retrained (a replicate in which findings
  had nothing to add carried every arm's checkpoint over alike);
- ``RoundOutcomes.replicates`` keeps the per-replicate records, for statistics that
  resample seeds before prompts.

Beside them the summary pools what was trained (extra pairs summed, the final losses
averaged) and the fresh findings of every prompt (the report's new exploits: the novel
findings of every replicate clustered together).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from harness.core.exploits import SignatureGraph
from harness.core.signature import Signature, band_keys
from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.runlog import FindingEntry

__all__ = ["FreshFindings", "RoundSummary", "clusters", "pooled"]


@dataclass(frozen=True)
class FreshFindings:
    """The round's fresh findings on every prompt (attack and evaluation), in log order,
    each with its signature, whether it is on an evaluation prompt and whether it is
    novel against the arm's earlier ones; and the number of new exploits the novel ones
    form among themselves.

    Decided once, in ``outcomes``: the outcomes' novel share and new exploits (evaluation
    prompts: what the verdict reads) and the report's novel share interval and table of
    new exploits (every prompt) are all read from these flags.
    """

    entries: tuple[FindingEntry, ...] = ()
    signatures: tuple[Signature, ...] = ()
    on_evaluation: tuple[bool, ...] = ()
    novel: tuple[bool, ...] = ()
    new_exploits: int = 0  # clusters of the novel findings, every prompt

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class RoundSummary:
    """One arm's round as the table and the report show it: the outcomes and beside them
    what was trained (``augmented`` extra pairs, the final ``loss``; None when not
    retrained), whether the round's checkpoint is a new one (``retrained``), and the
    round's fresh findings on every prompt, attack prompts included, with their novelty
    (``fresh``; the outcomes' novel share and new exploits, which the verdict reads, are
    those of evaluation prompts). ``seeds``: the training replicates it holds (pooled
    when more than one; empty for round 0, which is shared)."""

    outcomes: RoundOutcomes
    augmented: int | None
    loss: float | None
    retrained: bool
    fresh: FreshFindings = FreshFindings()
    seeds: tuple[int, ...] = ()

    @property
    def arm(self) -> str:
        return self.outcomes.arm

    @property
    def round(self) -> int:
        return self.outcomes.round

    @property
    def fresh_findings(self) -> int:
        return len(self.fresh)

    @property
    def new_exploits_every_prompt(self) -> int:
        return self.fresh.new_exploits


def clusters(novel: Sequence[Signature]) -> int:
    """How many exploits the novel signatures form among themselves."""
    distinct = {s.digest: s for s in novel}
    order = [distinct[d] for d in sorted(distinct)]
    graph = SignatureGraph()
    for sig, row in zip(order, band_keys([s.shingles for s in order]), strict=True):
        graph.add(sig.digest, "finding", sig.shingles, row)
    return len(graph.components())


def pooled(parts: Sequence[RoundSummary], *, keep_replicates: bool) -> RoundSummary:
    """The replicates ``parts`` of one arm's round as one summary (module doc).

    ``keep_replicates``: record the parts in ``RoundOutcomes.replicates`` (False for a
    single-seed experiment, whose one record is returned as it is).
    """
    if not parts:
        raise ValueError("pooled: no replicates")
    if len(parts) == 1 and not keep_replicates:
        return parts[0]
    records = [p.outcomes for p in parts]
    novel = Counts.pooled([o.novel for o in records])
    queries: dict[str, tuple[int | None, ...]] = {}
    for o in records:
        for prompt, attempts in o.queries_to_first.items():
            queries[prompt] = queries.get(prompt, ()) + tuple(attempts)
    first = records[0]
    outcomes = RoundOutcomes(
        arm=first.arm,
        round=first.round,
        fresh_trained=Counts.pooled([o.fresh_trained for o in records]),
        fresh_heldout=Counts.pooled([o.fresh_heldout for o in records]),
        replay=Counts.pooled([o.replay for o in records]),
        clean_accuracy=Counts.pooled([o.clean_accuracy for o in records]),
        chance=Counts.pooled([o.chance for o in records]),
        novel_share=novel.total_successes / novel.total_trials if novel.total_trials else None,
        new_exploits=sum(o.new_exploits for o in records),
        queries_to_first=queries,
        retrained=any(o.retrained for o in records),
        replay_initial=Counts.pooled([o.replay_initial for o in records]),
        novel=novel,
        replicates=tuple(records) if keep_replicates else (),
    )
    augmented = [p.augmented for p in parts if p.augmented is not None]
    losses = [p.loss for p in parts if p.loss is not None]
    fresh = _fresh(parts)
    return RoundSummary(
        outcomes,
        sum(augmented) if augmented else None,
        statistics.fmean(losses) if losses else None,
        outcomes.retrained,
        fresh,
        tuple(s for p in parts for s in p.seeds),
    )


def _fresh(parts: Sequence[RoundSummary]) -> FreshFindings:
    """Every replicate's fresh findings, in replicate order; their novel ones clustered
    together (one trick found by two lineages is one exploit in the report)."""
    fresh = [p.fresh for p in parts]
    signatures = tuple(s for f in fresh for s in f.signatures)
    novel = tuple(n for f in fresh for n in f.novel)
    return FreshFindings(
        entries=tuple(e for f in fresh for e in f.entries),
        signatures=signatures,
        on_evaluation=tuple(e for f in fresh for e in f.on_evaluation),
        novel=novel,
        new_exploits=clusters([s for s, n in zip(signatures, novel, strict=True) if n]),
    )
