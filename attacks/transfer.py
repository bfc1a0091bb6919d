"""Surrogate transfer: search a local surrogate reward model, check its best on the target.

A target behind an HTTP endpoint that bills per call, or an 8B model on a GPU, pays for
every query, and gives no gradients when it is remote. A local *surrogate* (another
reward model that likely shares the target's holes: the same recipe with another seed,
a smaller model trained on the same data) costs nothing per query. So:

1. run a search (``gcg`` by default) on the surrogate, with ``surrogate_budget`` queries
   to it and no judges: it only climbs the surrogate's reward;
2. take its ``check`` best distinct candidates by surrogate score, leaving out the
   reference and whatever an earlier restart already checked, and score them on the
   target with ``ctx.evaluate``: the attempt's only target queries, counted by its
   budget, and decided into findings by the normal rule on the *target's* scores;
3. repeat with a new seed (derived from the attempt's seed) until the target budget is
   spent or ``restarts`` are done. With ``chain`` (the default) and a seedable search,
   each restart after the first starts from the checked candidate the *target* scored
   highest so far, so the surrogate search goes deeper where the target follows it
   (independent shallow restarts of gcg rarely transfer: on a demo prompt, 149 checks
   from 19 restarts of 200 surrogate queries all stayed below the reference, by 0.85 at
   best); without it, each restart starts afresh.

So the target pays one query for the reference and one for each distinct candidate
checked, never more than its budget. Queries to the surrogate are counted apart, in the
outcome's ``surrogate_queries``; the outcome's ``detail["transfer"]`` says which
surrogate (spec and fingerprint), how many restarts ran, how many candidates were checked
and how many of them beat the reference on the target (outscored it by the attempt's
margin, judged or not): the attempt's transfer rate.

The search is any registered attack that is white-box (it reads the surrogate's
gradients) or a seedable black-box search (``random-search``, ``greedy-coordinate``,
``beam``, ``genetic``); with its own ``search_params``. Templates and other fixed
candidate lists gain nothing from a surrogate: try them on the target directly.

``surrogate`` is a checkpoint spec; ``surrogate-demo`` (the default) names the demo
recipe trained with another seed, and the runner resolves demo names and relative paths
before the attack is built (the attack loads what it is given). The target itself is
refused, up front by the runner (``check_target``) and again on search.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from attacks.base import Attack, AttackContext
from attacks.registry import all_attacks, get_attack, register
from attacks.surrogate import check_not_target, shared_surrogate, surrogate_options
from harness.core.errors import HarnessError
from harness.core.text import normalize
from harness.models import RewardModel
from harness.scoring import Scorer, outscores

OWNER = "attack 'transfer'"


@dataclass(frozen=True)
class TransferParams:
    surrogate: str = "surrogate-demo"  # a checkpoint folder, a demo name, module:function
    search: str = "gcg"  # a white-box attack, or a seedable black-box search
    search_params: dict[str, Any] = field(default_factory=dict)
    restarts: int = 32  # searches on the surrogate, at most (the target budget may end first)
    surrogate_budget: int = 200  # queries to the surrogate per restart
    check: int = 8  # best distinct candidates of a restart scored on the target
    chain: bool = True  # a restart starts from the best on the target so far (seedable search)

    def __post_init__(self) -> None:
        for name in ("restarts", "check"):
            if getattr(self, name) < 1:
                raise HarnessError(
                    f"{OWNER} parameter {name!r} must be at least 1, got {getattr(self, name)}"
                )
        if self.surrogate_budget < 2:
            raise HarnessError(
                f"{OWNER} parameter 'surrogate_budget' must be at least 2 (the reference and "
                f"a candidate), got {self.surrogate_budget}"
            )
        if not self.surrogate.strip():
            raise HarnessError(f"{OWNER} parameter 'surrogate' must name a checkpoint")
        search_attack(self.search, self.search_params)


def can_search(cls: type[Attack]) -> bool:
    """Whether ``cls`` can be the search on a surrogate: it reads gradients (white-box), or
    it climbs the scores from its own start (a seedable black-box search). Not a transfer."""
    return cls is not Transfer and (cls.access == "white-box" or cls.seedable)


def search_attack(name: str, params: Mapping[str, Any]) -> Attack:
    """The search to run on the surrogate, checked (``can_search``), with its params."""
    cls = get_attack(name)
    if not can_search(cls):
        allowed = sorted(n for n, c in all_attacks().items() if can_search(c))
        raise HarnessError(
            f"{OWNER} parameter 'search' must be a white-box attack or a seedable search, "
            f"got {name!r}; allowed: {', '.join(allowed)}"
        )
    try:
        return cls(**params)
    except HarnessError as exc:
        raise HarnessError(f"{OWNER} parameter 'search_params': {exc}") from None


def restart_seed(seed: int, restart: int) -> int:
    """The seed of restart ``restart`` of an attempt seeded ``seed``: the same in every
    process (a string seed is hashed with SHA-512), and unrelated between restarts."""
    return random.Random(f"transfer {seed} {restart}").getrandbits(31)


def best_candidates(
    scores: Mapping[tuple[str, str, str], float],
    prompt: str,
    skip: set[str],
    n: int,
) -> list[str]:
    """The ``n`` best responses to ``prompt`` among surrogate ``scores`` (a scorer's cache:
    every pair it scored), distinct up to normalization and not in ``skip`` (normalized
    texts: the reference, those checked before). Ties keep the earlier scored."""
    ranked = sorted(
        (
            (score, i, response)
            for i, ((_, asked, response), score) in enumerate(scores.items())
            if asked == prompt and response.strip()
        ),
        key=lambda item: (-item[0], item[1]),
    )
    out: list[str] = []
    taken = set(skip)
    for _, _, response in ranked:
        key = normalize(response)
        if key not in taken:
            taken.add(key)
            out.append(response)
            if len(out) == n:
                break
    return out


@register
class Transfer(Attack):
    """Surrogate transfer: a search on a local surrogate RM, its best checked on the target."""

    name = "transfer"
    family = "transfer"
    access = "black-box"  # towards the target: it only asks for scores
    checkpoint_params = ("surrogate",)
    citation = (
        "Zou et al. 2023 (transfer of GCG suffixes); Papernot et al. 2016, "
        "Transferability in Machine Learning"
    )
    Params = TransferParams

    def surrogate(self, target: RewardModel | None = None) -> RewardModel:
        """The surrogate model, loaded once per process, beside the target when given."""
        return shared_surrogate(self.params.surrogate, surrogate_options(target))

    def prepare(self) -> None:
        """Load the surrogate now: one line up front when it does not load."""
        self.check_surrogate(self.surrogate())

    def check_target(self, model: RewardModel) -> None:
        """The surrogate must load beside ``model``, be searchable, and not be ``model``."""
        surrogate = self.surrogate(model)
        check_not_target(surrogate, model, self.params.surrogate)
        self.check_surrogate(surrogate)

    def check_surrogate(self, surrogate: RewardModel) -> None:
        search = get_attack(self.params.search)
        if search.access == "white-box" and not surrogate.supports_gradients:
            raise HarnessError(
                f"surrogate {self.params.surrogate!r} gives no gradients; the white-box "
                f"search {search.name!r} cannot search it (choose a black-box search)"
            )

    def search(self, ctx: AttackContext) -> None:
        p = self.params
        target = ctx.scorer.model
        surrogate = self.surrogate(target)
        check_not_target(surrogate, target, p.surrogate)
        searcher = search_attack(p.search, p.search_params)
        record: dict[str, Any] = {
            "surrogate": p.surrogate,
            "fingerprint": surrogate.fingerprint,
            "search": p.search,
            "restarts": 0,
            "checked": 0,
            "beat_reference": 0,
            "transfer_rate": None,
            "chain": p.chain and searcher.seedable,
        }
        ctx.outcome.detail["transfer"] = record
        checked = {normalize(ctx.reference)}
        for restart in range(p.restarts):
            if ctx.exhausted:
                return
            scores: dict[tuple[str, str, str], float] = {}
            on_surrogate = Scorer(surrogate, batch_size=ctx.scorer.batch_size, cache=scores)
            best = ctx.outcome.best_text  # the checked candidate the target scored highest
            found = searcher.run(
                on_surrogate,
                ctx.prompt,
                ctx.reference,
                budget=p.surrogate_budget,
                seed=restart_seed(ctx.seed, restart),
                margin=ctx.margin,
                starts=[best] if record["chain"] and best is not None else (),
                start_label="transfer",
            )  # no judges: the surrogate's candidates are only ranked, never judged
            ctx.outcome.surrogate_queries += found.queries
            record["restarts"] = restart + 1
            if found.error is not None:
                raise RuntimeError(
                    f"the {p.search} search on the surrogate failed: {found.error.splitlines()[0]}"
                )
            candidates = best_candidates(scores, ctx.prompt, checked, p.check)
            fits = candidates[: ctx.scorer.affordable(ctx.prompt, candidates)]
            target_scores = ctx.evaluate(fits) if fits else []
            checked.update(normalize(text) for text in fits)
            record["checked"] += len(fits)
            record["beat_reference"] += sum(
                outscores(float(s), ctx.reference_score, ctx.margin) for s in target_scores
            )
            if record["checked"]:
                record["transfer_rate"] = record["beat_reference"] / record["checked"]
            if len(fits) < len(candidates):
                return  # the target budget is spent
