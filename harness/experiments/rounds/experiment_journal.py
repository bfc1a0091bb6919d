"""One process's hold on an experiment: its log and state, and what every step reads.

The steps of an experiment (a round's run, an arm's round, the verdict; ``round_run.py``,
``arm_round.py``, ``final_verdict.py``) each read the same things: the folder, the
settings and the ``init`` and ``split`` entries, the trainer and the executor, the clean
training pairs, the reference response of each prompt, and round 0's calibrated judges.
They are gathered here once, when the experiment starts or resumes, so each step is a
function of this object rather than a method of one long class, and the state they
consult is always exactly what the log holds: an ``ExperimentJournal`` is a ``Journal``,
whose ``write`` logs one entry durably and then folds it into the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from harness.core.data import read_pairs
from harness.experiments.rounds.builtin_trainer import BuiltinTrainer
from harness.experiments.rounds.config import ExperimentConfig
from harness.experiments.rounds.experiment_folder import DATA_DIR
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState
from harness.experiments.rounds.trainer import Trainer
from harness.judges import JudgeSpec
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import RunLog, read_log
from harness.runlog.journal import Journal
from harness.runlog.run_options import STORE_NAME
from harness.runner import ExecutorOptions
from harness.runner.progress import Mode
from harness.store import FindingStore
from harness.suite import Suite

__all__ = ["STORE_NAME", "ExperimentJournal", "lineage"]


def lineage(arm: str, replicate: int) -> Path:
    """Where one training replicate of an arm keeps its store and rounds, relative to the
    experiment folder: ``<arm>/seed-<k>`` (its own checkpoint chain, store and runs)."""
    return Path(arm) / f"seed-{replicate}"


class ExperimentJournal(Journal[ExperimentState]):
    """One process's share of an experiment: every step the log does not hold yet.

    A journal: ``write`` logs one entry durably and folds it into the experiment state.
    The pair files are read back from the experiment folder (what a resume sees, too).
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

    def store(self, arm: str | None, replicate: int = 0) -> Path:
        """The store of the arm's ``replicate`` (round 0's for ``None``), made a copy of
        round 0's when first used.

        Every lineage starts from round 0's exploits, so its replay stage re-scores them
        and, later, its own (``FindingStore.copy_to``: SQLite's backup API).
        """
        if arm is None:
            return self.out / STORE_NAME
        store = self.out / lineage(arm, replicate) / STORE_NAME
        if not store.is_file():
            with FindingStore.open(self.out / STORE_NAME) as zero:
                zero.copy_to(store)
        return store

    def judges_of_round_zero(self) -> list[JudgeSpec]:
        """The judges as round 0 calibrated them: every later round judges by these."""
        if self._judges is None:
            zero = self.state.rounds[ZERO]
            init = read_log(self.out / zero.run / RUN_LOG_NAME, strict=True).init
            assert init is not None
            self._judges = [JudgeSpec.from_json(j) for j in init.judges]
        return self._judges
