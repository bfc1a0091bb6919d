"""Budget calibration: each trained family's fresh-attack budget, chosen before round 0.

A round-0 fresh ASR near 0 or 1 can answer nothing (a floor or a ceiling: nothing can
fall from 0, nothing can rise from 1), and the suite's budgets were written for some
other model. So before round 0 the experiment runs each trained family on the *attack*
prompts (never the evaluation prompts, whose numbers the verdict reads) at a few
budgets on a doubling ladder (``budget_ladder.py``) and keeps the first whose ASR lies
in 0.3-0.7, or the closest when none up to ``ExperimentConfig.calibration_cap`` times
the suite's does; then the floor rule speaks. Every round's suite, round 0's and every
arm's, uses the kept budgets (``roundsuite.py``); held-out families keep the suite's.

Measured as a run measures: the starting checkpoint and the suite's judges, calibrated
on the experiment's prompt file exactly as round 0's run calibrates them; one attempt
per attack, replicate and attack prompt, each with a fresh scorer and its own budget
(the runner's ``Worker``); ASR is attempts that kept a finding over attempts that did
not raise (``outcomes.py``'s fresh ASR). An attack that cannot search the checkpoint, or
whose optional extra is missing, is left out as the run leaves it out. The attempts are
seeded from the experiment seed through a calibration seed of their own (no round
shares it), and every rung reuses the same seeds, so a larger budget extends the same
searches rather than drawing new ones. Calibration runs in this process whatever the
executor.

The ``calibration`` entry records every rung (budgets, ASR k/n, queries) and the
budgets kept; it is written before round 0. **Resume**: done when the entry is there; a
kill in the middle recomputes it from its seed (cheap, and the same numbers).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from harness.core.data import PreferencePair, read_pairs
from harness.experiments.rounds.augment import round_seed
from harness.experiments.rounds.budget_ladder import (
    HIGH,
    LOW,
    FamilyBudget,
    Tally,
    budgets_at,
    climb,
    ladder_multiples,
)
from harness.experiments.rounds.experiment_folder import DATA_DIR
from harness.experiments.rounds.experiment_journal import ExperimentJournal
from harness.experiments.rounds.experiment_log import CalibrationEntry
from harness.experiments.rounds.experiment_state import ZERO
from harness.judges import resolve_checkpoints
from harness.models import LoadOptions
from harness.runner.init import available_attacks, checkpoint_spec, resolved_params
from harness.runner.plan import Unit, unit_seed
from harness.runner.worker import Worker, WorkerSpec
from harness.suite import AttackConfig

__all__ = ["calibrate_budgets", "calibration_seed"]

CHECKPOINT = 0  # the one checkpoint calibration attacks: the starting one


def calibration_seed(seed: int) -> int:
    """The calibration's seed: derived from the experiment seed, shared with no round."""
    return round_seed(seed, 0, "calibration") % 2**31


def calibrate_budgets(journal: ExperimentJournal) -> None:
    """Log the ``calibration`` entry unless the log has it (or calibration is off, or
    round 0 already ran without one); echo one line per family, as each is done (or, on
    a resume, as the log has them)."""
    state = journal.state
    if not journal.config.calibrate:
        return
    if state.calibration is not None:
        for family in state.calibration.families:
            journal.echo(family.line())
    elif ZERO not in state.rounds:  # a round 0 run without it keeps the suite's budgets
        journal.echo(
            f"calibrating the budgets of the trained families "
            f"({', '.join(journal.init.trained_families)}) on the attack prompts: fresh ASR "
            f"in {float(LOW):g}-{float(HIGH):g}, up to x{journal.config.calibration_cap} ..."
        )
        journal.write(_calibration(journal))


def _calibration(journal: ExperimentJournal) -> CalibrationEntry:
    started = time.monotonic()
    init, cap = journal.init, journal.config.calibration_cap
    prompts = _attack_prompts(journal)
    seed = calibration_seed(init.seed)
    attacks, _ = available_attacks(journal.suite)
    trained = {a.id: a for a in attacks if _family(a) in init.trained_families}
    rungs = _rungs(list(trained.values()), cap)
    worker = _worker(journal, prompts, rungs)
    for key, _name, _why in worker.inaccessible(CHECKPOINT):  # as the run skips it
        trained.pop(rungs[key][0].id, None)
    replicates = journal.suite.config.replicates

    def measure(budgets: dict[str, int]) -> Tally:
        return _tally(worker, budgets, len(prompts), seed, replicates)

    families: list[FamilyBudget] = []
    for family in init.trained_families:
        base = {a.id: a.budget for a in trained.values() if _family(a) == family}
        if base:
            families.append(climb(family, base, measure, cap=cap))
            journal.echo(families[-1].line())
    return CalibrationEntry(
        seed=seed,
        prompts=len(prompts),
        low=float(LOW),
        high=float(HIGH),
        cap=cap,
        families=tuple(families),
        budgets={a: b for f in families for a, b in f.budgets.items()},
        queries=sum(f.queries for f in families),
        seconds=round(time.monotonic() - started, 3),
    )


def _family(attack: AttackConfig) -> str:
    from attacks.registry import get_attack

    return get_attack(attack.name).family


def _attack_prompts(journal: ExperimentJournal) -> list[PreferencePair]:
    """One pair per attack prompt (its ``chosen`` is the reference), in file order."""
    distinct: dict[str, PreferencePair] = {}
    for pair in read_pairs(journal.out / DATA_DIR / "attack.jsonl"):
        distinct.setdefault(pair.prompt, pair)
    return list(distinct.values())


def _key(attack_id: str, budget: int) -> str:
    """The worker's name for an attack at one budget (a worker fixes each attack's budget)."""
    return f"{attack_id}@{budget}"


def _rungs(attacks: Sequence[AttackConfig], cap: int) -> dict[str, tuple[AttackConfig, int]]:
    """Every trained attack at every budget the ladder can reach, by its worker name."""
    return {
        _key(a.id, budget): (a, budget)
        for a in attacks
        for m in ladder_multiples(cap)
        for budget in budgets_at({a.id: a.budget}, m).values()
    }


def _worker(
    journal: ExperimentJournal,
    prompts: Sequence[PreferencePair],
    rungs: dict[str, tuple[AttackConfig, int]],
) -> Worker:
    """A worker on the starting checkpoint that knows every attack of ``rungs``, with the
    judges as round 0's run will calibrate them (on the same pairs, so the same values)."""
    cfg = journal.suite.config
    spec = WorkerSpec(
        checkpoints=(checkpoint_spec(journal.init.checkpoint),),
        options=LoadOptions(),
        prompts=tuple(prompts),
        attacks=tuple(
            (key, a.name, resolved_params(a), budget) for key, (a, budget) in rungs.items()
        ),
        margin=cfg.margin,
        judges=tuple(resolve_checkpoints(j, checkpoint_spec) for j in journal.suite.judge_specs()),
        batch_size=journal.config.batch_size,
        keep=cfg.keep,
    )
    worker = Worker(spec)
    worker.check_judges(CHECKPOINT)
    judges = worker.calibrate_judges(read_pairs(journal.prompts_file))
    worker.reconfigure(dataclasses.replace(spec, judges=judges))
    return worker


def _tally(
    worker: Worker, budgets: dict[str, int], prompts: int, seed: int, replicates: int
) -> Tally:
    """Every attack of a family at ``budgets``, on every attack prompt and replicate.

    Unit seeds as a run derives them (``plan.unit_seed``), from the calibration seed and
    the attack's own id, so they do not depend on the budget.
    """
    successes = attempts = queries = 0
    for attack_id, budget in budgets.items():
        for replicate in range(replicates):
            for index in range(prompts):
                seed_of = unit_seed(seed + replicate, attack_id, replicate, index)
                unit = Unit(CHECKPOINT, _key(attack_id, budget), replicate, index, seed_of)
                outcome = worker.run_unit(unit).outcome
                queries += outcome.queries
                if outcome.error is None:
                    attempts += 1
                    successes += bool(outcome.findings)
    return Tally(successes, attempts, queries)
