"""The experiment's last step: the verdict per arm, from the rules fixed before the data.

Once every arm has run every round (or stopped), each treated arm (``findings``,
``synthetic``) is judged against the ``clean`` control by ``rules.decide``, and, when
both ran, ``findings`` against ``synthetic`` (``rules.compare_arms``): all from the
per-prompt outcomes rebuilt from the folder (``outcomes.experiment_summaries``), never
from numbers kept in memory, so a resumed experiment reaches the same verdict as one
that was never killed. The ``verdict`` line is logged once: resuming an experiment whose
log has it reads that verdict back rather than deciding again.
"""

from __future__ import annotations

from datetime import datetime, timezone

from harness.experiments.rounds.experiment_journal import ExperimentJournal
from harness.experiments.rounds.experiment_log import ContrastRecord, VerdictEntry, VerdictRecord
from harness.experiments.rounds.inputs import CONTROL
from harness.experiments.rounds.outcomes import experiment_summaries
from harness.experiments.rounds.rules import RuleSettings, compare_arms, decide

__all__ = ["final_verdict"]


def final_verdict(journal: ExperimentJournal) -> VerdictEntry:
    """Decide each treated arm and the arm-against-arm contrasts; log the ``verdict`` line.

    The tests are exact or closed-form (``paired``), so the same folder always gives the
    same verdict; the rules' settings (delta, the effect size) are the experiment's.
    """
    config = journal.config
    settings = RuleSettings(delta=config.delta, effect_size=config.effect_size)
    outcomes = [s.outcomes for s in experiment_summaries(journal.out)]
    arms = journal.init.arms
    verdicts = [
        VerdictRecord.of(decide(outcomes, arm=arm, control=CONTROL, settings=settings))
        for arm in ("findings", "synthetic")
        if arm in arms
    ]
    comparisons = (
        tuple(ContrastRecord.of(c) for c in compare_arms(outcomes, margin=settings.margin))
        if "findings" in arms and "synthetic" in arms
        else ()
    )
    wall = datetime.now(timezone.utc) - datetime.fromisoformat(journal.init.started_at)
    return journal.write(
        VerdictEntry(
            verdicts=tuple(verdicts),
            comparisons=comparisons,
            wall_seconds=round(wall.total_seconds(), 3),
        )
    )
