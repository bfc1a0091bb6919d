"""One run: a suite against one or more checkpoints, logged, stored, resumable.

Order of work (each step skipped on resume when the log says it is done):

1. ``init`` (``init.py``): the suite text, checkpoints with fingerprints, seeds,
   versions, the judges' calibrated parameters and the replay horizon (the newest stored
   finding id); then, when the suite's ``[validation]`` is enabled, ``validation``
   (``judge_validation.py``): the calibrated judges measured on the bundled labelled set.
2. The stages (``stages.py``): ``clean`` per checkpoint; ``replay`` of the exploits
   stored before the run (one representative per exploit and prompt, or with the run
   option ``replay="all"`` every stored finding; the mode is in ``init`` too); ``instability``
   probes when the suite enables them; one ``attempt`` per unit (attack x prompt x
   replicate x checkpoint) with its ``finding`` and ``error`` entries; with several
   checkpoints, ``replay`` of this run's findings across them (``transfer.csv``).
3. ``completion``: the totals (``harness.runlog.metrics.run_totals``).

Findings go to the store first, then to the log, then to the screen (``recorder.py``,
the only writer of either). A unit is done when its ``attempt`` line is in the log
(``state.py``). A killed run redoes only the unit it was in; the store ignores the
re-recorded sightings and the log skips findings it already holds, so nothing is lost
or duplicated and no budget is spent twice in the record.

An attack that cannot search a checkpoint (white-box, and the model gives no gradients)
is skipped there: said at the start of each session, recorded in ``init``, and left out
of the plan. A model that stops answering mid-run (``EndpointError``: an HTTP endpoint
down past its retries, refusing, or answering garbage) stops the run where it is, like a
kill, with a one-line error that says how to resume it.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from harness.core.data import PreferencePair
from harness.core.errors import EndpointError, HarnessError
from harness.core.staging import StagedFolder
from harness.models import LoadOptions
from harness.runlog import LOG_NAME, CompletionEntry, ReplayMode, RunLog, RunOptions, read_log
from harness.runlog.entries import RunConfig
from harness.runlog.metrics import run_totals
from harness.runlog.nested import LibraryRecord
from harness.runlog.record import CURRENT
from harness.runner import init as setup
from harness.runner import seeding
from harness.runner.executors import ExecutorOptions, make_executor
from harness.runner.judge_validation import run_validation_entry, validation_lines
from harness.runner.plan import plan_units
from harness.runner.progress import Mode
from harness.runner.recorder import Recorder, check_store
from harness.runner.run_folder import SUITE_COPY, check_resumable, prepare_folder
from harness.runner.stages import TRANSFER_NAME, Stages
from harness.runner.state import RunState
from harness.runner.worker import Worker, WorkerSpec
from harness.store import FindingStore
from harness.suite import AttackConfig, Suite, parse_suite

DEFAULTS = RunOptions()  # findings.db beside the run folder, replay of representatives
LOCAL = ExecutorOptions()  # in this process


def note_on_stderr(line: str) -> None:
    """A one-line notice the run proceeds after (what the library seeded, or why nothing)."""
    print(f"note: {line}", file=sys.stderr)


@dataclass
class RunSummary:
    """What ``rmh run`` prints when a run ends: the completion totals, and the transfer
    matrix with several checkpoints (the log holds everything else)."""

    folder: Path
    run_id: str
    attempts: int
    findings_by_family: dict[str, int]
    replayed: int
    reopened: int
    still_open: int
    errors: int
    seconds: float
    transfer: pd.DataFrame | None = None


# --------------------------------------------------------------------------- entry points
def start_run(
    checkpoints: list[str],
    suite: Suite,
    out: str | Path,
    *,
    run_options: RunOptions = DEFAULTS,
    options: LoadOptions | None = None,
    executor: ExecutorOptions = LOCAL,
    overwrite: bool = False,
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
    note: Callable[[str], None] = note_on_stderr,
) -> RunSummary:
    """Start a run in a new folder ``out``.

    The folder appears at ``out`` only once its log holds ``init`` (``run_folder.py``): a
    kill while the checkpoints load leaves nothing that is in the way of a new start.

    ``run_options``: the store (default ``findings.db`` beside ``out``), the batch size and
    the replay mode (one representative per stored exploit and prompt, or ``all`` stored
    findings); recorded in the ``init`` entry, so a resume runs the same way.
    """
    if not checkpoints:
        raise HarnessError("give at least one checkpoint")
    out = Path(out)
    run_options = run_options.with_store_for(out)
    check_store(run_options.store_path(out), run_options.store_timeout)  # before the folder
    staged = prepare_folder(out, overwrite=overwrite)
    try:  # built aside; placed at ``out`` once its log holds ``init`` (run_folder.py)
        (staged.path / SUITE_COPY).write_text(suite.text, encoding="utf-8")
        config = setup.run_config(
            checkpoints, suite, options=options or LoadOptions(), run_options=run_options
        )
        replay = run_options.replay
        log = RunLog.create(staged.path / LOG_NAME)
        state = RunState()
        run = _Run(out, suite, config, replay, log, state, executor, progress, echo, staged, note)
        return run.execute()
    except BaseException:
        staged.abandon()  # a start that failed before it was placed leaves nothing behind
        raise


def resume_run(
    out: str | Path,
    *,
    executor: ExecutorOptions = LOCAL,
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
    note: Callable[[str], None] = note_on_stderr,
) -> RunSummary:
    """Continue a killed or failed run from its log."""
    out = Path(out)
    check_resumable(out)
    contents = read_log(out / LOG_NAME, strict=True)
    init = contents.init
    if init is None:
        raise HarnessError(
            f"{out / LOG_NAME} has no init entry (killed before it started); "
            "start it again with --overwrite"
        )
    completion = contents.completion
    if completion is not None:
        echo(f"run {out} is already complete; nothing to resume")
        transfer = out / TRANSFER_NAME
        return summary_from(
            completion,
            out,
            init.run_id,
            pd.read_csv(transfer, index_col=0) if transfer.is_file() else None,
        )
    if contents.version > CURRENT:
        raise HarnessError(
            f"run {out} was started by a newer rm-harness (run-log version "
            f"{contents.version}, this one writes {CURRENT}); resume it with that version"
        )
    config = init.config
    suite = parse_suite(
        init.suite.text,
        origin=init.suite.origin,
        base_dir=Path(config.suite_dir) if config.suite_dir else None,
    )
    replay = setup.replay_mode(config, out / LOG_NAME)
    log = RunLog.append_to(out / LOG_NAME)
    state = RunState.from_entries(contents.entries)
    run = _Run(out, suite, config, replay, log, state, executor, progress, echo, note=note)
    return run.execute()


def summary_from(
    completion: CompletionEntry, folder: Path, run_id: str, transfer: pd.DataFrame | None
) -> RunSummary:
    """The summary from the ``completion`` entry, so a finished run and a resume of a
    complete one report the same numbers."""
    return RunSummary(
        folder=folder,
        run_id=run_id,
        attempts=completion.attempts,
        findings_by_family=completion.findings_by_family,
        replayed=completion.replayed,
        reopened=completion.reopened,
        still_open=completion.still_open,
        errors=completion.errors,
        seconds=completion.wall_seconds,
        transfer=transfer,
    )


# --------------------------------------------------------------------------- the run
class _Run:
    """Wires init, executor, recorder and stages together for one process's share of a run."""

    def __init__(
        self,
        out: Path,
        suite: Suite,
        config: RunConfig,
        replay: ReplayMode,
        log: RunLog,
        state: RunState,
        executor: ExecutorOptions,
        progress: Mode,
        echo: Callable[[str], None],
        staged: StagedFolder | None = None,
        note: Callable[[str], None] = note_on_stderr,
    ) -> None:
        self.out = out
        self.staged = staged  # a new run's folder, built aside until ``init`` is logged
        self.suite = suite
        self.config = config
        self.replay = replay
        self.log = log
        self.state = state
        self.executor_options = executor
        self.progress = progress
        self.echo = echo
        self.note = note  # one-line notices the run proceeds after (stderr)
        self.started = time.monotonic()
        self.fresh = state.init is None
        self.run_id = state.init.run_id if state.init else f"{out.name}-{uuid.uuid4().hex[:8]}"

    def execute(self) -> RunSummary:
        suite, config = self.suite, self.config
        pairs = suite.pairs()
        prompts = suite.prompts(pairs)
        attacks, skipped = setup.available_attacks(suite, config.attacks)
        spec = setup.worker_spec(config, suite, prompts, attacks, self.state.init)
        with (
            FindingStore.open(
                config.run_options.store_path(self.out), timeout=config.run_options.store_timeout
            ) as store,
            closing(Recorder(store, self.log, self.state, self.run_id)) as recorder,
        ):
            init = self.state.init
            horizon = init.replay_horizon if init else store.max_finding_id()
            spec, library = self._seed(spec, store, prompts, attacks, horizon)
            probe = None
            if self.fresh:
                probe = Worker(spec)
                spec = self._initialize(
                    recorder, probe, spec, pairs, len(prompts), skipped, horizon, library
                )
            validation = suite.config.validation
            if validation.enabled and not self.state.judges_validated:
                worker = probe or Worker(spec)
                self.echo("measuring the judges on the bundled labelled set ...")
                entry = run_validation_entry(
                    list(zip(worker.judges(), spec.judges, strict=True)),
                    include_slow=validation.include_slow,
                    pairs=validation.pairs,
                    seed=suite.config.seed,
                )
                recorder.write(entry)
                for line in validation_lines(entry):
                    self.echo(line)
            executor = make_executor(self.executor_options, spec, local_worker=probe)
            try:
                stages = Stages(
                    suite=suite,
                    executor=executor,
                    recorder=recorder,
                    pairs=pairs,
                    folder=self.out,
                    progress=self.progress,
                    echo=self.echo,
                )
                return self._stages(stages, len(prompts), {a.id: a.name for a in attacks})
            except EndpointError as exc:
                # Everything recorded so far is in the store and the log; the unit in
                # flight has no attempt line, so a resume redoes it.
                raise type(exc)(
                    f"{exc}; the run stopped with what it found so far stored: "
                    f"rmh run --resume {self.out} continues it"
                ) from None
            finally:
                executor.close()

    def _seed(
        self,
        spec: WorkerSpec,
        store: FindingStore,
        prompts: list[PreferencePair],
        attacks: list[AttackConfig],
        horizon: int,
    ) -> tuple[WorkerSpec, LibraryRecord | None]:
        """With ``seed_from = "library"``: the spec with the store's seeds for the seedable
        attacks (``seeding``), never from a finding of the run's prompts, as of the replay
        horizon and the sightings then; said in one line. A resume reads the same library
        (the ``init`` entry has its horizon) or refuses, as for a changed checkpoint."""
        cfg = self.suite.config
        if cfg.seed_from != "library":
            return spec, None
        library, record, line = seeding.run_library(
            store,
            prompts=prompts,
            attacks=[(a.id, a.name) for a in attacks],
            limit=cfg.library_seeds,
            horizon=horizon,
            logged=self.state.init.library if self.state.init else None,
            run=self.out,
        )
        self.note(line)
        return dataclasses.replace(spec, library=library.seeds if record.attacks else ()), record

    def _initialize(
        self,
        recorder: Recorder,
        probe: Worker,
        spec: WorkerSpec,
        pairs: list[PreferencePair],
        prompts: int,
        skipped: list[tuple[str, str]],
        horizon: int,
        library: LibraryRecord | None,
    ) -> WorkerSpec:
        """Check and describe everything, write ``init`` (and the skipped attacks), then
        place the staged folder: from here on the run is one ``--resume`` continues."""
        init, spec = setup.initialize(
            probe,
            spec,
            run_id=self.run_id,
            suite=self.suite,
            config=self.config,
            pairs=pairs,
            prompts=prompts,
            replay_horizon=horizon,
            executor=self.executor_options.name,
            echo=self.echo,
            library=library,
        )
        recorder.write(init)
        for entry in setup.skip_entries(skipped):
            recorder.write(entry)
            self.echo(f"skipped attack {entry.attack}: {entry.message}")
        if self.staged is not None:  # the log says what the run is: the folder can appear
            self.staged.place()
            recorder.moved(self.out)
        return spec

    def _stages(self, stages: Stages, prompts: int, attacks: dict[str, str]) -> RunSummary:
        """Every stage in order, then the ``completion`` entry."""
        init = self.state.init
        assert init is not None  # written by _initialize, or read back on resume
        if not self.fresh:
            stages.check_fingerprints(self.config.checkpoints)
        for skip in init.skipped_attacks:
            spec = self.config.checkpoints[skip.checkpoint]
            self.echo(f"skipping {skip.attack_id} on {spec}: {skip.reason}")
        stages.recorder.begin(self.out, self.suite.name, init)
        stages.clean()
        stages.replay_before(init.replay_horizon, self.replay)
        cfg = self.suite.config
        if cfg.instability.enabled:
            stages.instabilities()
        units = plan_units(
            checkpoints=stages.checkpoints,
            attack_ids=list(attacks),
            replicates=cfg.replicates,
            prompts=prompts,
            seed=cfg.seed,
            skip={(s.checkpoint, s.attack_id) for s in init.skipped_attacks},
        )
        pending = [u for u in units if u.id not in self.state.done_units]
        if len(pending) < len(units):
            self.echo(f"resuming: {len(units) - len(pending)} of {len(units)} attempts done")
        stages.attack(pending, attacks)
        transfer = stages.transfer() if stages.checkpoints > 1 else None
        wall = datetime.now(timezone.utc) - datetime.fromisoformat(init.time)
        completion = stages.recorder.write(
            run_totals(self.state.entries).completion(
                units=len(units),
                wall_seconds=wall.total_seconds(),
                session_seconds=time.monotonic() - self.started,
            )
        )
        return summary_from(completion, self.out, self.run_id, transfer)
