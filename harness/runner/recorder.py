"""The recorder: the one code path that writes the findings store and the run log.

A killed run must lose nothing, duplicate nothing and count nothing twice, and that
depends on the order of writes. The rule lives here, once (``_store_then_log``):

1. A finding goes to the store first (one transaction), then to the log, and only then
   is anything shown: whatever a user saw, or the log counts, is in the store.
2. The store ignores a sighting it already holds (``FindingStore.record`` is idempotent
   per run and checkpoint), so a unit redone after a kill re-records harmlessly.
3. A finding the log already holds (same checkpoint and store key) is not logged again.

Replays follow the same order: sightings to the store, then ``replay`` lines, and a
replay the log holds is not redone (``pending``). Every entry written is folded into
the ``RunState``, so the stages always see what the log holds.

A finding is one record (``harness.core.finding.Finding``) that the store takes as it
is and the log's line is built from (``FindingEntry.of``); the recorder only stamps the
suite's attack id on it. It also maps what else workers return (instabilities, replay
sightings) to store records and log entries, so those shapes are defined once. What it
replays are pairs of a store id and a finding (``Replay``): before a search, the store's
own records; across checkpoints, the spellings this run logged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from attacks.base import AttackOutcome
from attacks.instability import Instability
from harness.core.finding import Finding
from harness.runlog import (
    AttemptEntry,
    Entry,
    ErrorEntry,
    FindingEntry,
    InitEntry,
    InstabilityEntry,
    ReplayEntry,
    RunLog,
)
from harness.runlog.entries import Phase
from harness.runlog.journal import Journal
from harness.runner.plan import Unit
from harness.runner.state import RunState
from harness.runner.worker import UnitResult
from harness.store import FindingStore, Recorded, Sighting

E = TypeVar("E", bound=Entry)

#: What a replay re-scores: a store id and the finding under it, as the store holds it
#: (``StoredFinding.finding``) or as this run logged it (a ``FindingEntry`` is a ``Finding``).
Replay = tuple[int, Finding]

#: Replay phase to the store's sighting source.
SIGHTING_SOURCE = {"before": "replay", "transfer": "transfer"}


def check_store(path: str | Path, timeout: float) -> None:
    """Open (create or migrate) the store once: a bad store fails before a folder is made."""
    with FindingStore.open(path, timeout=timeout):
        pass


class Recorder(Journal[RunState]):
    """Writes the store and the log for one run, in the order the module doc gives.

    A journal: ``write`` logs one entry durably and folds it into the run state;
    ``close`` closes the log only (the store belongs to whoever opened it).
    """

    def __init__(self, store: FindingStore, log: RunLog, state: RunState, run_id: str) -> None:
        super().__init__(log, state)
        self.store = store
        self.run_id = run_id

    def __repr__(self) -> str:
        return f"Recorder(run_id={self.run_id!r}, store={self.store.path!s}, log={self.log!r})"

    @property
    def fingerprints(self) -> list[str]:
        """Checkpoint fingerprints by index: store sightings are keyed by fingerprint."""
        if self.state.init is None:
            raise RuntimeError("the run has no init entry yet")
        return self.state.init.fingerprints

    # ---------------------------------------------------------------- entries
    def begin(self, folder: Path, suite: str, init: InitEntry) -> None:
        """The run and its checkpoints' labels, in the store (both idempotent)."""
        self.store.register_run(self.run_id, str(folder.resolve()), suite)
        for info in init.checkpoints:
            self.store.label_checkpoint(info["fingerprint"], info["spec"])

    # --------------------------------------------------------------- findings
    def _store_then_log(
        self,
        checkpoint: int,
        found: Sequence[Finding],
        entry_for: Callable[[int, Finding, Recorded], E],
    ) -> list[E]:
        """The durability rule: store every finding, then log those the log lacks.

        ``entry_for(index, finding, recorded)`` makes the entry of ``found[index]``.
        """
        recorded = self.store.record(
            found, run_id=self.run_id, checkpoint=self.fingerprints[checkpoint]
        )
        written = []
        for index, (finding, stored) in enumerate(zip(found, recorded, strict=True)):
            if (checkpoint, finding.key) not in self.state.logged:
                written.append(self.write(entry_for(index, finding, stored)))
        return written

    def record_unit(self, result: UnitResult, attack: str) -> int:
        """A finished unit: its findings, its error if any, then the attempt that marks it
        done. Returns how many findings were newly logged (what the progress shows)."""
        unit, outcome = result.unit, result.outcome
        fingerprint = self.fingerprints[unit.checkpoint]
        written = self._store_then_log(
            unit.checkpoint,
            [dataclasses.replace(f, attack_id=unit.attack_id) for f in outcome.findings],
            lambda _, finding, stored: FindingEntry.of(
                finding,
                checkpoint=unit.checkpoint,
                fingerprint=fingerprint,
                unit=unit.id,
                finding_id=stored.finding_id,
                exploit_id=stored.exploit_id,
                merged=stored.merged,
            ),
        )
        if outcome.error:
            self.write(
                ErrorEntry(
                    stage="attack",
                    unit=unit.id,
                    checkpoint=unit.checkpoint,
                    attack=unit.attack_id,
                    prompt_index=unit.prompt_index,
                    message=outcome.error,
                )
            )
        self.write(attempt_entry(unit, outcome, attack))
        return len(written)

    def record_probe(
        self,
        checkpoint: int,
        found: Sequence[Instability],
        *,
        pairs: int,
        queries: int,
        seconds: float,
    ) -> None:
        """The instability probe of one checkpoint: its instabilities, then its attempt."""
        self._store_then_log(
            checkpoint,
            [instability_record(i) for i in found],
            lambda i, new, stored: instability_entry(checkpoint, found[i], new, stored.finding_id),
        )
        self.write(
            AttemptEntry.probe(
                checkpoint=checkpoint,
                pairs=pairs,
                queries=queries,
                findings=len(found),
                seconds=seconds,
            )
        )

    # ----------------------------------------------------------------- replay
    def pending(
        self, items: Sequence[Replay], *, phase: Phase, source: int, checkpoint: int
    ) -> list[Replay]:
        """The replays on ``checkpoint`` that the log does not hold yet."""
        done = self.state.replayed
        return [i for i in items if (phase, source, checkpoint, i[0]) not in done]

    def record_replays(
        self,
        items: Sequence[Replay],
        sightings: Sequence[Sighting],
        *,
        phase: Phase,
        source: int,
        checkpoint: int,
        previous: Mapping[int, bool],
    ) -> list[ReplayEntry]:
        """Replay sightings to the store, then one ``replay`` line each."""
        fingerprint = self.fingerprints[checkpoint]
        self.store.record_replay(
            sightings, run_id=self.run_id, checkpoint=fingerprint, source=SIGHTING_SOURCE[phase]
        )
        return [
            self.write(
                ReplayEntry(
                    phase=phase,
                    source=source,
                    checkpoint=checkpoint,
                    fingerprint=fingerprint,
                    finding_id=finding_id,
                    key=finding.key,
                    family=finding.family,
                    attack=finding.attack,
                    prompt=finding.prompt,
                    text=finding.text,
                    score=sighting.score,
                    reference_score=sighting.reference_score,
                    margin=sighting.score - sighting.reference_score,
                    open=sighting.is_open,
                    was_open=previous.get(finding_id),
                )
            )
            for (finding_id, finding), sighting in zip(items, sightings, strict=True)
        ]


# ---------------------------------------------------------------- mappings
def instability_record(i: Instability) -> Finding:
    """An instability as a finding (kind ``instability``; the edited side is the "text",
    its unedited self the "reference", the pair the ``detail``)."""
    chosen = i.side == "chosen"
    before = i.chosen_score if chosen else i.rejected_score
    return Finding(
        kind="instability",
        prompt=i.prompt,
        reference=i.chosen if chosen else i.rejected,
        text=i.perturbed,
        family="instability",
        attack=i.perturbation,
        reasons=(
            f"{i.side} edited by {i.perturbation}: "
            f"{before:.3f} -> {i.perturbed_score:.3f} flips the pair",
        ),
        score=i.perturbed_score,
        reference_score=before,
        detail=dataclasses.asdict(i),
    )


def instability_entry(
    checkpoint: int, i: Instability, finding: Finding, finding_id: int
) -> InstabilityEntry:
    """The log line of instability ``i`` (stored as ``finding`` under ``finding_id``)."""
    scores = {  # plain JSON values: a scorer's numpy scalars are not
        "chosen_score": float(i.chosen_score),
        "rejected_score": float(i.rejected_score),
        "perturbed_score": float(i.perturbed_score),
    }
    return InstabilityEntry(
        **(dataclasses.asdict(i) | scores),
        checkpoint=checkpoint,
        finding_id=finding_id,
        key=finding.key,
    )


def attempt_entry(unit: Unit, outcome: AttackOutcome, attack: str) -> AttemptEntry:
    """The line that marks ``unit`` done, with what its search spent and reached.

    ``findings`` are the kept ones; ``crossed`` and ``first_finding_queries`` count every
    finding the search made, kept or not (``attacks.base.keep_diverse``).
    """
    return AttemptEntry(
        unit=unit.id,
        checkpoint=unit.checkpoint,
        attack_id=unit.attack_id,
        attack=attack,
        family=outcome.family,
        replicate=unit.replicate,
        prompt_index=unit.prompt_index,
        prompt=outcome.prompt,
        seed=unit.seed,
        budget=outcome.budget,
        queries=outcome.queries,
        evaluated=outcome.evaluated,
        reference_score=float(outcome.reference_score),
        best_score=_finite(outcome.best_score),
        best_margin=_finite(outcome.best_margin),
        findings=len(outcome.findings),
        crossed=outcome.crossed,
        searched_findings=len(outcome.searched_findings),
        first_finding_queries=outcome.first_finding_queries,
        seconds=outcome.seconds,
        error=outcome.error is not None,
        lm_tokens=outcome.lm_tokens,
        surrogate_queries=outcome.surrogate_queries,
        detail=dict(outcome.detail),
    )


def _finite(value: float) -> float | None:
    """NaN and infinities are not JSON: an attack that scored nothing has no best."""
    return float(value) if math.isfinite(value) else None
