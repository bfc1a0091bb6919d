"""The experiment's inputs, checked before anything is written or trained.

Which of the suite's families are trained on and which held out, the arms (the verdict
needs ``clean``; ``synthetic`` needs ``findings``, and must not train on a held-out
family's nonsense), the settings (seeds, the equivalence margin, the effect size; with
``--require-power``, an effect the design can detect at all), and the prompts: distinct
prompts of a pair list, a seeded sample of them, the pairs on a set of prompts. Bad
input is a ``HarnessError`` naming what to change.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.core.data import PreferencePair
from harness.core.degenerate import DegenerateKind
from harness.core.errors import HarnessError
from harness.experiments.rounds.augment import KIND_FAMILIES
from harness.experiments.rounds.config import ExperimentConfig
from harness.experiments.rounds.power import best_case_mde
from harness.experiments.rounds.split import prompt_key
from harness.suite import Suite

__all__ = [
    "CONTROL",
    "attempts_per_prompt",
    "check_arms",
    "check_power",
    "check_settings",
    "check_synthetic_kinds",
    "distinct_prompts",
    "pairs_on",
    "sample_prompts",
    "split_families",
    "suite_families",
    "template_families",
]

CONTROL = "clean"
"""The arm every verdict compares with: the same training steps, no extra pairs."""


def template_families() -> set[str]:
    """The families of the degenerate-template attacks: the default held-out families."""
    from attacks.registry import all_attacks
    from attacks.templates import TemplateAttack

    return {cls.family for cls in all_attacks().values() if issubclass(cls, TemplateAttack)}


def suite_families(suite: Suite) -> list[str]:
    from attacks.registry import get_attack

    return sorted({get_attack(a.name).family for a in suite.config.attacks})


def split_families(suite: Suite, heldout: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(trained, held-out) families of the suite; bad names and empty sides refused."""
    families = suite_families(suite)
    if heldout is None:
        held = sorted(set(families) & template_families())
    else:
        held = sorted({f.strip() for f in heldout.split(",") if f.strip()})
        unknown = [f for f in held if f not in families]
        if unknown:
            raise HarnessError(
                f"held-out family {unknown[0]!r} is not attacked by suite {suite.name}; "
                f"its families: {', '.join(families)}"
            )
    if not held:
        default = " (the default: its template families)" if heldout is None else ""
        raise HarnessError(
            f"suite {suite.name} leaves no family held out{default}, so held-out ASR "
            f"cannot be measured; its families: {', '.join(families)}; choose some with "
            "--heldout-families a,b"
        )
    trained = tuple(f for f in families if f not in held)
    if not trained:
        raise HarnessError(
            f"every family of suite {suite.name} is held out ({', '.join(held)}); "
            "the findings arm would never add anything: hold out fewer (--heldout-families)"
        )
    return trained, tuple(held)


def distinct_prompts(pairs: Sequence[PreferencePair]) -> list[str]:
    return list(dict.fromkeys(p.prompt for p in pairs))


def sample_prompts(prompts: list[str], cap: int | None, seed: int) -> list[str]:
    if cap is None or cap >= len(prompts):
        return sorted(prompts)
    return sorted(random.Random(seed).sample(sorted(prompts), cap))


def pairs_on(pairs: Sequence[PreferencePair], prompts: Sequence[str]) -> list[PreferencePair]:
    keys = {prompt_key(p) for p in prompts}
    return [p for p in pairs if prompt_key(p.prompt) in keys]


def check_arms(arms: tuple[str, ...]) -> None:
    if CONTROL not in arms:
        raise HarnessError(
            f"the verdict compares each arm with the {CONTROL} arm (same training steps, "
            f"no extra pairs): add it (--arms {','.join((*arms, CONTROL))})"
        )
    if "synthetic" in arms and "findings" not in arms:
        raise HarnessError(
            "the synthetic arm adds as many pairs as the findings arm found: "
            "run it beside findings (--arms findings,synthetic,...)"
        )


# ------------------------------------------------------------------ settings
def check_settings(config: ExperimentConfig) -> None:
    """The settings a verdict needs to mean anything: at least one training seed, an
    equivalence margin in (0, 0.5) and an effect size in (0, 1)."""
    if config.seeds < 1:
        raise HarnessError(f"--seeds must be at least 1 (training replicates), got {config.seeds}")
    if not 0 < config.delta < 0.5:
        raise HarnessError(
            f"--delta must lie strictly between 0 and 0.5 (an equivalence margin on a "
            f"rate), got {config.delta:g}"
        )
    if not 0 < config.effect_size < 1:
        raise HarnessError(
            f"--effect-size must lie strictly between 0 and 1 (a change of a rate), "
            f"got {config.effect_size:g}"
        )


def check_synthetic_kinds(kinds: Sequence[DegenerateKind], heldout: Sequence[str]) -> None:
    """Refuse a ``synthetic`` kind that makes a held-out family's nonsense: that arm would
    be trained in-distribution for its own held-out test (``augment.KIND_FAMILIES``)."""
    for kind in kinds:
        for family in KIND_FAMILIES[kind]:
            if family in heldout:
                others = [k for k in kinds if not set(KIND_FAMILIES[k]) & set(heldout)]
                raise HarnessError(
                    f"the synthetic arm's kind {kind!r} makes the nonsense of held-out "
                    f"family {family!r}, so it would train on its own test; drop it "
                    f"(--synthetic-kinds {','.join(others) or 'soup-common,soup-rare'}) "
                    "or hold out other families (--heldout-families)"
                )


def attempts_per_prompt(suite: Suite, families: Sequence[str]) -> int:
    """Attempts a run makes on each prompt with the attacks of ``families``: one unit per
    attack, suite replicate and prompt (``harness.runner.plan``)."""
    from attacks.registry import get_attack

    attacks = sum(1 for a in suite.config.attacks if get_attack(a.name).family in families)
    return attacks * suite.config.replicates


def check_power(config: ExperimentConfig, *, n_prompts: int, attempts: int) -> None:
    """With ``--require-power``, refuse a design that cannot detect ``--effect-size`` even
    in the most favourable case (rate 0.5, no clustering; ``power.best_case_mde``):
    round 0 could only confirm it, after an hour of attacks."""
    if not config.require_power:
        return
    mde = best_case_mde(n_prompts=n_prompts, attempts_per_prompt=attempts, seeds=config.seeds)
    if mde > config.effect_size:
        design = ", ".join(
            f"{n} {word}{'' if n == 1 else 's'}"
            for n, word in (
                (n_prompts, "evaluation prompt"),
                (attempts, "trained-family attempt"),
                (config.seeds, "training seed"),
            )
        )
        raise HarnessError(
            f"--require-power: at {design} (attempts per prompt and seed) the smallest "
            f"detectable effect is {mde:.3f} even at best, above --effect-size "
            f"{config.effect_size:g}; give more evaluation prompts (--eval-prompts) or seeds "
            "(--seeds), or a larger --effect-size"
        )
