"""The worker: loads the models once and does units, replays and probes on request.

The local executor runs one worker in the main process; the Ray executor runs one per
actor. A worker never writes the store or the run log: it returns results to the one
process that does, so durability and dedup live in one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attacks.base import Attack, AttackOutcome
from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges import EnsembleJudge, GoldRMJudge, HeuristicJudge, Judge
from harness.models import LoadOptions, RewardModel, load_reward_model
from harness.runner.plan import Unit
from harness.scoring import Scorer


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, picklable (it travels to Ray actors)."""

    checkpoints: tuple[str, ...]
    options: LoadOptions
    prompts: tuple[PreferencePair, ...]
    attacks: tuple[tuple[str, str, dict[str, Any], int], ...]  # (id, name, params, budget)
    margin: float
    heuristic: bool
    gold: str | None
    gold_margin: float | None
    ensemble: tuple[str, ...] = ()
    ensemble_quorum: float = 0.5
    batch_size: int = 64
    judge_options: LoadOptions = field(default_factory=LoadOptions)


@dataclass
class UnitResult:
    unit: Unit
    outcome: AttackOutcome


class Worker:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._models: dict[int, RewardModel] = {}
        self._attacks: dict[str, tuple[Attack, int]] = {}
        for attack_id, name, params, budget in spec.attacks:
            from attacks.registry import get_attack

            self._attacks[attack_id] = (get_attack(name)(**params), budget)
        self._gold: Scorer | None = None
        self._judges: list[Judge] | None = None

    def reconfigure(self, spec: WorkerSpec) -> None:
        """Take a new spec (e.g. with the calibrated gold margin); loaded models stay."""
        if spec.checkpoints != self.spec.checkpoints or spec.gold != self.spec.gold:
            self._models.clear()
            self._gold = None
        self.spec = spec
        self._judges = None

    # ------------------------------------------------------------------ models
    def model(self, checkpoint: int) -> RewardModel:
        if checkpoint not in self._models:
            self._models[checkpoint] = load_reward_model(
                self.spec.checkpoints[checkpoint], self.spec.options
            )
        return self._models[checkpoint]

    def describe(self, checkpoint: int) -> dict[str, Any]:
        model = self.model(checkpoint)
        info = dict(model.describe())
        info.setdefault("fingerprint", model.fingerprint)
        info["spec"] = self.spec.checkpoints[checkpoint]
        return info

    def _scorer(self, checkpoint: int, budget: int | None = None) -> Scorer:
        """A fresh scorer (own cache, own budget): units must not depend on each other."""
        return Scorer(self.model(checkpoint), batch_size=self.spec.batch_size, budget=budget)

    def gold_scorer(self) -> Scorer | None:
        if self.spec.gold and self._gold is None:
            model = load_reward_model(self.spec.gold, self.spec.judge_options)
            self._gold = Scorer(model, batch_size=self.spec.batch_size)
        return self._gold

    def judges(self) -> list[Judge]:
        if self._judges is None:
            judges: list[Judge] = [HeuristicJudge()] if self.spec.heuristic else []
            gold = self.gold_scorer()
            if gold is not None:
                judges.append(GoldRMJudge(gold, margin=self.spec.gold_margin or 0.0))
            if self.spec.ensemble:
                scorers = [
                    Scorer(load_reward_model(p, self.spec.judge_options), self.spec.batch_size)
                    for p in self.spec.ensemble
                ]
                judges.append(EnsembleJudge(scorers, quorum=self.spec.ensemble_quorum))
            self._judges = judges
        return self._judges

    def check_judges(self, checkpoint: int) -> None:
        """A judge must not be the attacked model itself."""
        attacked = self.model(checkpoint).fingerprint
        for judge in self.judges():
            scorers = [getattr(judge, "scorer", None), *getattr(judge, "scorers", ())]
            if any(s is not None and s.model.fingerprint == attacked for s in scorers):
                raise HarnessError(
                    f"judge {judge.name!r} uses the attacked checkpoint "
                    f"{self.spec.checkpoints[checkpoint]}; a judge must be independent"
                )

    # ------------------------------------------------------------------- work
    def calibrate_gold(self, pairs: list[PreferencePair]) -> float | None:
        from harness.judges import calibrate_gold_margin

        gold = self.gold_scorer()
        return None if gold is None else calibrate_gold_margin(gold, pairs)

    def run_units(self, units: list[Unit]) -> list[UnitResult]:
        return [self.run_unit(unit) for unit in units]

    def run_unit(self, unit: Unit) -> UnitResult:
        attack, budget = self._attacks[unit.attack_id]
        pair = self.spec.prompts[unit.prompt_index]
        outcome = attack.run(
            self._scorer(unit.checkpoint),
            pair.prompt,
            pair.chosen,
            budget=budget,
            seed=unit.seed,
            judges=self.judges(),
            margin=self.spec.margin,
        )
        return UnitResult(unit, outcome)

    def score(self, checkpoint: int, prompts: list[str], responses: list[str]) -> np.ndarray:
        return self._scorer(checkpoint).score(prompts, responses)

    def clean(self, checkpoint: int, pairs: list[PreferencePair]) -> dict[str, Any]:
        """Held-out pairwise accuracy and the chance rate: robustness is read beside these."""
        from attacks.chance import chance_rate
        from harness.scoring.accuracy import pairwise_accuracy

        scorer = self._scorer(checkpoint)
        accuracy = pairwise_accuracy(scorer, pairs)
        chance = chance_rate(scorer, pairs)
        return {
            "accuracy": dataclasses.asdict(accuracy),
            "chance": dataclasses.asdict(chance),
            "queries": scorer.stats.queries,
        }

    def instabilities(
        self, checkpoint: int, pairs: list[PreferencePair], perturbations: list[str], seed: int
    ) -> tuple[list[Any], int]:
        from attacks.instability import probe_pairs

        scorer = self._scorer(checkpoint)
        found = probe_pairs(scorer, pairs, perturbations=perturbations or None, seed=seed)
        return found, scorer.stats.queries
