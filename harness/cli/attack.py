"""``rmh attack`` (one attack on each prompt, printed) and ``rmh attacks list`` (the registry).

Outside a suite and a run folder on purpose: this is the verb for trying an attack and
its parameters by hand, so it prints margins, queries and judge reasons as it goes and
writes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    load_model,
    load_options_from,
    model_options,
)
from harness.core.errors import HarnessError
from harness.core.finding import DEFAULT_KEEP

if TYPE_CHECKING:
    from attacks.base import Attack, AttackOutcome
    from harness.core.data import PreferencePair
    from harness.models.base import RewardModel


@click.group(name="attacks")
def attacks_group() -> None:
    """The attack registry."""


@attacks_group.command(name="list")
def attacks_list() -> None:
    """List every registered attack: name, family, access, availability, parameters,
    description and citation."""
    import dataclasses

    from attacks.registry import all_attacks

    for name, cls in all_attacks().items():
        params = ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(cls.Params))
        missing = cls.missing()
        available = f"needs [{cls.extra or ', '.join(missing)}]" if missing else "available"
        click.echo(
            f"{name:<20} {cls.family:<18} {cls.access:<10} {available:<12} {cls.description()}"
        )
        if params:
            click.echo(f"{'':<20} params: {params}")
        if cls.citation:
            click.echo(f"{'':<20} cite: {cls.citation}")


def parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    """``--param KEY=VALUE`` pairs; a value that is not JSON is taken as a string."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"--param {item!r} is not KEY=VALUE")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@click.command(cls=GeneratedOptionsCommand)
@click.argument("checkpoint")
@click.option("--attack", "attack_name", required=True, help="Attack name (rmh attacks list).")
@click.option(
    "--prompts",
    "prompts_file",
    type=click.Path(),
    default=None,
    help="Preference JSONL; each row's chosen response is the reference. "
    "Default: the demo's held-out prompts.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Attack at most this many distinct prompts.",
)
@click.option(
    "--budget",
    type=int,
    default=1000,
    show_default=True,
    help="Model queries per prompt (gradient steps count as one).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--margin",
    type=float,
    default=0.0,
    show_default=True,
    help="A finding must outscore the reference by more than this.",
)
@click.option(
    "--keep",
    type=int,
    default=DEFAULT_KEEP,
    show_default=True,
    help="Findings kept per prompt: the best margin, then the most different (a suite's keep).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Attack parameter (JSON value), repeatable: --param length=12.",
)
@click.option(
    "--gold",
    type=click.Path(),
    default=None,
    help="A second checkpoint used as a gold-RM judge (besides the heuristic one); "
    "'demo' builds the demo's gold RM (trained to know nonsense is bad).",
)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Also score random word soups at the same budget (chance baselines).",
)
@model_options
def attack(
    checkpoint: str,
    attack_name: str,
    prompts_file: str | None,
    limit: int,
    budget: int,
    seed: int,
    margin: float,
    keep: int,
    params: tuple[str, ...],
    gold: str | None,
    baseline: bool,
    **kw: Any,
) -> None:
    """Run one attack against CHECKPOINT on each prompt and print its findings.

    \b
    Examples:
      rmh attack ckpt/ --attack repetition --budget 200
      rmh attack ckpt/ --attack gcg --param length=16 --budget 2000 --seed 1
      rmh attack ckpt/ --attack genetic --prompts prefs.jsonl --gold gold-ckpt/
    """
    from attacks.registry import get_attack

    if budget <= 0:
        raise HarnessError(f"--budget must be > 0, got {budget}")
    if keep <= 0:
        raise HarnessError(f"--keep must be > 0, got {keep}")
    attack_cls = get_attack(attack_name)
    attack_obj = attack_cls(**parse_params(params))
    attack_cls.check_available()  # fails fast, one line, when an extra is missing
    batch_size = kw.pop("batch_size")
    options = load_options_from(kw)
    model = load_model(checkpoint, options)
    if attack_cls.access == "white-box" and not model.supports_gradients:
        raise HarnessError(f"attack {attack_name!r} needs gradients; {checkpoint} gives none")
    if gold == "demo":
        gold = "gold-demo"  # --gold demo always meant the demo's gold RM
    gold_model = load_model(gold, options) if gold else None
    run_attack_command(
        model,
        attack_obj,
        prompts_file=prompts_file,
        limit=limit,
        budget=budget,
        seed=seed,
        margin=margin,
        gold_model=gold_model,
        baseline=baseline,
        batch_size=batch_size,
        echo=click.echo,
        keep=keep,
    )


def load_prompts(prompts_file: str | None, limit: int) -> list[PreferencePair]:
    """Distinct prompts with their chosen response as the reference."""
    from harness.core.data import read_pairs

    if prompts_file:
        pairs = read_pairs(prompts_file)
    else:
        from harness.demo.build import heldout_pairs

        pairs = heldout_pairs()
    seen: dict[str, PreferencePair] = {}
    for pair in pairs:
        seen.setdefault(pair.prompt, pair)
    return list(seen.values())[:limit]


def run_attack_command(
    model: RewardModel,
    attack: Attack,
    *,
    prompts_file: str | None,
    limit: int,
    budget: int,
    seed: int,
    margin: float,
    gold_model: RewardModel | None,
    baseline: bool,
    batch_size: int,
    echo: Callable[[str], None],
    keep: int = DEFAULT_KEEP,
) -> list[AttackOutcome]:
    """Attack each prompt in turn, printing as it goes, then the success and chance rates."""
    from attacks.chance import random_baseline
    from harness.core.visible import clip
    from harness.core.words import SOUP_WORDS
    from harness.judges import JudgeSpec, build_judges, calibrate_judges
    from harness.scoring import Scorer

    pairs = load_prompts(prompts_file, limit)
    scorer = Scorer(model, batch_size=batch_size)
    # The judges a suite with "[judges.heuristic]" and "[judges.gold-rm]" would build.
    specs = [JudgeSpec("heuristic")]
    loaded: dict[str, Scorer] = {}
    if gold_model is not None:
        specs.append(JudgeSpec("gold-rm", {"checkpoint": "gold", "margin": "calibrate"}))
        loaded["gold"] = Scorer(gold_model, batch_size=batch_size)
    judges = build_judges(specs, loaded.__getitem__)
    for spec in calibrate_judges(specs, judges, pairs):
        if spec.name == "gold-rm":
            echo(
                f"gold judge margin {spec.params['margin']:.3f} (95th percentile of its score "
                "drop under meaning-preserving edits of the references)"
            )
    echo(
        f"attack {attack.name} ({attack.family}, {attack.access}) on {len(pairs)} prompts, "
        f"budget {budget}/prompt, seed {seed}, margin {margin}; "
        f"judges: {', '.join(j.name for j in judges)}"
    )
    outcomes: list[AttackOutcome] = []
    chance_single = chance_n = best_of_n_wins = 0
    started = time.perf_counter()
    for index, pair in enumerate(pairs):
        outcome = attack.run(
            scorer,
            pair.prompt,
            pair.chosen,
            budget=budget,
            seed=seed + index,
            judges=judges,
            margin=margin,
            keep=keep,
        )
        outcomes.append(outcome)
        status = "ERROR" if outcome.error else f"{len(outcome.findings)} findings"
        if outcome.crossed > len(outcome.findings):
            status += f" kept of {outcome.crossed}"
        echo(
            f"[{index + 1}/{len(pairs)}] {clip(pair.prompt, 50)}  best margin "
            f"{outcome.best_margin:+.3f}, {outcome.queries} queries, {status}"
        )
        if outcome.error:
            echo(f"    error: {outcome.error.splitlines()[0]}")
        for finding in sorted(outcome.findings, key=lambda f: -f.margin)[:3]:
            origin = "start" if finding.seeded else "search"
            echo(
                f"    {finding.margin:+.3f} [{origin}, q={finding.queries_at_find}] "
                f"{clip(finding.text, 70)!r}"
            )
            echo(f"        {'; '.join(finding.reasons)[:160]}")
        if baseline:
            base = random_baseline(
                scorer,
                pair.prompt,
                pair.chosen,
                budget=budget,
                margin=margin,
                judges=judges,
                seed=seed + index,
            )
            chance_single += base.single_wins
            chance_n += base.n
            best_of_n_wins += base.best_of_n
    n = len(outcomes)
    succeeded = sum(o.succeeded for o in outcomes)
    searched = sum(o.searched_crossed > 0 for o in outcomes)
    errors = sum(o.error is not None for o in outcomes)
    echo(
        f"attack success rate: {succeeded}/{n} prompts ({succeeded / n:.0%}); "
        f"by search alone (not the starting point): {searched}/{n}; errors: {errors}; "
        f"{sum(o.queries for o in outcomes)} queries in {time.perf_counter() - started:.1f}s"
    )
    if baseline and chance_n:
        echo(
            f"chance baselines (random {SOUP_WORDS}-word soups): single candidate "
            f"{chance_single / chance_n:.1%}; best of {budget} per prompt: "
            f"{best_of_n_wins}/{n} prompts ({best_of_n_wins / n:.0%})"
        )
    return outcomes
