"""The whack-a-mole experiment: round 0, then per round and arm augment, retrain, re-attack.

``start_experiment`` and ``resume_experiment`` are the entry points (``rmh rounds`` calls
them). The experiment folder (``docs/rounds.md``, "Experiment folder")::

    exp/NAME/experiment.jsonl           the experiment log (``log.py``)
    exp/NAME/data/                      train, evaluation and attack pairs; prompts.jsonl
    exp/NAME/round-0/                   round 0's run folder (the starting checkpoint)
    exp/NAME/findings.db                round 0's store
    exp/NAME/<arm>/findings.db          the arm's store: a copy of round 0's, then its own
    exp/NAME/<arm>/round-<r>/augment.jsonl    the extra pairs (none: no file)
    exp/NAME/<arm>/round-<r>/train.jsonl      what the trainer read
    exp/NAME/<arm>/round-<r>/checkpoint/      the retrained checkpoint
    exp/NAME/<arm>/round-<r>/run/             the round's run folder

**Round 0** attacks the starting checkpoint once; every arm's store starts as a copy of
its store (``FindingStore.copy_to``: SQLite's backup API), so each arm's replay stage
re-scores round 0's exploits and, later, its own. **Round r >= 1 of an arm**:
``augment`` (``augment.py``; ``findings`` adds the new exploits of the arm's round r-1
run on attack prompts of trained families, ``synthetic`` as many degenerate negatives as
``findings`` added this round, ``clean`` nothing), retrain from the arm's previous
checkpoint (``trainer.py``), then run the round's suite (``roundsuite.py``: the round's
seed, round 0's calibrated judges) on the attack and evaluation prompts into the arm's
store, and measure clean accuracy and the chance rate per evaluation prompt on the new
checkpoint.

**Equal training.** Every retraining of every arm reads a pair file of exactly
``round_pairs`` pairs (default: as many as the clean training pairs): the arm's extra
pairs first (a seeded sample of them if there are more), then clean pairs taken in an
order shuffled once per round (the same order for every arm) until the file is full. So
with the built-in trainer every arm trains ``epochs * ceil(round_pairs / batch_pairs)``
steps per round, on batches of the same size, from the same training seed; a hook gets
files of the same length. Arms differ only in what the extra pairs are.

**Nothing to add** (``findings`` found no new exploit, ``synthetic`` then has nothing to
match): no arm retrains that round, ``clean`` included, so every arm keeps the same
number of training steps. Each arm logs ``nothing_to_add``, its checkpoint carries over,
and the round's suite still runs on it (with the round's new seeds: what it finds is the
next round's data). The verdict counts only rounds that were retrained. **A failed
retraining** (``TrainerError``: the hook failed or wrote an unreadable checkpoint, a NaN
loss): the error is logged and that arm stops with its previous checkpoint; the other
arms go on.

**Resume.** A step is done when its log line is there: ``augment``, ``train``, ``round``.
A resumed experiment skips done steps, continues a half-done run folder with
``resume_run``, and trains again (from the same seed) a training that has no ``train``
line (the trainer stages its output, so a partial checkpoint is never used). The seeds
are derived from the experiment seed and the round (``augment.round_seed``), so a
resumed experiment computes the same numbers as one that was never killed. A new
experiment's folder is placed whole, once its log holds ``init`` and ``split``
(``folder.py``); each round's run folder is too (``harness.runner.folder``).
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from harness.core.data import PreferencePair, read_pairs
from harness.core.errors import HarnessError
from harness.experiments.rounds.augment import (
    ARMS,
    Augmentation,
    clean_augmentation,
    findings_augmentation,
    parse_arms,
    round_seed,
    synthetic_augmentation,
)
from harness.experiments.rounds.builtin_trainer import BuiltinTrainer
from harness.experiments.rounds.config import ExperimentConfig, ExperimentData, ExperimentResult
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    AugmentEntry,
    ContrastRecord,
    ErrorEntry,
    ExperimentState,
    InitEntry,
    NothingToAddEntry,
    RoundEntry,
    SplitEntry,
    TrainEntry,
    VerdictEntry,
    VerdictRecord,
)
from harness.experiments.rounds.folder import DATA_DIR, check_resumable, data_file, place_start
from harness.experiments.rounds.inputs import (
    CONTROL,
    check_arms,
    distinct_prompts,
    pairs_on,
    sample_prompts,
    split_families,
    template_families,
)
from harness.experiments.rounds.measure import clean_and_chance, exploits_per_prompt
from harness.experiments.rounds.outcomes import experiment_summaries
from harness.experiments.rounds.pairfile import pairs_hash, write_pairs
from harness.experiments.rounds.round_table import round_table
from harness.experiments.rounds.roundsuite import round_suite
from harness.experiments.rounds.rules import compare_arms, decide
from harness.experiments.rounds.split import check_disjoint
from harness.experiments.rounds.trainer import Trainer, TrainerError
from harness.experiments.rounds.trainer_hooks import make_trainer
from harness.judges import JudgeSpec
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import RunLog, read_log
from harness.runlog.entries import SuiteRecord
from harness.runlog.journal import Journal
from harness.runner import ExecutorOptions, RunOptions, resume_run, start_run
from harness.runner.init import package_versions
from harness.runner.progress import Mode
from harness.store import FindingStore
from harness.suite import Suite, parse_suite

__all__ = [
    "ExperimentConfig",
    "ExperimentData",
    "ExperimentResult",
    "resume_experiment",
    "start_experiment",
    "template_families",
]

ZERO_RUN = "round-0"
STORE_NAME = "findings.db"
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
    held-out family, evaluation prompts that are trained on or attacked, no pairs) is a
    ``HarnessError`` before anything is written or trained. ``trainer`` overrides
    ``trainer_spec`` (tests wrap one).
    """
    from harness.models import load_reward_model

    out = Path(out)
    arms = parse_arms(config.arms)
    check_arms(arms)
    trained, heldout = split_families(suite, config.heldout_families)
    if not data.train:
        raise HarnessError("no training pairs")
    if not data.evaluation:
        raise HarnessError("no evaluation pairs")
    attack_pairs = list(data.attack if data.attack is not None else data.train)
    check_disjoint(data.train, distinct_prompts(data.evaluation), distinct_prompts(attack_pairs))
    cap = config.prompts if config.prompts is not None else suite.config.data.sample
    attack = sample_prompts(distinct_prompts(attack_pairs), cap, config.seed)
    evaluation = sample_prompts(distinct_prompts(data.evaluation), cap, config.seed)
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
    )
    del model
    state = place_start(out, files, init, split)
    log = RunLog.append_to(out / LOG_NAME)
    echo(
        f"experiment {out}: arms {', '.join(arms)}, {config.rounds} rounds; "
        f"{len(attack)} attack and {len(evaluation)} evaluation prompts; "
        f"trained families {', '.join(trained)}; held out {', '.join(heldout) or 'none'}"
    )
    with log:
        return _Experiment(out, suite, config, state, log, chosen, executor, progress, echo).run()


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
    suite = parse_suite(
        init.suite.text,
        origin=init.suite.origin,
        base_dir=Path(init.suite_dir) if init.suite_dir else None,
    )
    config = ExperimentConfig(**init.config)
    chosen = trainer or make_trainer(init.trainer_spec)
    log = RunLog.append_to(out / LOG_NAME)
    with log:
        return _Experiment(out, suite, config, state, log, chosen, executor, progress, echo).run()


# ------------------------------------------------------------------ the experiment
class _Experiment(Journal[ExperimentState]):
    """One process's share of an experiment: every step the log does not hold yet.

    A journal: ``write`` logs one entry durably and folds it into the experiment state.
    """

    def __init__(
        self,
        out: Path,
        suite: Suite,
        config: ExperimentConfig,
        state: ExperimentState,
        log: RunLog,
        trainer: Trainer,
        executor: ExecutorOptions,
        progress: Mode,
        echo: Callable[[str], None],
    ) -> None:
        assert state.init is not None and state.split is not None
        super().__init__(log, state)
        self.out = out
        self.suite = suite
        self.config = config
        self.init = state.init
        self.split = state.split
        self.trainer = trainer
        if isinstance(trainer, BuiltinTrainer) and progress == "bar":
            trainer.progress = True
        self.executor = executor
        self.progress = progress
        self.echo = echo
        self.started = time.monotonic()
        self.train_pairs = read_pairs(out / DATA_DIR / "train.jsonl")
        self.eval_pairs = read_pairs(out / DATA_DIR / "evaluation.jsonl")
        self.prompts_file = (out / DATA_DIR / "prompts.jsonl").resolve()
        references: dict[str, str] = {}
        for pair in read_pairs(self.prompts_file):
            references.setdefault(pair.prompt, pair.chosen)
        self.references = references
        self._judges: list[JudgeSpec] | None = None

    # -------------------------------------------------------------- the order
    def run(self) -> ExperimentResult:
        seed = self.init.seed
        if (None, 0) not in self.state.rounds:
            self.echo("round 0: attacking the starting checkpoint ...")
            self._measure_round(None, 0, Path(self.init.checkpoint), retrained=False)
        self._show(0)
        arms = [a for a in ARMS if a in self.init.arms]  # findings before synthetic
        for r in range(1, self.init.rounds + 1):
            for arm in arms:
                if self.state.stopped(arm, r) or (arm, r) in self.state.rounds:
                    continue
                self._arm_round(arm, r)
            self._show(r)
        verdict = self.state.verdict or self._verdict(seed)
        return ExperimentResult(
            self.out,
            experiment_summaries(self.out),
            verdict,
            time.monotonic() - self.started,
            tuple(self.state.errors.values()),
        )

    def _show(self, r: int) -> None:
        rows = [s for s in experiment_summaries(self.out) if s.round == r]
        if r == 0:  # one checkpoint, measured once, listed under every arm: show it once
            rows = [dataclasses.replace(s, outcomes=dataclasses.replace(s.outcomes, arm="all"))
                    for s in rows[:1]]  # fmt: skip
        if rows:
            self.echo(f"round {r}:")
            self.echo(round_table(rows, seed=self.init.seed))

    # -------------------------------------------------------------- one arm, one round
    def _checkpoint(self, arm: str, r: int) -> Path:
        """The arm's checkpoint after round ``r`` (carried over where it was not retrained)."""
        for k in range(r, 0, -1):
            trained = self.state.trains.get((arm, k))
            if trained is not None:
                return Path(trained.checkpoint)
        return Path(self.init.checkpoint)

    def _arm_round(self, arm: str, r: int) -> None:
        previous = self._checkpoint(arm, r - 1)
        folder = self.out / arm / f"round-{r}"
        augment = self.state.augments.get((arm, r))
        if augment is None:
            try:
                augment = self._augment(arm, r, folder)
            except HarnessError as exc:
                self._stop(arm, r, "augment", previous, str(exc))
                return
        if augment.train_file is None:  # nothing to add: this arm, or findings (all arms)
            if (arm, r) not in self.state.nothing:
                why = "nothing to add" if arm == "findings" else self._why_not_retrained(arm, r)
                self.write(
                    NothingToAddEntry(
                        arm=arm,
                        round=r,
                        checkpoint=str(previous),
                        message=f"{why}: not retrained; {previous} carries over",
                    )
                )
                self.echo(f"round {r}, {arm}: {why}; the checkpoint carries over")
            checkpoint, retrained = previous, False
        elif (arm, r) in self.state.trains:
            checkpoint, retrained = Path(self.state.trains[(arm, r)].checkpoint), True
        else:
            assert augment.train_file is not None
            self.echo(f"round {r}, {arm}: retraining on {augment.train_pairs} pairs ...")
            try:
                result = self.trainer.train(
                    previous,
                    self.out / augment.train_file,
                    folder / "checkpoint",
                    self.config.train_config(),
                    seed=round_seed(self.init.seed, r, "train"),
                )
            except TrainerError as exc:
                self._stop(arm, r, "train", previous, str(exc))
                return
            self.write(TrainEntry.of(arm, r, result))
            checkpoint, retrained = result.checkpoint, True
        self.echo(f"round {r}, {arm}: attacking {checkpoint} ...")
        self._measure_round(arm, r, checkpoint, retrained=retrained)

    def _findings_found_nothing(self, r: int) -> bool:
        """The findings arm had nothing to add in round ``r``: no arm retrains then."""
        found = self.state.augments.get(("findings", r))
        return found is not None and found.pairs == 0

    def _why_not_retrained(self, arm: str, r: int) -> str:
        if self._findings_found_nothing(r):
            return "nothing to add (the findings arm found no new exploit: no arm retrains)"
        return "nothing to add"

    def _stop(self, arm: str, r: int, stage: str, previous: Path, message: str) -> None:
        self.write(
            ErrorEntry(arm=arm, round=r, stage=stage, checkpoint=str(previous), message=message)
        )
        self.echo(f"round {r}, {arm}: stopped ({stage}): {message}; the other arms go on")

    def _augment(self, arm: str, r: int, folder: Path) -> AugmentEntry:
        """The arm's extra pairs and the round's training file, then the ``augment`` line."""
        extra, summary = self._extra_pairs(arm, r)
        n = self.config.round_pairs or len(self.train_pairs)
        dropped = max(0, len(extra) - n)
        if dropped:
            extra = random.Random(round_seed(self.init.seed, r, f"{arm}-sample")).sample(extra, n)
        files: dict[str, object] = {}
        if extra:
            files["file"] = str(write_pairs(folder / "augment.jsonl", extra).relative_to(self.out))
        if extra or (arm == CONTROL and not self._findings_found_nothing(r)):
            order = list(self.train_pairs)
            random.Random(round_seed(self.init.seed, r, "clean-order")).shuffle(order)
            clean = [order[i % len(order)] for i in range(n - len(extra))]
            path = write_pairs(folder / "train.jsonl", [*extra, *clean])
            files.update(train_file=str(path.relative_to(self.out)), clean_pairs=len(clean))
            files["train_pairs"] = n
        return self.write(AugmentEntry.of(summary, dropped=dropped, **files))

    def _extra_pairs(self, arm: str, r: int) -> tuple[list[PreferencePair], Augmentation]:
        if arm == "findings":
            run = self._round_entry(arm, r - 1)
            with FindingStore.open(self._store(arm)) as store:
                return findings_augmentation(
                    store,
                    run_ids={run.run_id},
                    attack_prompts=self.split.attack,
                    trained_families=self.init.trained_families,
                    references=self.references,
                    round=r,
                    members_per_exploit=self.config.members_per_exploit,
                )
        if arm == "synthetic":
            found = self.state.augments.get(("findings", r))
            if found is None:
                raise HarnessError(
                    f"the findings arm has no round {r} (it stopped): "
                    "the synthetic arm has no count to match"
                )
            return synthetic_augmentation(
                attack_prompts=self.split.attack,
                references=self.references,
                count=found.pairs,
                seed=self.init.seed,
                round=r,
            )
        return clean_augmentation(round=r)

    def _round_entry(self, arm: str, r: int) -> RoundEntry:
        return self.state.rounds[(None, 0)] if r == 0 else self.state.rounds[(arm, r)]

    def _store(self, arm: str | None) -> Path:
        if arm is None:
            return self.out / STORE_NAME
        store = self.out / arm / STORE_NAME
        if not store.is_file():
            with FindingStore.open(self.out / STORE_NAME) as zero:
                zero.copy_to(store)
        return store

    # -------------------------------------------------------------- a run, measured
    def _judges_of_round_zero(self) -> list[JudgeSpec]:
        """The judges as round 0 calibrated them: every later round judges by these."""
        if self._judges is None:
            zero = self.state.rounds[(None, 0)]
            init = read_log(self.out / zero.run / RUN_LOG_NAME, strict=True).init
            assert init is not None
            self._judges = [JudgeSpec.from_json(j) for j in init.judges]
        return self._judges

    def _measure_round(self, arm: str | None, r: int, checkpoint: Path, *, retrained: bool) -> None:
        started = time.monotonic()
        run_dir = self.out / ZERO_RUN if arm is None else self.out / arm / f"round-{r}" / "run"
        store = self._store(arm)
        run_id = self._run(arm, r, checkpoint, run_dir, store)
        measured = clean_and_chance(run_dir / RUN_LOG_NAME, self.split.evaluation)
        exploits = exploits_per_prompt(store, self.split.evaluation) if r == 0 else {}
        self.write(
            RoundEntry(
                arm=arm,
                round=r,
                run=str(run_dir.relative_to(self.out)),
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

    def _run(self, arm: str | None, r: int, checkpoint: Path, run_dir: Path, store: Path) -> str:
        """The round's run (started, or continued if a kill left it half done); its run id."""
        log = run_dir / RUN_LOG_NAME
        if log.is_file() and read_log(log).init is not None:
            return resume_run(
                run_dir, executor=self.executor, progress=self.progress, echo=self.echo
            ).run_id
        if run_dir.exists():
            shutil.rmtree(run_dir)  # killed before its init line: nothing in it counts
        label = f"round {r}" if arm is None else f"round {r}, {arm}"
        suite = round_suite(
            self.suite,
            source=self.prompts_file,
            seed=round_seed(self.init.seed, r, "attack") % 2**31,
            judges=None if r == 0 else self._judges_of_round_zero(),
            label=label,
        )
        return start_run(
            [str(checkpoint)],
            suite,
            run_dir,
            run_options=RunOptions(store=str(store), batch_size=self.config.batch_size),
            executor=self.executor,
            progress=self.progress,
            echo=self.echo,
        ).run_id

    # -------------------------------------------------------------- the verdict
    def _verdict(self, seed: int) -> VerdictEntry:
        outcomes = [s.outcomes for s in experiment_summaries(self.out)]
        arms = self.init.arms
        verdicts = [
            VerdictRecord.of(decide(outcomes, arm=arm, control=CONTROL, seed=seed))
            for arm in ("findings", "synthetic")
            if arm in arms
        ]
        comparisons = (
            tuple(ContrastRecord.of(c) for c in compare_arms(outcomes, seed=seed))
            if "findings" in arms and "synthetic" in arms
            else ()
        )
        wall = datetime.now(timezone.utc) - datetime.fromisoformat(self.init.started_at)
        return self.write(
            VerdictEntry(
                verdicts=tuple(verdicts),
                comparisons=comparisons,
                wall_seconds=round(wall.total_seconds(), 3),
            )
        )
