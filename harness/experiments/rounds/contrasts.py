"""What the whack-a-mole verdict compares: one arm's records per round, and the contrasts.

``RoundOutcomes`` is what one arm measured in one round, per evaluation prompt
(``outcomes`` builds it from the experiment folder). A ``Contrast`` is one quantity read
off those records, with its prompt-bootstrap interval (``bootstrap``):

- ``own_change``: an arm's change from round 0 to the final round R,
  ``rate(arm, R) - rate(arm, 0)``, paired prompt bootstrap;
- ``change_beyond``: that change minus another arm's over the same rounds, the difference
  of differences ``(arm R - arm 0) - (other R - other 0)``, prompts resampled jointly
  over the four.

Both ``rules.decide`` (the arm against the control) and ``rules.compare_arms`` (findings
against synthetic) build their contrasts here, so the rounds that count
(``retrained_rounds``, ``final_round``) are defined once for both, and one
``Resampling`` puts every contrast of a verdict on the same resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.experiments.rounds.bootstrap import Estimate, change, difference_in_differences
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.paired import PairedTest, paired_test, prompt_differences

__all__ = [
    "METRICS",
    "Contrast",
    "Metric",
    "Resampling",
    "RoundOutcomes",
    "by_arm",
    "change_beyond",
    "final_round",
    "own_change",
    "paired_beyond",
    "paired_change",
    "paired_novel_beyond",
    "retrained_rounds",
]


@dataclass(frozen=True)
class RoundOutcomes:
    """What one arm measured in one round, per evaluation prompt.

    - ``fresh_trained`` / ``fresh_heldout``: attempts of the trained / held-out families
      with at least one finding, out of the attempts that ran, per prompt.
    - ``replay``: earlier exploits' representatives still open, out of those replayed, by
      the prompt they belong to. Round 0 has no earlier exploits: give its own exploits on
      its own checkpoint, open by construction (successes == trials), the baseline that
      later rounds fall from.
    - ``clean_accuracy``: held-out pairs ranked right, out of the pairs, per prompt.
    - ``chance``: random soups that outscored the reference, out of those scored, per
      prompt (``attacks.chance``).
    - ``novel_share``: the share of this round's fresh findings whose nearest earlier
      exploit (augmentation data included) is beyond the clustering threshold; None when
      there were no fresh findings. ``new_exploits``: how many new exploits that made.
      ``novel``: the same per prompt, novel findings out of the round's fresh findings
      on the prompt (rules v2 compare it with the control's).
    - ``replay_initial``: round 0's exploits only, still open, out of those replayed, per
      prompt: the one exploit set every arm replays, which rules v2 read (``replay``
      holds every earlier exploit, the arm's own later ones included, and is reported).
      Round 0: its own exploits, open by construction, as ``replay``.
    - ``replicates``: with ``--seeds K``, the K training replicates of the arm and round
      (each a record like this one, without replicates); this record then pools them
      (per prompt, the replicates' successes and trials summed). Round 0 and a single
      seed have none.
    - ``queries_to_first``: per prompt, per attempt, the queries to its first finding,
      None for an attempt that found nothing (for ``attacker_cost.queries_to_first``).
    - ``retrained``: the round's checkpoint is a new one (False for a "nothing to add"
      round, whose checkpoint carried over). Only rounds both arms retrained count.

    Round 0 is the same checkpoint for every arm; if it was run once, pass it for each
    arm (``dataclasses.replace(r0, arm=name)``).
    """

    arm: str
    round: int
    fresh_trained: Counts
    fresh_heldout: Counts
    replay: Counts
    clean_accuracy: Counts
    chance: Counts
    novel_share: float | None = None
    new_exploits: int = 0
    queries_to_first: Mapping[str, tuple[int | None, ...]] = field(default_factory=dict)
    retrained: bool = True
    replay_initial: Counts = field(default_factory=Counts.empty)
    novel: Counts = field(default_factory=Counts.empty)
    replicates: tuple[RoundOutcomes, ...] = ()

    def seeds(self) -> tuple[RoundOutcomes, ...]:
        """The training replicates this record pools (itself when it has none)."""
        return self.replicates or (self,)


@dataclass(frozen=True)
class Contrast:
    """One quantity behind the verdict: what it is, its estimate, the thresholds it is
    decided against."""

    key: str
    label: str
    estimate: Estimate | PairedTest  # a bootstrap interval (reported) or a test (decided)
    thresholds: tuple[float, ...]

    def line(self) -> str:
        return f"{self.label}: {self.estimate}"


# ------------------------------------------------------------------ which rounds count
def by_arm(outcomes: Sequence[RoundOutcomes]) -> dict[str, dict[int, RoundOutcomes]]:
    """``{arm: {round: RoundOutcomes}}``; two records of one arm and round are an error."""
    arms: dict[str, dict[int, RoundOutcomes]] = {}
    for o in outcomes:
        rounds = arms.setdefault(o.arm, {})
        if o.round in rounds:
            raise ValueError(f"two records for arm {o.arm!r} round {o.round}")
        rounds[o.round] = o
    return arms


def retrained_rounds(
    arm: Mapping[int, RoundOutcomes], control: Mapping[int, RoundOutcomes]
) -> list[int]:
    """The rounds r >= 1 in which both the arm and the control retrained, in order."""
    return sorted(
        r
        for r, o in arm.items()
        if r >= 1 and o.retrained and r in control and control[r].retrained
    )


def final_round(arm: Mapping[int, RoundOutcomes], control: Mapping[int, RoundOutcomes]) -> int:
    """The last round both the arm and the control retrained (0 if none)."""
    return max(retrained_rounds(arm, control), default=0)


# ------------------------------------------------------------------ the contrasts
Metric = Callable[[RoundOutcomes], Counts]
METRICS: dict[str, Metric] = {
    "fresh_trained": lambda o: o.fresh_trained,
    "fresh_heldout": lambda o: o.fresh_heldout,
    "replay": lambda o: o.replay,
    "clean_accuracy": lambda o: o.clean_accuracy,
    "chance": lambda o: o.chance,
    "replay_initial": lambda o: o.replay_initial,
    "novel": lambda o: o.novel,
}
_NAMES = {
    "replay_initial": "replay of round 0's exploits",
    "novel": "novel share of fresh findings",
    "fresh_trained": "fresh ASR, trained families",
    "fresh_heldout": "fresh ASR, held-out families",
    "replay": "replay ASR",
    "clean_accuracy": "clean accuracy",
    "chance": "chance rate",
}


@dataclass(frozen=True)
class Resampling:
    """The bootstrap settings every contrast of one verdict shares (the same seed: the
    same resamples of the same prompts)."""

    confidence: float
    resamples: int
    seed: int


def own_change(
    metric: str,
    arm: Mapping[int, RoundOutcomes],
    final: int,
    thresholds: tuple[float, ...],
    resampling: Resampling,
) -> Contrast:
    """The arm's change of ``metric`` from round 0 to ``final``."""
    get = METRICS[metric]
    return Contrast(
        f"{metric}_change",
        f"{_NAMES[metric]}: change {arm[0].arm} r{final} - r0",
        change(
            get(arm[final]),
            get(arm[0]),
            confidence=resampling.confidence,
            resamples=resampling.resamples,
            seed=resampling.seed,
        ),
        thresholds,
    )


def change_beyond(
    metric: str,
    arm: Mapping[int, RoundOutcomes],
    control: Mapping[int, RoundOutcomes],
    final: int,
    thresholds: tuple[float, ...],
    resampling: Resampling,
) -> Contrast:
    """The arm's change of ``metric`` minus the control's, rounds 0 to ``final``."""
    get = METRICS[metric]
    an, cn = arm[0].arm, control[0].arm
    return Contrast(
        f"{metric}_vs_{cn}",
        f"{_NAMES[metric]}: ({an} r{final} - r0) - ({cn} r{final} - r0)",
        difference_in_differences(
            get(arm[final]),
            get(arm[0]),
            get(control[final]),
            get(control[0]),
            confidence=resampling.confidence,
            resamples=resampling.resamples,
            seed=resampling.seed,
        ),
        thresholds,
    )


# ------------------------------------------------------------------ rules v2's contrasts
def _seeds(record: RoundOutcomes, metric: str) -> list[Counts]:
    return [METRICS[metric](r) for r in record.seeds()]


def paired_change(
    metric: str,
    arm: Mapping[int, RoundOutcomes],
    final: int,
    thresholds: tuple[float, ...],
    confidence: float,
) -> Contrast:
    """The arm's change of ``metric`` from round 0 to ``final``: per-prompt differences,
    replicates averaged, tested by ``paired``."""
    _, values = prompt_differences(
        [(1.0, _seeds(arm[final], metric)), (-1.0, [METRICS[metric](arm[0])])]
    )
    return Contrast(
        f"{metric}_change",
        f"{_NAMES[metric]}: change {arm[0].arm} r{final} - r0",
        paired_test(values, confidence=confidence),
        thresholds,
    )


def paired_beyond(
    metric: str,
    arm: Mapping[int, RoundOutcomes],
    control: Mapping[int, RoundOutcomes],
    final: int,
    thresholds: tuple[float, ...],
    confidence: float,
) -> Contrast:
    """The arm's change of ``metric`` beyond the control's, rounds 0 to ``final``, per
    prompt, replicate k of the arm paired with replicate k of the control."""
    an, cn = arm[0].arm, control[0].arm
    _, values = prompt_differences(
        [
            (1.0, _seeds(arm[final], metric)),
            (-1.0, [METRICS[metric](arm[0])]),
            (-1.0, _seeds(control[final], metric)),
            (1.0, [METRICS[metric](control[0])]),
        ]
    )
    return Contrast(
        f"{metric}_vs_{cn}",
        f"{_NAMES[metric]}: ({an} r{final} - r0) - ({cn} r{final} - r0)",
        paired_test(values, confidence=confidence),
        thresholds,
    )


def paired_novel_beyond(
    arm: Mapping[int, RoundOutcomes],
    control: Mapping[int, RoundOutcomes],
    final: int,
    thresholds: tuple[float, ...],
    confidence: float,
) -> Contrast:
    """The arm's novel share of fresh findings minus the control's, over rounds 1 to
    ``final`` pooled, per prompt with findings in both (round 0 has no earlier exploits
    to be novel against)."""

    def over_rounds(side: Mapping[int, RoundOutcomes]) -> list[Counts]:
        records = [side[r] for r in range(1, final + 1) if r in side]
        k = min(len(r.seeds()) for r in records)
        return [Counts.pooled([r.seeds()[i].novel for r in records]) for i in range(k)]

    an, cn = arm[0].arm, control[0].arm
    _, values = prompt_differences([(1.0, over_rounds(arm)), (-1.0, over_rounds(control))])
    return Contrast(
        f"novel_vs_{cn}",
        f"{_NAMES['novel']}, rounds 1-{final}: {an} - {cn}",
        paired_test(values, confidence=confidence),
        thresholds,
    )
