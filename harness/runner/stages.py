"""The stages of a run, in order: clean, replay, instability, attack, transfer.

Each stage asks an executor for work, hands what comes back to the recorder (store, then
log), and only then tells the user. Each skips what the run state says the log already
holds, so a resumed run picks up where the killed one stopped:

- ``clean``: held-out pairwise accuracy and chance rate per checkpoint, read beside every
  robustness number (a model that ranks nothing right is trivially "robust").
- ``replay_before``: the exploits stored before the run, re-scored on each checkpoint
  before any search: are old holes still open, and did a closed one reopen? By default
  one representative per exploit and prompt (``FindingStore.representatives`` as of the
  run's horizon, the same ids on every resume); ``all`` replays every stored finding.
- ``instabilities``: meaning-preserving edits that flip preference pairs.
- ``attack``: the units (attack x prompt x replicate x checkpoint) not yet done.
- ``transfer``: with several checkpoints, this run's findings from each re-scored on the
  others, written as ``transfer.csv``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.models.http.identity import same_model
from harness.runlog import CleanEntry, ReplayEntry, ReplayMode
from harness.runlog.entries import AccuracyRecord, ChanceRecord, Phase, probe_unit
from harness.runlog.metrics import transfer_matrix
from harness.runner.executors import Executor
from harness.runner.plan import Unit
from harness.runner.progress import Mode, Progress
from harness.runner.recorder import Recorder, Replay
from harness.scoring import outscores
from harness.store import Sighting
from harness.suite import Suite

TRANSFER_NAME = "transfer.csv"
REPLAY_CHUNK = 512  # findings scored per executor call (each scores twice as many texts)


@dataclass
class Stages:
    """What every stage works with: the suite, where work runs, and where results go."""

    suite: Suite
    executor: Executor
    recorder: Recorder
    pairs: list[PreferencePair]  # the suite's data (clean metrics, instability probe)
    folder: Path
    progress: Mode
    echo: Callable[[str], None]

    @property
    def checkpoints(self) -> int:
        """How many checkpoints the run attacks (as its ``init`` entry lists them)."""
        return len(self.recorder.fingerprints)

    def check_fingerprints(self, specs: Sequence[str]) -> None:
        """On resume: the checkpoints must be the ones the run started with.

        A served model identified by a probe is compared by its probe scores, within
        serving noise (``same_model``), not by the hash of their rounding.
        """
        init = self.recorder.state.init
        assert init is not None  # read back from the log being resumed
        for c, logged in enumerate(init.checkpoints):
            if not same_model(logged, self.executor.describe(c)):
                raise HarnessError(
                    f"checkpoint {specs[c]} changed since the run started "
                    "(fingerprint differs); start a new run"
                )

    # ------------------------------------------------------------------ clean
    def clean(self) -> None:
        """Held-out accuracy and chance rate per checkpoint not yet measured."""
        for c in range(self.checkpoints):
            if c in self.recorder.state.clean_done:
                continue
            clean = self.executor.clean(c, self.pairs)
            entry = self.recorder.write(
                CleanEntry(
                    checkpoint=c,
                    fingerprint=self.recorder.fingerprints[c],
                    accuracy=AccuracyRecord.from_json(dataclasses.asdict(clean.accuracy)),
                    chance=ChanceRecord.from_json(dataclasses.asdict(clean.chance)),
                    accuracy_by_prompt=clean.accuracy_by_prompt,
                    chance_by_prompt=clean.chance_by_prompt,
                    queries=clean.queries,
                )
            )
            self.echo(
                f"checkpoint {c}: held-out accuracy {entry.accuracy.accuracy:.1%} "
                f"(n={entry.accuracy.n}), chance rate {entry.chance.rate:.1%}"
            )

    # ----------------------------------------------------------------- replay
    def _replay(
        self, items: list[Replay], *, phase: Phase, source: int, checkpoint: int
    ) -> list[ReplayEntry]:
        """Replay ``items`` on ``checkpoint``, in chunks, skipping what the log holds.

        A chunk with anything left to log is scored whole, as a run that was never killed
        scored it: a score depends in its last bits on the batch it is scored in, so a
        resume that scored only the rest of a chunk would log other numbers than the
        store holds. Only its pending items are recorded.
        """
        recorder = self.recorder
        pending = recorder.pending(items, phase=phase, source=source, checkpoint=checkpoint)
        left = {finding_id for finding_id, _ in pending}
        previous = (
            recorder.store.previous_status([i for i, _ in pending], before_run=recorder.run_id)
            if phase == "before"
            else {}
        )
        margin = self.suite.config.margin
        entries: list[ReplayEntry] = []
        for start in range(0, len(items), REPLAY_CHUNK):
            chunk = items[start : start + REPLAY_CHUNK]
            if not any(finding_id in left for finding_id, _ in chunk):
                continue
            found = [finding for _, finding in chunk]
            prompts = [f.prompt for f in found] * 2
            responses = [f.text for f in found] + [f.reference for f in found]
            scores = self.executor.score(checkpoint, prompts, responses)
            todo, sightings = [], []
            for k, (finding_id, finding) in enumerate(chunk):
                if finding_id not in left:
                    continue
                score, ref = float(scores[k]), float(scores[len(chunk) + k])
                is_open = outscores(score, ref, margin)
                todo.append((finding_id, finding))
                sightings.append(Sighting(finding_id, score, ref, is_open))
            entries += recorder.record_replays(
                todo,
                sightings,
                phase=phase,
                source=source,
                checkpoint=checkpoint,
                previous=previous,
            )
        return entries

    def replay_before(self, horizon: int, mode: ReplayMode = "representatives") -> None:
        """What was stored before the run (ids up to ``horizon``), on every checkpoint.

        ``representatives``: a whole exploit is one finding per prompt, so a trick found
        in a thousand spellings costs as many replays as prompts it beat, not a thousand.
        """
        store = self.recorder.store
        if mode == "all":
            stored = store.findings(kind="finding", up_to_id=horizon)
            what = f"{len(stored)} stored findings"
        else:
            stored = store.representatives(kind="finding", up_to_id=horizon)
            exploits = len({item.exploit_id for item in stored})
            what = f"{len(stored)} representatives of {exploits} stored exploits"
        if not stored:
            return
        items = [(item.id, item.finding) for item in stored]
        for c in range(self.checkpoints):
            self.echo(f"replaying {what} on checkpoint {c} ...")
            entries = self._replay(items, phase="before", source=-1, checkpoint=c)
            still = sum(e.open for e in entries)
            reopened = sum(e.status == "reopened" for e in entries)
            if entries:
                self.echo(
                    f"  {still}/{len(entries)} still open, {len(entries) - still} closed, "
                    f"{reopened} reopened"
                )

    # ---------------------------------------------------------------- probes
    def instabilities(self) -> None:
        """The instability probe of each checkpoint not yet probed (one unit each)."""
        cfg = self.suite.config.instability
        pairs = self.pairs[: cfg.pairs]
        for c in range(self.checkpoints):
            if probe_unit(c) in self.recorder.state.done_units:
                continue
            started = time.monotonic()
            found, queries = self.executor.instabilities(
                c, pairs, list(cfg.perturbations), self.suite.config.seed
            )
            self.recorder.record_probe(
                c, found, pairs=len(pairs), queries=queries, seconds=time.monotonic() - started
            )
            self.echo(f"checkpoint {c}: {len(found)} instabilities over {len(pairs)} pairs")

    # ---------------------------------------------------------------- attack
    def attack(self, pending: list[Unit], attacks: dict[str, str]) -> None:
        """Run ``pending`` units; ``attacks`` maps suite attack ids to registry names."""
        if not pending:
            return
        progress = Progress(len(pending), mode=self.progress, echo=self.echo)
        try:
            for result in self.executor.run(pending):
                new = self.recorder.record_unit(result, attacks[result.unit.attack_id])
                progress.update(
                    attack=result.unit.attack_id,
                    prompt_index=result.unit.prompt_index,
                    queries=result.outcome.queries,
                    findings=new,
                )
        finally:
            progress.close()

    # -------------------------------------------------------------- transfer
    def transfer(self) -> pd.DataFrame:
        """Each checkpoint's findings from this run, re-scored on every other checkpoint."""
        n = self.checkpoints
        for source in range(n):
            items = [(f.finding_id, f) for f in self.recorder.state.findings_on(source)]
            for target in range(n):
                if target != source and items:
                    self._replay(items, phase="transfer", source=source, checkpoint=target)
        matrix = transfer_matrix(self.recorder.state.entries, n)
        matrix.to_csv(self.folder / TRANSFER_NAME)
        return matrix
