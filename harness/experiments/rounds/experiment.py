"""The whack-a-mole experiment's entry points: start or resume, then every step in order.

``start_experiment`` and ``resume_experiment`` are what ``rmh rounds`` calls. Starting
checks every input before anything is written or trained (``inputs.py``, ``split.py``),
so bad input is a one-line error and no folder; then it places the folder with the data
and the ``init`` and ``split`` entries (``experiment_folder.py``). Resuming reads everything back
from the experiment log. Both then run the steps the log does not hold yet, in order:

- **calibration** picks the trained families' budgets on the attack prompts
  (``calibrate.py``; off with ``calibrate=False``);
- **round 0** attacks the starting checkpoint once (``round_run.py``); every arm's
  replicate starts its store as a copy of its store;
- **the power check** on round 0 (``power_stop.py``), logged before the first
  retraining; with ``--require-power`` an underpowered experiment stops there with the
  verdict ``underpowered``;
- **round r >= 1**, for each training replicate k < ``--seeds`` and each arm in turn
  (findings before synthetic, which matches its count): augment, retrain, run and
  measure (``arm_round.py``), then the round's table, the replicates pooled;
- **the verdict** at the end (``final_verdict.py``).

Each of those modules owns one step and its documentation; this one owns only the
order and what must hold before the first line is written. The experiment folder
(``docs/rounds.md``, "Experiment folder")::

    exp/NAME/experiment.jsonl           the experiment log (``experiment_log.py``)
    exp/NAME/data/                      train, evaluation and attack pairs; prompts.jsonl
    exp/NAME/round-0/                   round 0's run folder (the starting checkpoint)
    exp/NAME/findings.db                round 0's store
    exp/NAME/<arm>/seed-<k>/findings.db       replicate k's store: a copy of round 0's, then its own
    exp/NAME/<arm>/seed-<k>/round-<r>/augment.jsonl    the extra pairs (none: no file)
    exp/NAME/<arm>/seed-<k>/round-<r>/train.jsonl      what the trainer read
    exp/NAME/<arm>/seed-<k>/round-<r>/checkpoint/      the retrained checkpoint
    exp/NAME/<arm>/seed-<k>/round-<r>/run/             the round's run folder

**Resume.** A step is done when its log line is there: ``calibration``, ``augment``,
``train``, ``round`` (per arm, round and replicate), ``power``.
A resumed experiment skips done steps, continues a half-done run folder with
``resume_run``, and trains again (from the same seed) a training that has no ``train``
line (the trainer stages its output, so a partial checkpoint is never used). The seeds
are derived from the experiment seed, the round and the replicate
(``augment.round_seed``, ``augment.replicate_seed``), so a resumed experiment computes
the same numbers as one that was never killed. A new
experiment's folder is placed whole, once its log holds ``init`` and ``split``
(``experiment_folder.py``); each round's run folder is too (``harness.runner.run_folder``).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from harness.core.errors import HarnessError
from harness.experiments.rounds.arm_round import arm_round
from harness.experiments.rounds.augment import ARMS, parse_arms, parse_kinds
from harness.experiments.rounds.calibrate import calibrate_budgets
from harness.experiments.rounds.config import ExperimentConfig, ExperimentData, ExperimentResult
from harness.experiments.rounds.experiment_folder import (
    DATA_DIR,
    check_resumable,
    data_file,
    place_start,
)
from harness.experiments.rounds.experiment_journal import ExperimentJournal
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    LOG_VERSION,
    InitEntry,
    SplitEntry,
    VerdictEntry,
)
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState, Step
from harness.experiments.rounds.final_verdict import final_verdict
from harness.experiments.rounds.inputs import (
    attempts_per_prompt,
    check_arms,
    check_power,
    check_settings,
    check_synthetic_kinds,
    distinct_prompts,
    pairs_on,
    sample_prompts,
    split_families,
    template_families,
)
from harness.experiments.rounds.outcomes import experiment_summaries
from harness.experiments.rounds.pairfile import pairs_hash
from harness.experiments.rounds.power_stop import log_power, underpowered_stop
from harness.experiments.rounds.round_run import measure_round
from harness.experiments.rounds.round_table import round_table
from harness.experiments.rounds.split import check_disjoint
from harness.experiments.rounds.trainer import Trainer
from harness.experiments.rounds.trainer_hooks import make_trainer
from harness.runlog import RunLog, read_log
from harness.runlog.entries import SuiteRecord
from harness.runlog.record import LogVersion
from harness.runner import ExecutorOptions
from harness.runner.init import package_versions
from harness.runner.progress import Mode
from harness.suite import Suite, parse_suite

__all__ = [
    "ExperimentConfig",
    "ExperimentData",
    "ExperimentResult",
    "resume_experiment",
    "start_experiment",
    "template_families",
]

LOCAL = ExecutorOptions()
DEFAULTS = ExperimentConfig()


# ------------------------------------------------------------------ entry points
def start_experiment(
    checkpoint: str | Path,
    suite: Suite,
    data: ExperimentData,
    out: str | Path,
    *,
    config: ExperimentConfig = DEFAULTS,
    trainer_spec: str | None = None,
    trainer: Trainer | None = None,
    executor: ExecutorOptions = LOCAL,
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
) -> ExperimentResult:
    """Check everything, write the data, the ``init`` and ``split`` entries, and run.

    Bad input (unknown arm, no ``clean`` arm, a family the suite does not attack, no
    held-out family, a synthetic kind of a held-out family, evaluation prompts that are
    trained on or attacked, no pairs, settings out of range, a power requirement the
    design cannot meet) is a ``HarnessError`` before anything is written or trained.
    ``trainer`` overrides ``trainer_spec`` (tests wrap one).

    Attack prompts are capped by ``config.prompts`` (else the suite's ``data.sample``),
    evaluation prompts by ``config.eval_prompts`` only (default: every eligible one),
    each a seeded sample.
    """
    from harness.models import load_reward_model

    out = Path(out)
    check_settings(config)
    arms = parse_arms(config.arms)
    check_arms(arms)
    trained, heldout = split_families(suite, config.heldout_families)
    if "synthetic" in arms:
        check_synthetic_kinds(parse_kinds(config.synthetic_kinds), heldout)
    if not data.train:
        raise HarnessError("no training pairs")
    if not data.evaluation:
        raise HarnessError("no evaluation pairs")
    attack_pairs = list(data.attack if data.attack is not None else data.train)
    check_disjoint(data.train, distinct_prompts(data.evaluation), distinct_prompts(attack_pairs))
    cap = config.prompts if config.prompts is not None else suite.config.data.sample
    attack = sample_prompts(distinct_prompts(attack_pairs), cap, config.seed)
    eligible = distinct_prompts(data.evaluation)
    evaluation = sample_prompts(eligible, config.eval_prompts, config.seed)
    check_power(config, n_prompts=len(evaluation), attempts=attempts_per_prompt(suite, trained))
    if out.exists() and (not out.is_dir() or any(p.name != DATA_DIR for p in out.iterdir())):
        raise HarnessError(
            f"experiment folder {out} exists; pass --resume to continue it, or choose another --out"
        )
    checkpoint = Path(checkpoint).resolve()
    if not checkpoint.is_dir():
        raise HarnessError(f"checkpoint {checkpoint} is not a folder")
    model = load_reward_model(checkpoint)
    chosen = trainer or make_trainer(trainer_spec)

    files = {
        "train": list(data.train),
        "evaluation": pairs_on(data.evaluation, evaluation),
        "attack": pairs_on(attack_pairs, attack),
    }
    files["prompts"] = files["attack"] + files["evaluation"]
    described = {
        name: {"path": str(data_file(name)), "pairs": len(pairs), "hash": pairs_hash(pairs)}
        for name, pairs in files.items()
    }
    init = InitEntry(
        experiment_id=f"{out.name}-{uuid.uuid4().hex[:8]}",
        seed=config.seed,
        arms=arms,
        rounds=config.rounds,
        trained_families=trained,
        heldout_families=heldout,
        suite=SuiteRecord(name=suite.name, origin=suite.origin, text=suite.text),
        suite_dir=str(suite.base_dir.resolve()) if suite.base_dir else None,
        checkpoint=str(checkpoint),
        fingerprint=model.fingerprint,
        trainer=chosen.name,
        trainer_spec=trainer_spec,
        train=config.train_config().as_dict(),
        config=dataclasses.asdict(config),
        data=described,
        versions=package_versions(),
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    split = SplitEntry(
        seed=config.seed,
        attack=tuple(attack),
        evaluation=tuple(evaluation),
        attack_pairs=len(files["attack"]),
        evaluation_pairs=len(files["evaluation"]),
        evaluation_available=len(eligible),
    )
    del model
    state = place_start(out, files, init, split)
    log = RunLog.append_to(out / LOG_NAME)
    seeds = f"{config.seeds} training seed" + ("s" if config.seeds != 1 else "")
    echo(
        f"experiment {out}: arms {', '.join(arms)}, {config.rounds} rounds, {seeds}; "
        f"{len(attack)} attack and {len(evaluation)} evaluation prompts; "
        f"trained families {', '.join(trained)}; held out {', '.join(heldout) or 'none'}"
    )
    with log:
        journal = ExperimentJournal(
            out, suite, config, state, log, chosen, executor, progress, echo
        )
        return _conduct(journal)


def resume_experiment(
    out: str | Path,
    *,
    trainer: Trainer | None = None,
    executor: ExecutorOptions = LOCAL,
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
) -> ExperimentResult:
    """Continue a killed experiment at its last finished step (module doc)."""
    out = Path(out)
    check_resumable(out)
    contents = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG)
    state = ExperimentState.from_entries(contents.entries)
    if state.init is None or state.split is None:
        raise HarnessError(
            f"{out / LOG_NAME} has no init or split entry (killed before it started); "
            "start the experiment again in a new folder"
        )
    init = state.init
    if LogVersion.parse(init.log_version).major < LogVersion.parse(LOG_VERSION).major:
        raise HarnessError(
            f"experiment {out} was started by an older rm-harness (experiment log "
            f"{init.log_version}, this one writes {LOG_VERSION}) and cannot be resumed; "
            "rmh report still reads it, or start it again in a new folder"
        )
    suite = parse_suite(
        init.suite.text,
        origin=init.suite.origin,
        base_dir=Path(init.suite_dir) if init.suite_dir else None,
    )
    config = ExperimentConfig(**init.config)
    chosen = trainer or make_trainer(init.trainer_spec)
    log = RunLog.append_to(out / LOG_NAME)
    with log:
        journal = ExperimentJournal(
            out, suite, config, state, log, chosen, executor, progress, echo
        )
        return _conduct(journal)


# ------------------------------------------------------------------ the order
def _conduct(journal: ExperimentJournal) -> ExperimentResult:
    """Every step the log does not hold yet, in order; the experiment's result."""
    state, init, config = journal.state, journal.init, journal.config
    calibrate_budgets(journal)
    if ZERO not in state.rounds:
        journal.echo("round 0: attacking the starting checkpoint ...")
        measure_round(journal, None, 0, Path(init.checkpoint), retrained=False)
    _show(journal, 0)
    power = state.power or log_power(journal)
    if power.underpowered and config.require_power:
        return _result(journal, state.verdict or underpowered_stop(journal), underpowered=True)
    arms = [a for a in ARMS if a in init.arms]  # findings before synthetic
    for r in range(1, init.rounds + 1):
        for k in range(config.seeds):
            for arm in arms:
                if state.stopped(arm, r, k) or Step(arm, r, k) in state.rounds:
                    continue
                arm_round(journal, arm, r, k)
        _show(journal, r)
    return _result(journal, state.verdict or final_verdict(journal))


def _result(
    journal: ExperimentJournal, verdict: VerdictEntry, *, underpowered: bool = False
) -> ExperimentResult:
    return ExperimentResult(
        journal.out,
        experiment_summaries(journal.out),
        verdict,
        time.monotonic() - journal.started,
        tuple(journal.state.errors.values()),
        seeds=journal.config.seeds,
        underpowered=underpowered,
    )


def _show(journal: ExperimentJournal, r: int) -> None:
    """Echo round ``r``'s table (replicates pooled), as far as the log has it."""
    rows = [s for s in experiment_summaries(journal.out) if s.round == r]
    if r == 0:  # one checkpoint, measured once, listed under every arm: show it once
        rows = [dataclasses.replace(s, outcomes=dataclasses.replace(s.outcomes, arm="all"))
                for s in rows[:1]]  # fmt: skip
    if rows:
        journal.echo(f"round {r}:")
        journal.echo(round_table(rows, seed=journal.init.seed))
