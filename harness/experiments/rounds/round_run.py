"""A round's run on one checkpoint, measured and logged: the ``round`` entry.

Round 0 (on the starting checkpoint, for every arm) and each arm's round r >= 1 in each
training replicate (on the checkpoint it retrained, or carried over) end the same way,
so this is one step for both: run the round's suite (``roundsuite.py``: the round's
seed, the same for every arm and replicate, and round 0's calibrated judges) on the
attack and evaluation prompts into the replicate's store, read clean accuracy
and the chance rate per evaluation prompt from the run's own log (``measure.py``:
nothing is scored twice), and log the ``round`` line that marks the step done.

A run folder a kill left behind is continued with ``resume_run`` if its log holds its
``init`` line, and started again otherwise (nothing in it counts yet); the round's seeds
come from the experiment seed and the round (``augment.round_seed``), so either way the
numbers are those of a run that was never killed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from harness.experiments.rounds.augment import round_seed
from harness.experiments.rounds.experiment_journal import ExperimentJournal, lineage
from harness.experiments.rounds.experiment_log import RoundEntry
from harness.experiments.rounds.measure import clean_and_chance, exploits_per_prompt
from harness.experiments.rounds.roundsuite import round_suite
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import read_log
from harness.runner import RunOptions, resume_run, start_run

__all__ = ["ZERO_RUN", "measure_round"]

ZERO_RUN = "round-0"


def measure_round(
    journal: ExperimentJournal,
    arm: str | None,
    r: int,
    checkpoint: Path,
    *,
    retrained: bool,
    replicate: int = 0,
) -> None:
    """Run round ``r`` of ``arm``'s ``replicate`` (``None``: round 0) on ``checkpoint``;
    log its ``round`` line."""
    out = journal.out
    started = time.monotonic()
    run_dir = (
        out / ZERO_RUN if arm is None else out / lineage(arm, replicate) / f"round-{r}" / "run"
    )
    store = journal.store(arm, replicate)
    label = f"round {r}" if arm is None else f"round {r}, {arm}"
    if arm is not None and journal.config.seeds > 1:
        label += f" seed {replicate}"
    run_id = _run(journal, label, r, checkpoint, run_dir, store)
    measured = clean_and_chance(run_dir / RUN_LOG_NAME, journal.split.evaluation)
    exploits = exploits_per_prompt(store, journal.split.evaluation) if r == 0 else {}
    journal.write(
        RoundEntry(
            arm=arm,
            round=r,
            replicate=replicate,
            run=str(run_dir.relative_to(out)),
            run_id=run_id,
            checkpoint=str(checkpoint),
            fingerprint=measured.fingerprint,
            retrained=retrained,
            clean=measured.clean,
            chance=measured.chance,
            exploits=exploits,
            seconds=round(time.monotonic() - started, 3),
        )
    )


def _run(
    journal: ExperimentJournal,
    label: str,
    r: int,
    checkpoint: Path,
    run_dir: Path,
    store: Path,
) -> str:
    """The round's run (started, or continued if a kill left it half done); its run id."""
    log = run_dir / RUN_LOG_NAME
    if log.is_file() and read_log(log).init is not None:
        return resume_run(
            run_dir, executor=journal.executor, progress=journal.progress, echo=journal.echo
        ).run_id
    if run_dir.exists():
        shutil.rmtree(run_dir)  # killed before its init line: nothing in it counts
    calibration = journal.state.calibration  # the trained families' budgets, if calibrated
    suite = round_suite(
        journal.suite,
        source=journal.prompts_file,
        seed=round_seed(journal.init.seed, r, "attack") % 2**31,
        judges=None if r == 0 else journal.judges_of_round_zero(),
        budgets=calibration.budgets if calibration is not None else None,
        label=label,
    )
    return start_run(
        [str(checkpoint)],
        suite,
        run_dir,
        run_options=RunOptions(store=str(store), batch_size=journal.config.batch_size),
        executor=journal.executor,
        progress=journal.progress,
        echo=journal.echo,
    ).run_id
