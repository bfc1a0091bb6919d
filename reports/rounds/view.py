"""The experiment report's data: a typed view of a whack-a-mole experiment folder.

Built from the folder alone (``experiment.jsonl``, each round's run log, each round's
``augment.jsonl``), as the run report is built from its run log, so a report can be
rebuilt at any time and a killed experiment reports what it has. The numbers come from
the experiments layer, never recomputed another way: ``outcomes.experiment_summaries``
(what the verdict read), ``bootstrap`` and ``attacker_cost`` for the intervals (the
experiment's seed, as ``round_table.round_table`` and the verdict use, so a curve's point
and its table cell are one number) and the ``verdict`` entry as logged.

From each round's fresh findings and their novelty flags, as ``outcomes`` decided them
(``RoundSummary.fresh``), the view adds the novel share per evaluation prompt, so it gets
a prompt-bootstrap interval like every other rate, and the new exploits themselves (the
clusters the novel findings of every prompt form, attack prompts included), with their
representatives' text. A test checks that their number is
``RoundSummary.new_exploits_every_prompt``.

Values are raw (attacker text unescaped, NaN-free: None where nothing was measured);
each renderer formats and escapes for its own medium.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError
from harness.core.exploits import Exploit, Member, cluster
from harness.experiments.rounds.attacker_cost import queries_to_first
from harness.experiments.rounds.bootstrap import rate_interval
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    AugmentEntry,
    ErrorEntry,
    InitEntry,
    NothingToAddEntry,
    RoundEntry,
    SplitEntry,
    TrainEntry,
    VerdictEntry,
)
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState, Step
from harness.experiments.rounds.outcomes import (
    FreshFindings,
    RoundSummary,
    experiment_summaries,
)
from harness.runlog import read_log

__all__ = [
    "METRICS",
    "ExperimentView",
    "Metric",
    "NewExploit",
    "Point",
    "ReplicateView",
    "RoundView",
    "experiment_view",
    "is_experiment",
]

ZERO_ARM = "all"
"""Round 0 is one checkpoint measured once; where it is listed once, this is its arm."""


@dataclass(frozen=True)
class Metric:
    """One curve of the report: a key of ``RoundView.points``, its title, axis and meaning."""

    key: str
    label: str
    axis: str
    meaning: str
    rate: bool = True  # a share in [0, 1] (else a count: queries)


METRICS: tuple[Metric, ...] = (
    Metric(
        "fresh_trained",
        "fresh ASR, trained families",
        "ASR",
        "attempts of the trained families with a finding, on evaluation prompts",
    ),
    Metric(
        "fresh_heldout",
        "fresh ASR, held-out families",
        "ASR",
        "attempts of the held-out families with a finding, on evaluation prompts",
    ),
    Metric(
        "replay",
        "replay ASR",
        "share still open",
        "earlier exploits' representatives still open, on evaluation prompts "
        "(round 0: its own exploits, open by construction)",
    ),
    Metric("clean_accuracy", "clean accuracy", "accuracy", "evaluation pairs ranked right"),
    Metric(
        "chance",
        "chance rate",
        "share",
        "random soups that outscore the reference, on evaluation prompts",
    ),
    Metric(
        "novel_share",
        "novel share",
        "share",
        "the round's findings on evaluation prompts with no earlier exploit (every "
        "prompt's) within the threshold",
    ),
    Metric(
        "queries_to_first",
        "queries to first finding",
        "median queries",
        "median over the attempts on evaluation prompts that found something",
        rate=False,
    ),
)


@dataclass(frozen=True)
class Point:
    """An estimate and its 95% prompt-bootstrap interval; None where not measured."""

    estimate: float | None
    low: float | None
    high: float | None
    successes: int | None = None  # of a rate; for queries: attempts that found one
    trials: int | None = None  # of a rate; for queries: attempts
    prompts: int = 0


@dataclass(frozen=True)
class NewExploit:
    """An exploit first seen in this round (none of its findings near an earlier one)."""

    arm: str  # ZERO_ARM for round 0
    round: int
    exploit: Exploit  # id, representative, text, size, families, prompts, best margin


@dataclass(frozen=True)
class ReplicateView:
    """One training replicate's part of an arm's round: its run and what it trained."""

    replicate: int
    entry: RoundEntry
    augment: AugmentEntry | None
    train: TrainEntry | None
    nothing: NothingToAddEntry | None


@dataclass(frozen=True)
class RoundView:
    """One arm's round: what was measured (``points`` by ``Metric.key``, the training
    replicates pooled) and, per replicate, what ran and trained (``replicates``; round 0
    has one, shared by every arm). ``entry``, ``augment``, ``train`` and ``nothing`` are
    the first replicate's."""

    summary: RoundSummary
    points: dict[str, Point]
    censored_share: float | None  # attempts that found nothing within their budget
    replicates: tuple[ReplicateView, ...]

    @property
    def arm(self) -> str:
        return self.summary.arm

    @property
    def round(self) -> int:
        return self.summary.round

    @property
    def entry(self) -> RoundEntry:
        return self.replicates[0].entry

    @property
    def augment(self) -> AugmentEntry | None:
        return self.replicates[0].augment

    @property
    def train(self) -> TrainEntry | None:
        return self.replicates[0].train

    @property
    def nothing(self) -> NothingToAddEntry | None:
        return self.replicates[0].nothing


@dataclass(frozen=True)
class ExperimentView:
    """What the experiment folder holds, for every format of its report."""

    folder: Path
    init: InitEntry
    split: SplitEntry | None
    rounds: tuple[RoundView, ...]  # arm by arm, round 0 first (listed under every arm)
    new_exploits: tuple[NewExploit, ...]  # round 0 once (arm ZERO_ARM), then arm by arm
    errors: tuple[ErrorEntry, ...]
    verdict: VerdictEntry | None
    truncated: bool  # the log ends in a cut line (killed mid-write)

    @property
    def complete(self) -> bool:
        """The experiment finished: its last line, the verdict, is there."""
        return self.verdict is not None

    @property
    def arms(self) -> tuple[str, ...]:
        return self.init.arms

    @property
    def seeds(self) -> int:
        """Training replicates per arm (1 for a log without them)."""
        return int(self.init.config.get("seeds", 1))

    def of_arm(self, arm: str) -> list[RoundView]:
        return [r for r in self.rounds if r.arm == arm]

    def series(self, key: str) -> dict[str, list[tuple[int, Point]]]:
        """Per arm, ``(round, point)`` of one metric: what one figure draws."""
        return {arm: [(r.round, r.points[key]) for r in self.of_arm(arm)] for arm in self.arms}

    def missing(self) -> list[str]:
        """The steps an incomplete experiment has not measured yet (stopped replicates
        aside), each replicate named when there are several."""
        done = {(r.arm, r.round, p.replicate) for r in self.rounds if r.round for p in r.replicates}
        stopped = {(e.arm, e.replicate): e.round for e in self.errors}
        if not self.rounds:
            return ["round 0"]
        return [
            f"{arm} round {r}" + (f" seed {k}" if self.seeds > 1 else "")
            for arm in self.arms
            for r in range(1, self.init.rounds + 1)
            for k in range(self.seeds)
            if (arm, r, k) not in done and r < stopped.get((arm, k), r + 1)
        ]


def is_experiment(folder: str | Path) -> bool:
    """A folder is an experiment's when it holds ``experiment.jsonl``."""
    return (Path(folder) / LOG_NAME).is_file()


def experiment_view(folder: str | Path) -> ExperimentView:
    """Everything the experiment report shows, read from ``folder`` (module doc)."""
    folder = Path(folder)
    if not is_experiment(folder):
        raise HarnessError(f"{folder} is not an experiment folder (no {LOG_NAME})")
    contents = read_log(folder / LOG_NAME, strict=True, format=EXPERIMENT_LOG)
    state = ExperimentState.from_entries(contents.entries)
    if state.init is None:
        raise HarnessError(
            f"{folder / LOG_NAME} has no init entry (killed before it started): nothing to report"
        )
    summaries = experiment_summaries(folder) if state.split is not None else []
    rounds, new = [], []
    for summary in summaries:
        share, exploits = _round_novelty(summary.fresh)
        if summary.round == 0 and summary.arm != summaries[0].arm:
            exploits = []  # round 0 is listed under every arm; its exploits once
        arm = ZERO_ARM if summary.round == 0 else summary.arm
        new += [NewExploit(arm, summary.round, e) for e in exploits]
        rounds.append(_round_view(summary, state, share))
    arms = state.init.arms
    errors = sorted(state.errors.items(), key=lambda item: (arms.index(item[0][0]), item[0][1]))
    return ExperimentView(
        folder=folder,
        init=state.init,
        split=state.split,
        rounds=tuple(rounds),
        new_exploits=tuple(new),
        errors=tuple(error for _, error in errors),
        verdict=state.verdict,
        truncated=contents.truncated,
    )


# ------------------------------------------------------------------ one round
def _rate(counts: Counts, seed: int) -> Point:
    """The pooled rate with the interval ``table.round_table`` prints (the experiment's
    seed, as the verdict's intervals)."""
    if not counts.total_trials:
        return Point(None, None, None, 0, 0, len(counts.prompts))
    e = rate_interval(counts, seed=seed)
    return Point(
        _finite(e.estimate),
        _finite(e.low),
        _finite(e.high),
        counts.total_successes,
        counts.total_trials,
        e.n_prompts,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _round_view(summary: RoundSummary, state: ExperimentState, novel: Counts) -> RoundView:
    o = summary.outcomes
    assert state.init is not None
    seed = state.init.seed
    q = queries_to_first(o.queries_to_first, seed=seed)
    steps = [ZERO] if o.round == 0 else [Step(o.arm, o.round, k) for k in summary.seeds]
    return RoundView(
        summary=summary,
        points={
            "fresh_trained": _rate(o.fresh_trained, seed),
            "fresh_heldout": _rate(o.fresh_heldout, seed),
            "replay": _rate(o.replay, seed),
            "clean_accuracy": _rate(o.clean_accuracy, seed),
            "chance": _rate(o.chance, seed),
            "novel_share": _rate(novel, seed),
            "queries_to_first": Point(
                _finite(q.median), _finite(q.low), _finite(q.high), q.found, q.attempts, q.n_prompts
            ),
        },
        censored_share=_finite(q.censored_share),
        replicates=tuple(
            ReplicateView(
                step.replicate,
                state.rounds[step],
                state.augments.get(step),
                state.trains.get(step),
                state.nothing.get(step),
            )
            for step in steps
        ),
    )


# ------------------------------------------------------------------ novelty, per finding
def _round_novelty(fresh: FreshFindings) -> tuple[Counts, list[Exploit]]:
    """Novel findings per evaluation prompt (pooled: the novel share) and the new
    exploits: the novel findings of every prompt clustered, largest first. The flags are
    the ones ``outcomes`` decided (no earlier signature within the clustering threshold)."""
    tally: dict[str, tuple[int, int]] = {}
    novel: list[Member] = []
    rows = zip(fresh.entries, fresh.signatures, fresh.on_evaluation, fresh.novel, strict=True)
    for finding, sig, on_evaluation, is_novel in rows:
        if on_evaluation:
            s, t = tally.get(finding.prompt, (0, 0))
            tally[finding.prompt] = (s + is_novel, t + 1)
        if is_novel:
            novel.append(
                Member.of(
                    finding.finding_id,
                    finding,
                    margin=finding.margin,
                    first_seen=finding.time,
                    last_seen=finding.time,
                    signature=sig,
                )
            )
    exploits = sorted(cluster(novel), key=lambda e: (-e.size, -e.best_margin, e.id))
    return Counts.of(dict(sorted(tally.items()))), exploits
