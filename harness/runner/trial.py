"""One attack tried by hand (``rmh attack``): a one-attack run in memory.

No run folder, store or log, but the runner's parts, so that a try by hand loads, judges,
checks and counts exactly as a run would:

- the ``Worker`` (``worker.py``) loads the checkpoint and the judges' models (with the
  same load options), refuses a judge that is the attacked model, calibrates the judges
  on the prompts as ``init`` calibrates a run's on its pairs, and does each attempt as a
  unit (a fresh scorer with the attack's budget);
- the access check is the run's (``Worker.inaccessible``); an attack asked for by name
  that cannot search the checkpoint is refused, where a run skips it;
- each attempt is recorded as a run records it (``recorder.attempt_entry``), so the
  success rate is a run's ASR (``AttemptEntry.succeeded``: crashes are errors, apart).

Prompts are attacked in file order, prompt ``i`` with seed ``seed + i``: ``rmh attack
--seed`` has always meant that (a run derives its seeds from the unit's coordinates).

Example::

    trial = Trial.prepare(TrialSpec(checkpoint="ckpt/", attack="repetition", params={},
                                    budget=200, prompts=pairs, seed=0))
    for attempt in trial.attempts(baseline=True):
        print(attempt.entry.best_margin, attempt.outcome.findings)
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attacks.registry import resolve_attack_checkpoints
from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.core.exploit_seeds import ExploitSeed
from harness.core.finding import DEFAULT_KEEP
from harness.judges import JudgeSpec, resolve_checkpoints
from harness.models import LoadOptions
from harness.runlog import AttemptEntry
from harness.runner.init import checkpoint_spec
from harness.runner.plan import Unit
from harness.runner.recorder import attempt_entry
from harness.runner.worker import Worker, WorkerSpec

if TYPE_CHECKING:
    from attacks.base import AttackOutcome
    from attacks.chance import RandomBaseline
    from harness.models import RewardModel

CHECKPOINT = 0  # the one checkpoint a trial attacks


@dataclass(frozen=True)
class TrialSpec:
    """What ``rmh attack`` asks: one attack with its parameters and budget, on prompts."""

    checkpoint: str  # as the user gave it (messages name it so)
    attack: str  # registry name
    params: dict[str, Any]
    budget: int  # queries per prompt
    prompts: tuple[PreferencePair, ...]
    seed: int = 0
    margin: float = 0.0
    keep: int = DEFAULT_KEEP
    gold: str | None = None  # a gold-RM judge's checkpoint, besides the heuristic judge
    judges: tuple[JudgeSpec, ...] = ()  # more judges (``--judge``); one named as above replaces it
    options: LoadOptions = field(default_factory=LoadOptions)  # the checkpoint's and gold's
    batch_size: int = DEFAULT_BATCH_SIZE
    # Stored exploits the search starts from (``rmh attack --library``: ``seeding``), best
    # first, none found on a prompt of ``prompts``; only a seedable attack takes them.
    library: tuple[ExploitSeed, ...] = ()

    def __post_init__(self) -> None:
        if self.library:
            from attacks.registry import get_attack

            if not get_attack(self.attack).seedable:
                raise HarnessError(
                    f"attack {self.attack!r} cannot start from library seeds; those that "
                    f"can: {', '.join(seedable_attacks())}"
                )

    def judge_specs(self) -> list[JudgeSpec]:
        """The judges a suite with ``[judges.heuristic]`` (and ``[judges.gold-rm]``, margin
        calibrated, and ``judges``) would build, checkpoints resolved as a run resolves
        them. A judge of ``judges`` with the name of a default one takes its place."""
        specs = [JudgeSpec("heuristic")]
        if self.gold is not None:
            specs.append(JudgeSpec("gold-rm", {"checkpoint": self.gold, "margin": "calibrate"}))
        named = {spec.name: spec for spec in self.judges}
        specs = [named.pop(spec.name, spec) for spec in specs] + list(named.values())
        return [resolve_checkpoints(spec, checkpoint_spec) for spec in specs]

    def worker_spec(self) -> WorkerSpec:
        """The worker's spec; the attack's checkpoint parameters (a transfer's surrogate)
        resolved as the judges' are."""
        params = resolve_attack_checkpoints(self.attack, self.params, checkpoint_spec)
        return WorkerSpec(
            checkpoints=(checkpoint_spec(self.checkpoint),),
            options=self.options,
            prompts=self.prompts,
            attacks=((self.attack, self.attack, params, self.budget),),
            margin=self.margin,
            judges=tuple(self.judge_specs()),
            batch_size=self.batch_size,
            judge_options=self.options,
            keep=self.keep,
            library=self.library,
        )


def seedable_attacks() -> list[str]:
    """The registered attacks that can start from given texts (``Attack.seedable``)."""
    from attacks.registry import all_attacks

    return [name for name, cls in all_attacks().items() if cls.seedable]


def library_findings(outcome: AttackOutcome) -> int:
    """How many of an attempt's findings (kept or not) were library seeds as placed, not
    made by the search (``AttackContext.start_from`` counts them)."""
    starts = outcome.detail.get("starts", {})
    return int(starts.get("findings", 0)) if starts.get("label") == "library" else 0


@dataclass(frozen=True)
class TrialAttempt:
    """One prompt attacked: what the attack did, its ``attempt`` record, and the random
    baseline at the same budget when asked for."""

    index: int
    pair: PreferencePair
    outcome: AttackOutcome
    entry: AttemptEntry
    baseline: RandomBaseline | None = None


@dataclass(frozen=True)
class TrialTotals:
    """The attempts added up as a run's ASR counts them."""

    attempts: int
    ran: int  # attempts that did not crash: the ASR's denominator
    succeeded: int  # of those, the ones that kept a finding
    searched: int  # of those, the ones whose search (not the starting point) crossed
    seeded: int  # of those, the ones where a library seed, as placed, crossed
    library_findings: int  # findings that were library seeds as placed (kept or not)
    searched_findings: int  # findings the search made (kept or not)
    median_first_queries: float | None  # queries to the first finding, attempts with one
    errors: int
    queries: int
    lm_tokens: int  # generated by the attack's language model, if it has one (not queries)
    surrogate_queries: int = 0  # paid to a transfer's local surrogate (not to the checkpoint)

    @classmethod
    def of(cls, attempts: Sequence[TrialAttempt]) -> TrialTotals:
        ran = [a for a in attempts if not a.entry.error]
        firsts = [
            a.outcome.first_finding_queries
            for a in ran
            if a.outcome.first_finding_queries is not None
        ]
        return cls(
            attempts=len(attempts),
            ran=len(ran),
            succeeded=sum(a.entry.succeeded for a in ran),
            searched=sum(a.outcome.searched_crossed > 0 for a in ran),
            seeded=sum(library_findings(a.outcome) > 0 for a in ran),
            library_findings=sum(library_findings(a.outcome) for a in ran),
            searched_findings=sum(a.outcome.searched_crossed for a in ran),
            median_first_queries=statistics.median(firsts) if firsts else None,
            errors=len(attempts) - len(ran),
            queries=sum(a.entry.queries for a in attempts),
            lm_tokens=sum(a.entry.lm_tokens for a in attempts),
            surrogate_queries=sum(a.entry.surrogate_queries for a in attempts),
        )


class Trial:
    """A worker set up for one attack on one checkpoint: loaded, checked and calibrated."""

    def __init__(self, spec: TrialSpec, worker: Worker) -> None:
        self.spec = spec
        self.worker = worker

    def __repr__(self) -> str:
        return f"Trial(attack={self.spec.attack!r}, prompts={len(self.spec.prompts)})"

    @classmethod
    def prepare(cls, spec: TrialSpec) -> Trial:
        """Load the checkpoint and the judges, check them, calibrate the judges.

        A one-line error when the attack cannot search the checkpoint or refuses it (a
        transfer's surrogate that is the checkpoint), or a judge is the attacked model:
        all before any query.
        """
        worker = Worker(spec.worker_spec())
        for _, name, why in worker.inaccessible(CHECKPOINT):
            if why.startswith("white-box"):
                raise HarnessError(f"attack {name!r} needs gradients; {spec.checkpoint} gives none")
            raise HarnessError(f"attack {name!r} cannot search {spec.checkpoint}: {why}")
        worker.check_judges(CHECKPOINT)
        worker.check_attacks(CHECKPOINT)
        calibrated = worker.calibrate_judges(list(spec.prompts))
        worker.reconfigure(dataclasses.replace(worker.spec, judges=calibrated))
        return cls(spec, worker)

    @property
    def judges(self) -> tuple[JudgeSpec, ...]:
        """The judges' specs, calibrated values fixed."""
        return self.worker.spec.judges

    def models(self) -> list[RewardModel]:
        """The attacked model, then the judges' models, each once."""
        models = [self.worker.model(CHECKPOINT)]
        for judge in self.worker.judges():
            for scorer in judge.rm_scorers():
                if all(scorer.model is not m for m in models):
                    models.append(scorer.model)
        return models

    def attempts(self, *, baseline: bool) -> Iterator[TrialAttempt]:
        """Each prompt attacked in turn (and, with ``baseline``, random soups at its budget)."""
        for index, pair in enumerate(self.spec.prompts):
            seed = self.spec.seed + index
            unit = Unit(CHECKPOINT, self.spec.attack, 0, index, seed)
            outcome = self.worker.run_unit(unit).outcome
            base = (
                self.worker.random_baseline(CHECKPOINT, index, budget=self.spec.budget, seed=seed)
                if baseline
                else None
            )
            entry = attempt_entry(unit, outcome, self.spec.attack)
            yield TrialAttempt(index, pair, outcome, entry, base)
