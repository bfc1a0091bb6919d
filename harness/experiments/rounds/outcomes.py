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
- **replay of round 0's exploits** (``replay_initial``): those of the replay entries
  whose representative is one of round 0's findings. A replay entry names its finding by
  its store id (``finding_id``); every lineage's store starts as a copy of round 0's,
  which keeps its ids, and a later finding gets a new one, so round 0's findings are
  exactly the finding ids of round 0's run log. Every arm and replicate replays this one
  set (its later exploits are in ``replay``, reported, not ruled on). A round-0 exploit
  whose representative on a prompt became a later spelling (a later finding of the same
  trick with a higher margin) drops out of the set there. Round 0: its own exploits, as
  ``replay``.
- **clean accuracy** and **chance rate**: per evaluation prompt, measured by the
  experiment after the run on the round's checkpoint and logged in its ``round`` entry
  (the run log holds only their totals over all its pairs).
- **novel share** and **new exploits**: this round's fresh findings on evaluation
  prompts (the verdict is computed on evaluation prompts) against the lineage's earlier
  ones, i.e. every finding of its earlier runs (every prompt, round 0's included: a
  trick is a trick on any prompt) and every extra training pair it was given up to this
  round (``augment.jsonl``: the found exploits, or the synthetic negatives). A finding is
  novel when no earlier signature is within the clustering threshold
  (``harness.core.exploits.novelty``); the new exploits are the clusters the novel
  findings form among themselves. ``novel`` counts them per evaluation prompt: novel
  findings out of the round's fresh findings there.
- **queries to first finding**: per evaluation prompt, per attempt (every family), the
  attempt's queries to its first finding, None when it found none.
- **retrained**: the ``round`` entry's ``retrained`` (False for round 0 and for a
  "nothing to add" round, whose checkpoint carried over); the verdict counts only the
  rounds both the arm and ``clean`` retrained.

Prompts are matched in ``split.prompt_key`` form, so every evaluation prompt appears in
every metric (with zero trials where nothing ran), which keeps the per-prompt records of
all rounds and arms on one set of prompts.

**Replicates.** Each training replicate of an arm is its own lineage
(``<arm>/seed-<k>/``): its records are built along it, then the replicates of each
(arm, round) are pooled into one record (``round_summary.pooled``). A log without
replicates (experiment log 2.x) is replicate 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from harness.core.data import read_pairs
from harness.core.exploits import ExploitIndex, novelty
from harness.core.signature import Signature, signature
from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    InitEntry,
    RoundEntry,
    SplitEntry,
    per_prompt,
)
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState, Step
from harness.experiments.rounds.round_summary import (
    FreshFindings,
    RoundSummary,
    clusters,
    pooled,
)
from harness.experiments.rounds.split import prompt_key
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import FindingEntry, LogContents, ReplayEntry, read_log

__all__ = ["FreshFindings", "RoundSummary", "experiment_summaries", "round_outcomes"]


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
    initial: Collection[int] = (),
) -> tuple[RoundOutcomes, FreshFindings]:
    """The round's ``RoundOutcomes`` for ``arm``, and its fresh findings on every prompt
    (attack and evaluation) with their novelty.

    ``earlier``: the signatures the novel share is measured against; ``initial``: round
    0's finding ids, whose replays are ``replay_initial`` (module doc).
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
    replay_initial: dict[str, tuple[int, int]] = {}
    if entry.round == 0:
        for prompt, n in entry.exploits.items():
            canonical = prompts.of(prompt)
            if canonical is not None:
                replay[canonical] = (int(n), int(n))
        replay_initial = replay
    else:
        first = set(initial)
        for seen in run.of_type(ReplayEntry):
            prompt = prompts.of(seen.prompt)
            if seen.phase == "before" and prompt is not None:
                _add(replay, prompt, seen.open)
                if seen.finding_id in first:
                    _add(replay_initial, prompt, seen.open)

    fresh = _fresh_findings(run.of_type(FindingEntry), prompts, earlier)
    on_evaluation = [
        (sig, novel)
        for sig, novel, kept in zip(fresh.signatures, fresh.novel, fresh.on_evaluation, strict=True)
        if kept
    ]
    share = sum(n for _, n in on_evaluation) / len(on_evaluation) if on_evaluation else None
    novel: dict[str, tuple[int, int]] = {}
    for found, is_novel, kept in zip(fresh.entries, fresh.novel, fresh.on_evaluation, strict=True):
        prompt = prompts.of(found.prompt)
        if kept and prompt is not None:
            _add(novel, prompt, is_novel)
    outcomes = RoundOutcomes(
        arm=arm,
        round=entry.round,
        fresh_trained=prompts.counts(fresh_trained),
        fresh_heldout=prompts.counts(fresh_heldout),
        replay=prompts.counts(replay),
        clean_accuracy=prompts.counts(_canonical(prompts, per_prompt(entry.clean))),
        chance=prompts.counts(_canonical(prompts, per_prompt(entry.chance))),
        novel_share=share,
        new_exploits=clusters([sig for sig, is_novel in on_evaluation if is_novel]),
        queries_to_first={p: tuple(queries.get(p, ())) for p in prompts.canonical.values()},
        retrained=entry.retrained,
        replay_initial=prompts.counts(replay_initial),
        novel=prompts.counts(novel),
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
        new_exploits=clusters([s for s, n in zip(signatures, novel, strict=True) if n]),
    )


# ------------------------------------------------------------------ the whole experiment
def _run_log(folder: Path, entry: RoundEntry) -> LogContents:
    return read_log(folder / entry.run / RUN_LOG_NAME, strict=True)


def _pair_signatures(path: Path) -> list[Signature]:
    return [signature(p.chosen, p.rejected) for p in read_pairs(path)]


def experiment_summaries(folder: str | Path) -> list[RoundSummary]:
    """Every measured (arm, round) of the experiment in ``folder``, arm by arm, round 0
    first, each round's training replicates pooled (``round_summary.pooled``).

    Round 0 is measured once and listed under each arm (``RoundOutcomes.arm`` set to it).
    An arm's round r is listed while at least one replicate measured it.
    """
    folder = Path(folder)
    state = ExperimentState.from_entries(
        read_log(folder / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    )
    if state.init is None or state.split is None:
        return []
    init, split = state.init, state.split
    zero = state.rounds.get(ZERO)
    if zero is None:
        return []
    zero_log = _run_log(folder, zero)
    zero_outcomes, zero_fresh = round_outcomes(
        arm=init.arms[0] if init.arms else "",
        entry=zero,
        run=zero_log,
        evaluation=split.evaluation,
        heldout_families=init.heldout_families,
        earlier=(),
    )
    initial = {f.finding_id for f in zero_log.of_type(FindingEntry) if f.kind == "finding"}
    several = int(init.config.get("seeds", 1)) > 1
    summaries: list[RoundSummary] = []
    for arm in init.arms:
        summaries.append(
            RoundSummary(replace(zero_outcomes, arm=arm), None, None, False, zero_fresh)
        )
        lineages = [
            _lineage(folder, state, arm, k, zero_fresh, initial) for k in state.replicates(arm)
        ]
        for r in range(1, init.rounds + 1):
            parts = [rounds[r] for rounds in lineages if r in rounds]
            if not parts:
                break
            summaries.append(pooled(parts, keep_replicates=several))
    return summaries


def _lineage(
    folder: Path,
    state: ExperimentState,
    arm: str,
    replicate: int,
    zero: FreshFindings,
    initial: Collection[int],
) -> dict[int, RoundSummary]:
    """One replicate's rounds r >= 1, by round, each measured against its own past."""
    init, split = state.init, state.split
    assert isinstance(init, InitEntry) and isinstance(split, SplitEntry)
    earlier = list(zero.signatures)  # round 0's findings, every prompt
    rounds: dict[int, RoundSummary] = {}
    for r in range(1, init.rounds + 1):
        step = Step(arm, r, replicate)
        entry = state.rounds.get(step)
        if entry is None:
            break
        augment = state.augments.get(step)
        if augment is not None and augment.file:
            earlier += _pair_signatures(folder / augment.file)
        outcomes, fresh = round_outcomes(
            arm=arm,
            entry=entry,
            run=_run_log(folder, entry),
            evaluation=split.evaluation,
            heldout_families=init.heldout_families,
            earlier=earlier,
            initial=initial,
        )
        train = state.trains.get(step)
        rounds[r] = RoundSummary(
            outcomes,
            augment.pairs if augment is not None else None,
            train.final_loss if train is not None else None,
            entry.retrained,
            fresh,
            (replicate,),
        )
        earlier += fresh.signatures
    return rounds
