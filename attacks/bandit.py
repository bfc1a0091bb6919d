"""A bandit over attack families: one prompt's budget spread across arms adaptively.

An expensive reward model (a GPU checkpoint, an endpoint that bills per call) makes every
query count. Cheap templates either hit within ~30 queries or never do; searches need
hundreds. The bandit pulls arms (each an attack with its parameters) in small pulls,
rewards a pull that found a finding the attempt did not have, and gives the budget to
what pays (``attacks.bandit_policy``: Thompson sampling or UCB1, per query).

Mechanics of a pull:

- The arm runs on the same prompt with a part of the attempt's remaining budget
  (``pull`` queries for a template arm, ``search_pull`` for a seedable search), through
  ``Scorer.sub_budget``: every query is counted once, in the attempt's budget, and a
  pull can never spend more than the attempt has left. The score cache is the
  attempt's, so a text any arm already scored is free.
- Its findings (the finding rule with the attempt's judges and margin) become the
  attempt's, deduplicated across arms; each keeps the arm's family and attack name, the
  attempt's seed and its query count within the attempt, and says which pull found it
  (``detail["pull"]``).
- A later pull of a seedable arm (random-search, greedy-coordinate, gcg, ...) starts
  from that arm's best texts so far (the ``starts`` seam, label ``pull``: free, they
  are cached) rather than from scratch; each of its pulls draws a fresh seed. A template
  arm keeps one seed, so its next pull goes on down the same shuffled list (the texts
  scored before are cached).
- An arm is retired when a pull has nothing new to score (0 queries), when a template
  arm ends its list inside a pull (its next pull would score nothing new), or when it
  fails (the error goes in the pull's record).

The attempt stops when its budget is spent or every arm is retired. Its detail records
the allocation: ``detail["pulls"]`` (per pull the arm, its sub-budget, the queries it
spent, its new findings, the policy's numbers for every active arm that chose it, and
any retirement), ``detail["arms"]`` (totals per arm) and ``detail["dropped"]`` (arms that
cannot search this model: a white-box arm on a model without gradients, an arm whose
extra is not installed).

Example (suite TOML)::

    [[attacks]]
    name = "bandit"
    budget = 150
    params = { arms = ["repetition", "self-praise", "greedy-coordinate"],
               arm_params = { greedy-coordinate = { batch = 16 } }, policy = "ucb" }
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

from attacks.bandit_policy import POLICIES, ArmState, Policy, choose
from attacks.base import Attack, AttackContext, AttackOutcome
from attacks.registry import get_attack, register
from harness.core.errors import HarnessError
from harness.scoring import Scorer

#: The default arms: the cheap templates that hit in ~30 queries, then the searches.
DEFAULT_ARMS = (
    "repetition",
    "length-padding",
    "self-praise",
    "unicode",
    "master-key",
    "null-answer",
    "empty-formatting",
    "random-search",
    "greedy-coordinate",
    "gcg",
)

#: A pull keeps every finding its arm makes; the attempt applies its own ``keep`` at the end.
KEEP_ALL = 10**9


@dataclass(frozen=True)
class BanditParams:
    """``arms``: attack names (at least two families); ``arm_params``: parameters by arm
    name; ``policy``: ``thompson`` or ``ucb``; ``pull``: queries per pull of a template
    (non-seedable) arm; ``search_pull``: queries per pull of a seedable search, whose
    first pull spends a batch on its random starts before it climbs."""

    arms: tuple[str, ...] = DEFAULT_ARMS
    arm_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: Policy = "thompson"
    pull: int = 30
    search_pull: int = 100

    def __post_init__(self) -> None:
        owner = "attack 'bandit'"
        if self.policy not in POLICIES:
            raise HarnessError(f"{owner}: policy must be one of {', '.join(POLICIES)}")
        for name in ("pull", "search_pull"):
            if getattr(self, name) < 1:
                raise HarnessError(f"{owner}: {name} must be >= 1, got {getattr(self, name)}")
        if len(set(self.arms)) != len(self.arms):
            raise HarnessError(f"{owner}: arms name an attack twice: {list(self.arms)}")
        if "bandit" in self.arms:
            raise HarnessError(f"{owner}: a bandit cannot be its own arm")
        stray = sorted(set(self.arm_params) - set(self.arms))
        if stray:
            raise HarnessError(f"{owner}: arm_params names {stray[0]!r}, which is not an arm")
        for name, params in self.arm_params.items():
            if not isinstance(params, dict):
                raise HarnessError(f"{owner}: arm_params.{name} must be a table of parameters")


def build_arms(params: BanditParams) -> dict[str, Attack]:
    """Each arm's attack, built with its parameters; one family in all is refused."""
    arms: dict[str, Attack] = {}
    for name in params.arms:
        try:
            attack = get_attack(name)
            if attack.checkpoint_params:
                # its checkpoint would be loaded unresolved and unchecked inside a pull
                raise HarnessError(
                    "it names a checkpoint of its own; run it as an attack of the suite"
                )
            arms[name] = attack(**params.arm_params.get(name, {}))
        except HarnessError as exc:
            raise HarnessError(f"attack 'bandit' arm {name!r}: {exc}") from None
    check_families(arms.values(), "")
    return arms


def check_families(arms: Any, dropped: str) -> None:
    """Refuse arms that span fewer than two families: that is one family's attack."""
    families = sorted({arm.family for arm in arms})
    if len(families) >= 2:
        return
    which = f"one family ({families[0]!r})" if families else "no family"
    raise HarnessError(
        f"attack 'bandit': its arms span {which}{dropped}; a bandit with one family is "
        "that family's attack: run it directly, or add arms of another family"
    )


@register
class Bandit(Attack):
    """Bandit over families: spends a prompt's budget in pulls, more on the arms that hit."""

    name = "bandit"
    family = "bandit"
    citation = (
        "Thompson 1933, On the Likelihood that One Unknown Probability Exceeds Another; "
        "Auer et al. 2002, Finite-time Analysis of the Multiarmed Bandit Problem"
    )
    Params = BanditParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.arms = build_arms(self.params)

    def prepare(self) -> None:
        for arm in self.arms.values():
            arm.prepare()

    # ---------------------------------------------------------------- access
    def usable_arms(self, scorer: Scorer) -> tuple[dict[str, Attack], dict[str, str]]:
        """The arms that can search ``scorer``'s model, and why each other one cannot."""
        usable: dict[str, Attack] = {}
        dropped: dict[str, str] = {}
        for name, arm in self.arms.items():
            missing = arm.missing()
            why = f"needs {', '.join(missing)}" if missing else arm.access_problem(scorer)
            if why is None:
                usable[name] = arm
            else:
                dropped[name] = why
        return usable, dropped

    def access_problem(self, scorer: Scorer) -> str | None:  # type: ignore[override]
        """Why the bandit cannot search this model: fewer than two families of arms can."""
        usable, dropped = self.usable_arms(scorer)
        try:
            check_families(usable.values(), _said(dropped))
        except HarnessError as exc:
            return str(exc).removeprefix("attack 'bandit': ")
        return None

    def check_access(self, scorer: Scorer) -> None:  # type: ignore[override]
        why = self.access_problem(scorer)
        if why is not None:
            raise HarnessError(f"attack 'bandit': {why}")

    # ---------------------------------------------------------------- search
    def search(self, ctx: AttackContext) -> None:
        usable, dropped = self.usable_arms(ctx.scorer)
        p = self.params
        states = [
            ArmState(
                name=name,
                family=arm.family,
                pull_size=p.search_pull if arm.seedable else p.pull,
                seedable=arm.seedable,
            )
            for name, arm in usable.items()
        ]
        detail = ctx.outcome.detail
        detail.update(policy=p.policy, dropped=dropped, pulls=[], arms={})
        try:
            while not ctx.exhausted:
                active = [state for state in states if state.retired is None]
                if not active:
                    break
                state, numbers = choose(p.policy, active, ctx.rng)
                record = self.pull(ctx, state, len(detail["pulls"]))
                detail["pulls"].append({**record, "numbers": numbers})
        finally:
            detail["arms"] = {state.name: state.summary() for state in states}

    def pull(self, ctx: AttackContext, state: ArmState, index: int) -> dict[str, Any]:
        """Run one arm with a part of the remaining budget; take its new findings."""
        size = min(state.pull_size, ctx.remaining)
        before = ctx.scorer.stats.queries
        starts = state.starts()
        outcome = self.arms[state.name].run(
            ctx.scorer.sub_budget(size),
            ctx.prompt,
            ctx.reference,
            budget=size,
            seed=pull_seed(ctx.seed, state, index),
            judges=ctx.judges,
            margin=ctx.margin,
            keep=KEEP_ALL,
            starts=starts,
            start_label="pull",
        )
        spent = ctx.scorer.stats.queries - before
        new = self.take(ctx, outcome, before, index)
        state.pulls += 1
        state.hits += new > 0
        state.queries += spent
        state.findings += new
        state.remember([(outcome.best_score, outcome.best_text)])
        state.remember([(f.score, f.text) for f in outcome.findings])
        record: dict[str, Any] = {
            "pull": index,
            "arm": state.name,
            "budget": size,
            "starts": len(starts),
            "queries": spent,
            "new_findings": new,
        }
        if outcome.error is not None:
            record["error"] = outcome.error.splitlines()[0]
            state.retired = "failed"
        elif spent == 0:
            state.retired = "nothing new to score"
        elif not state.seedable and spent < size:
            state.retired = "its list is done"
        if state.retired is not None:
            record["retired"] = state.retired
        return record

    @staticmethod
    def take(ctx: AttackContext, outcome: AttackOutcome, before: int, index: int) -> int:
        """Fold a pull's outcome into the attempt's; the number of findings new to it."""
        attempt = ctx.outcome
        attempt.evaluated += outcome.evaluated
        attempt.lm_tokens += outcome.lm_tokens
        attempt.surrogate_queries += outcome.surrogate_queries
        attempt.queries = ctx.scorer.stats.queries
        if outcome.best_text is not None and outcome.best_score > attempt.best_score:
            attempt.best_score, attempt.best_text = outcome.best_score, outcome.best_text
        new = 0
        for finding in outcome.findings:
            adopted = dataclasses.replace(
                finding,
                seed=ctx.seed,
                queries_at_find=before + finding.queries_at_find,
                detail={**finding.detail, "pull": index},
            )
            new += ctx.adopt(adopted)
        return new


def pull_seed(seed: int, state: ArmState, index: int) -> int:
    """The seed of one pull: a seedable arm's every pull searches afresh (a new seed); a
    template arm keeps one, so its next pull goes on down the same shuffled list."""
    salt = f"{state.name} pull {index}" if state.seedable else state.name
    return random.Random(f"bandit {seed} {salt}").randrange(2**31)


def _said(dropped: dict[str, str]) -> str:
    if not dropped:
        return ""
    return " once " + "; ".join(f"{name} is dropped ({why})" for name, why in dropped.items())
