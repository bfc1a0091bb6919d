"""Say the power before the data: round 0's power check, and the stop it can call.

Once round 0 is measured, and before any arm retrains, the experiment asks what it can
detect at all (``power.round0_power``: the minimum detectable effect of each primary
contrast at the experiment's evaluation prompts, training seeds and attempts, from round
0's per-prompt rates and their clustering) and logs the answer as the ``power`` entry,
echoing its lines. A resumed experiment reads it back rather than asking again.

With ``--require-power``, an underpowered experiment stops there: its verdict entry gives
every decided arm the outcome ``underpowered`` (``rules.underpowered_verdict``, the check
and its lines behind it), and no arm retrains (``rmh rounds`` then exits 2). An hour of
retraining cannot settle what round 0 says it cannot detect.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from harness.experiments.rounds.experiment_journal import ExperimentJournal
from harness.experiments.rounds.experiment_log import PowerEntry, VerdictEntry, VerdictRecord
from harness.experiments.rounds.inputs import CONTROL
from harness.experiments.rounds.outcomes import experiment_summaries
from harness.experiments.rounds.power import PowerCheck, round0_power
from harness.experiments.rounds.rules import underpowered_verdict

__all__ = ["DECIDED", "log_power", "power_check", "underpowered_stop"]

DECIDED = ("findings", "synthetic")
"""The arms a verdict is given for (against ``clean``), in order."""


def power_check(journal: ExperimentJournal) -> PowerCheck:
    """Round 0's power check (pure, deterministic: the same folder, the same answer)."""
    zero = next(s.outcomes for s in experiment_summaries(journal.out) if s.round == 0)
    split = journal.split
    available = split.evaluation_available or len(split.evaluation)
    return round0_power(
        dataclasses.replace(zero, arm=CONTROL),
        seeds=journal.config.seeds,
        effect_size=journal.config.effect_size,
        available_prompts=available,
    )


def log_power(journal: ExperimentJournal) -> PowerEntry:
    """Check round 0's power, echo what it says and log the ``power`` entry."""
    check = power_check(journal)
    for line in check.lines():
        journal.echo(line)
    return journal.write(PowerEntry(check=check.as_dict(), underpowered=check.underpowered))


def underpowered_stop(journal: ExperimentJournal) -> VerdictEntry:
    """The verdict of an experiment stopped after round 0 by ``--require-power``: every
    decided arm ``underpowered``, with the power check behind it."""
    check = power_check(journal)
    verdicts = tuple(
        VerdictRecord.of(underpowered_verdict(arm, CONTROL, check))
        for arm in DECIDED
        if arm in journal.init.arms
    )
    wall = datetime.now(timezone.utc) - datetime.fromisoformat(journal.init.started_at)
    journal.echo("--require-power: the experiment is underpowered; no arm retrains")
    return journal.write(
        VerdictEntry(verdicts=verdicts, wall_seconds=round(wall.total_seconds(), 3))
    )
