"""The worker: loads the models once and does units, replays and probes on request.

The local executor runs one worker in the main process; the Ray executor runs one per
actor. A worker never writes the store or the run log: it returns results to the one
process that does, so durability and dedup live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from attacks.base import Attack, AttackOutcome
from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.core.exploit_seeds import ExploitSeed
from harness.core.finding import DEFAULT_KEEP
from harness.judges import Judge, JudgeSpec, build_judges, calibrate_judges
from harness.models import LoadOptions, RewardModel, load_reward_model
from harness.runner.plan import Unit
from harness.scoring import Scorer

if TYPE_CHECKING:
    from attacks.chance import ChanceRate, RandomBaseline
    from attacks.instability import Instability
    from harness.scoring.accuracy import PairwiseAccuracy


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, picklable (it travels to Ray actors)."""

    checkpoints: tuple[str, ...]
    options: LoadOptions
    prompts: tuple[PreferencePair, ...]
    attacks: tuple[tuple[str, str, dict[str, Any], int], ...]  # (id, name, params, budget)
    margin: float
    judges: tuple[JudgeSpec, ...]  # checkpoints resolved; calibrated values once init is written
    batch_size: int = DEFAULT_BATCH_SIZE
    judge_options: LoadOptions = field(default_factory=LoadOptions)
    keep: int = DEFAULT_KEEP  # the suite's ``keep``: findings kept per attempt
    # Stored exploits that seedable searches start from (``seed_from = "library"``), best
    # first; none of them found on a prompt of ``prompts``.
    library: tuple[ExploitSeed, ...] = ()


@dataclass
class UnitResult:
    unit: Unit
    outcome: AttackOutcome


@dataclass(frozen=True)
class CleanMeasurement:
    """A checkpoint's clean metrics, as the ``clean`` stage logs them."""

    accuracy: PairwiseAccuracy
    chance: ChanceRate
    accuracy_by_prompt: dict[str, tuple[int, int]]  # ``(pairs ranked right, pairs)``
    chance_by_prompt: dict[str, tuple[int, int]]  # ``(soups that won, soups)``
    queries: int


class Worker:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._models: dict[int, RewardModel] = {}
        self._attacks: dict[str, tuple[Attack, int]] = {}
        for attack_id, name, params, budget in spec.attacks:
            from attacks.registry import get_attack

            self._attacks[attack_id] = (get_attack(name)(**params), budget)
        self._judge_scorers: dict[str, Scorer] = {}
        self._judges: list[Judge] | None = None

    def reconfigure(self, spec: WorkerSpec) -> None:
        """Take a new spec (e.g. with the calibrated gold margin); loaded models stay."""
        if spec.checkpoints != self.spec.checkpoints:
            self._models.clear()
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

    def judge_scorer(self, spec: str) -> Scorer:
        """A judge's reward model, loaded once per worker whatever judge asks for it."""
        if spec not in self._judge_scorers:
            model = load_reward_model(spec, self.spec.judge_options)
            self._judge_scorers[spec] = Scorer(model, batch_size=self.spec.batch_size)
        return self._judge_scorers[spec]

    def judges(self) -> list[Judge]:
        if self._judges is None:
            self._judges = build_judges(self.spec.judges, self.judge_scorer)
        return self._judges

    def check_judges(self, checkpoint: int) -> None:
        """A judge must not be the attacked model itself."""
        attacked = self.model(checkpoint).fingerprint
        for judge in self.judges():
            if any(s.model.fingerprint == attacked for s in judge.rm_scorers()):
                raise HarnessError(
                    f"judge {judge.name!r} uses the attacked checkpoint "
                    f"{self.spec.checkpoints[checkpoint]}; a judge must be independent"
                )

    def check_attacks(self, checkpoint: int) -> None:
        """Each attack may refuse the checkpoint before any query (a transfer whose
        surrogate is this very model, or does not load beside it): one line, naming it."""
        model = self.model(checkpoint)
        for attack_id, (attack, _budget) in self._attacks.items():
            try:
                attack.check_target(model)
            except HarnessError as exc:
                raise HarnessError(f"attack {attack_id!r}: {exc}") from None

    def inaccessible(self, checkpoint: int) -> list[tuple[str, str, str]]:
        """``(attack id, registry name, why)`` of each attack that cannot search this
        checkpoint (a white-box attack on a model without gradients): the run skips it
        there, and says so, rather than failing it prompt by prompt."""
        scorer = self._scorer(checkpoint)
        out = []
        for attack_id, (attack, _budget) in self._attacks.items():
            why = attack.access_problem(scorer)
            if why is not None:
                out.append((attack_id, attack.name, why))
        return out

    # ------------------------------------------------------------------- work
    def calibrate_judges(self, pairs: list[PreferencePair]) -> tuple[JudgeSpec, ...]:
        """The judge specs with every ``"calibrate"`` parameter fixed from the clean pairs."""
        return calibrate_judges(self.spec.judges, self.judges(), pairs)

    def run_units(self, units: list[Unit]) -> list[UnitResult]:
        return [self.run_unit(unit) for unit in units]

    def starts(self, attack: Attack, pair: PreferencePair) -> list[str]:
        """The library placed against ``pair`` for a seedable attack (else none). A seed
        found on this very prompt is never given: seeding measures transfer."""
        if not attack.seedable:
            return []
        return [s.placed(pair.chosen) for s in self.spec.library if s.prompt != pair.prompt]

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
            keep=self.spec.keep,
            starts=self.starts(attack, pair),
        )
        return UnitResult(unit, outcome)

    def random_baseline(
        self, checkpoint: int, prompt_index: int, *, budget: int, seed: int
    ) -> RandomBaseline:
        """Random word soups on one prompt at an attack's budget, judged by the finding rule
        with this worker's judges and margin: what the attack's success is read beside."""
        from attacks.chance import random_baseline

        pair = self.spec.prompts[prompt_index]
        return random_baseline(
            self._scorer(checkpoint),
            pair.prompt,
            pair.chosen,
            budget=budget,
            margin=self.spec.margin,
            judges=self.judges(),
            seed=seed,
        )

    def score(self, checkpoint: int, prompts: list[str], responses: list[str]) -> np.ndarray:
        return self._scorer(checkpoint).score(prompts, responses)

    def clean(self, checkpoint: int, pairs: list[PreferencePair]) -> CleanMeasurement:
        """Held-out pairwise accuracy and the chance rate: robustness is read beside these."""
        from attacks.chance import chance_measure
        from harness.scoring.accuracy import accuracy_measure

        scorer = self._scorer(checkpoint)
        accuracy, accuracy_by_prompt = accuracy_measure(scorer, pairs)
        chance, chance_by_prompt = chance_measure(scorer, pairs)
        return CleanMeasurement(
            accuracy, chance, accuracy_by_prompt, chance_by_prompt, scorer.stats.queries
        )

    def instabilities(
        self, checkpoint: int, pairs: list[PreferencePair], perturbations: list[str], seed: int
    ) -> tuple[list[Instability], int]:
        from attacks.instability import probe_pairs

        scorer = self._scorer(checkpoint)
        found = probe_pairs(scorer, pairs, perturbations=perturbations or None, seed=seed)
        return found, scorer.stats.queries
