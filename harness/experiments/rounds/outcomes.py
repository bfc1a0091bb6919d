"""What one arm measured in one round, per evaluation prompt, from what the runs wrote.

``rules.decide`` reads ``RoundOutcomes``; this module builds them from the experiment
folder alone (the experiment log, each round's run log, each round's augmentation file),
so the verdict and the report can be rebuilt at any time, as a run's report can:

- **fresh ASR** (trained and held-out families): the round's run's ``attempt`` entries on
  evaluation prompts (the instability probe and attempts that raised are left out): a
  trial per attempt, a success when it kept at least one finding.
- **replay ASR**: the run's ``replay`` entries of phase ``before`` on evaluation prompts
  (one representative per earlier exploit and prompt, the runner's replay stage): a trial
  per replayed representative, a success when it is still open. Round 0 has no earlier
  exploits: its record is its own exploits per evaluation prompt, open by construction
  (the ``exploits`` field of its ``round`` entry, counted in the store after round 0).
- **clean accuracy** and **chance rate**: per evaluation prompt, measured by the
  experiment after the run on the round's checkpoint and logged in its ``round`` entry
  (the run log holds only their totals over all its pairs).
- **novel share** and **new exploits**: this round's fresh findings on evaluation
  prompts (the verdict is computed on evaluation prompts) against the arm's earlier
  ones, i.e. every finding of the arm's earlier runs (every prompt, round 0's included:
  a trick is a trick on any prompt) and every extra training pair it was given up to
  this round (``augment.jsonl``: the found exploits, or the synthetic negatives). A
  finding is novel when no earlier signature is within the clustering threshold
  (``harness.core.exploits.novelty``); the new exploits are the clusters the novel
  findings form among themselves.
- **queries to first finding**: per evaluation prompt, per attempt (every family), the
  attempt's queries to its first finding, None when it found none.
- **retrained**: the ``round`` entry's ``retrained`` (False for round 0 and for a
  "nothing to add" round, whose checkpoint carried over); the verdict counts only the
  rounds both the arm and ``clean`` retrained.

Prompts are matched in ``split.prompt_key`` form, so every evaluation prompt appears in
every metric (with zero trials where nothing ran), which keeps the per-prompt records of
all rounds and arms on one set of prompts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.core.data import read_pairs
from harness.core.exploits import ExploitIndex, SignatureGraph, novelty
from harness.core.signature import Signature, band_keys, signature
from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    ExperimentState,
    RoundEntry,
    per_prompt,
)
from harness.experiments.rounds.split import prompt_key
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import FindingEntry, LogContents, ReplayEntry, read_log

__all__ = ["FreshFindings", "RoundSummary", "experiment_summaries", "round_outcomes"]


@dataclass(frozen=True)
class FreshFindings:
    """The round's fresh findings on every prompt (attack and evaluation), in log order,
    each with its signature, whether it is on an evaluation prompt and whether it is
    novel against the arm's earlier ones; and the number of new exploits the novel ones
    form among themselves.

    Decided once, here: the outcomes' novel share and new exploits (evaluation prompts:
    what the verdict reads) and the report's novel share interval and table of new
    exploits (every prompt) are all read from these flags.
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
    those of evaluation prompts)."""

    outcomes: RoundOutcomes
    augmented: int | None
    loss: float | None
    retrained: bool
    fresh: FreshFindings = FreshFindings()

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


class _Prompts:
    """The evaluation prompts, looked up in ``prompt_key`` form."""

    def __init__(self, evaluation: Iterable[str]) -> None:
        self.canonical = {prompt_key(p): p for p in evaluation}

    def of(self, prompt: str | None) -> str | None:
        return None if prompt is None else self.canonical.get(prompt_key(prompt))

    def counts(self, tally: Mapping[str, tuple[int, int]]) -> Counts:
        return Counts.of({p: tally.get(p, (0, 0)) for p in self.canonical.values()})


def _add(tally: dict[str, tuple[int, int]], prompt: str, success: bool) -> None:
    s, t = tally.get(prompt, (0, 0))
    tally[prompt] = (s + int(success), t + 1)


def round_outcomes(
    *,
    arm: str,
    entry: RoundEntry,
    run: LogContents,
    evaluation: Iterable[str],
    heldout_families: Collection[str],
    earlier: Sequence[Signature],
) -> tuple[RoundOutcomes, FreshFindings]:
    """The round's ``RoundOutcomes`` for ``arm``, and its fresh findings on every prompt
    (attack and evaluation) with their novelty.

    ``earlier``: the signatures the novel share is measured against (module doc).
    """
    prompts = _Prompts(evaluation)
    heldout = set(heldout_families)
    fresh_trained: dict[str, tuple[int, int]] = {}
    fresh_heldout: dict[str, tuple[int, int]] = {}
    queries: dict[str, list[int | None]] = defaultdict(list)
    for attempt in run.attack_attempts():
        prompt = prompts.of(attempt.prompt)
        if prompt is None or attempt.error:
            continue
        found = attempt.findings > 0
        _add(fresh_heldout if attempt.family in heldout else fresh_trained, prompt, found)
        queries[prompt].append(attempt.first_finding_queries if found else None)

    replay: dict[str, tuple[int, int]] = {}
    if entry.round == 0:
        for prompt, n in entry.exploits.items():
            canonical = prompts.of(prompt)
            if canonical is not None:
                replay[canonical] = (int(n), int(n))
    else:
        for seen in run.of_type(ReplayEntry):
            prompt = prompts.of(seen.prompt)
            if seen.phase == "before" and prompt is not None:
                _add(replay, prompt, seen.open)

    fresh = _fresh_findings(run.of_type(FindingEntry), prompts, earlier)
    on_evaluation = [
        (sig, novel)
        for sig, novel, kept in zip(fresh.signatures, fresh.novel, fresh.on_evaluation, strict=True)
        if kept
    ]
    share = sum(n for _, n in on_evaluation) / len(on_evaluation) if on_evaluation else None
    outcomes = RoundOutcomes(
        arm=arm,
        round=entry.round,
        fresh_trained=prompts.counts(fresh_trained),
        fresh_heldout=prompts.counts(fresh_heldout),
        replay=prompts.counts(replay),
        clean_accuracy=prompts.counts(_canonical(prompts, per_prompt(entry.clean))),
        chance=prompts.counts(_canonical(prompts, per_prompt(entry.chance))),
        novel_share=share,
        new_exploits=_clusters([sig for sig, novel in on_evaluation if novel]),
        queries_to_first={p: tuple(queries.get(p, ())) for p in prompts.canonical.values()},
        retrained=entry.retrained,
    )
    return outcomes, fresh


def _canonical(
    prompts: _Prompts, tally: Mapping[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for prompt, (s, t) in tally.items():
        canonical = prompts.of(prompt)
        if canonical is not None:
            before = out.get(canonical, (0, 0))
            out[canonical] = (before[0] + s, before[1] + t)
    return out


def _fresh_findings(
    found: Sequence[FindingEntry], prompts: _Prompts, earlier: Sequence[Signature]
) -> FreshFindings:
    """Each finding's signature and novelty against ``earlier`` (clustered once, asked
    per distinct signature), and the clusters the novel ones form."""
    signatures = tuple(signature(f.reference, f.text) for f in found)
    library = ExploitIndex.of_signatures(earlier)
    novel_by_digest: dict[str, bool] = {}
    for sig in signatures:
        if sig.digest not in novel_by_digest:
            novel_by_digest[sig.digest] = bool(novelty([sig], library).novel)
    novel = tuple(novel_by_digest[sig.digest] for sig in signatures)
    return FreshFindings(
        entries=tuple(found),
        signatures=signatures,
        on_evaluation=tuple(prompts.of(f.prompt) is not None for f in found),
        novel=novel,
        new_exploits=_clusters([s for s, n in zip(signatures, novel, strict=True) if n]),
    )


def _clusters(novel: Sequence[Signature]) -> int:
    """How many exploits the novel signatures form among themselves."""
    distinct = {s.digest: s for s in novel}
    order = [distinct[d] for d in sorted(distinct)]
    graph = SignatureGraph()
    for sig, row in zip(order, band_keys([s.shingles for s in order]), strict=True):
        graph.add(sig.digest, "finding", sig.shingles, row)
    return len(graph.components())


# ------------------------------------------------------------------ the whole experiment
def _run_log(folder: Path, entry: RoundEntry) -> LogContents:
    return read_log(folder / entry.run / RUN_LOG_NAME, strict=True)


def _pair_signatures(path: Path) -> list[Signature]:
    return [signature(p.chosen, p.rejected) for p in read_pairs(path)]


def experiment_summaries(folder: str | Path) -> list[RoundSummary]:
    """Every measured (arm, round) of the experiment in ``folder``, arm by arm, round 0 first.

    Round 0 is measured once and listed under each arm (``RoundOutcomes.arm`` set to it).
    """
    folder = Path(folder)
    state = ExperimentState.from_entries(
        read_log(folder / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    )
    if state.init is None or state.split is None:
        return []
    init, split = state.init, state.split
    zero = state.rounds.get((None, 0))
    if zero is None:
        return []
    zero_log = _run_log(folder, zero)
    summaries: list[RoundSummary] = []
    for arm in init.arms:
        outcomes, fresh = round_outcomes(
            arm=arm,
            entry=zero,
            run=zero_log,
            evaluation=split.evaluation,
            heldout_families=init.heldout_families,
            earlier=(),
        )
        summaries.append(RoundSummary(outcomes, None, None, False, fresh))
        earlier = list(fresh.signatures)  # round 0's findings, every prompt
        for r in range(1, init.rounds + 1):
            entry = state.rounds.get((arm, r))
            if entry is None:
                break
            augment = state.augments.get((arm, r))
            if augment is not None and augment.file:
                earlier += _pair_signatures(folder / augment.file)
            run = _run_log(folder, entry)
            outcomes, fresh = round_outcomes(
                arm=arm,
                entry=entry,
                run=run,
                evaluation=split.evaluation,
                heldout_families=init.heldout_families,
                earlier=earlier,
            )
            train = state.trains.get((arm, r))
            summaries.append(
                RoundSummary(
                    outcomes,
                    augment.pairs if augment is not None else None,
                    train.final_loss if train is not None else None,
                    entry.retrained,
                    fresh,
                )
            )
            earlier += fresh.signatures
    return summaries
