"""``rmh attack`` (one attack on each prompt, printed) and ``rmh attacks list`` (the registry).

Outside a suite and a run folder on purpose: this is the verb for trying an attack and
its parameters by hand, so it prints margins, queries and judge reasons as it goes and
writes nothing. The work is a one-attack run in memory (``harness.runner.trial``): the
runner's worker loads, checks and calibrates the judges and does each attempt, and the
success rate is counted as a run's ASR is; this module only prints.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    load_options_from,
    model_options,
)
from harness.core.errors import HarnessError
from harness.core.finding import DEFAULT_KEEP

if TYPE_CHECKING:
    from attacks.base import Attack
    from harness.core.data import PreferencePair
    from harness.judges import JudgeSpec
    from harness.runner.trial import Trial


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
        params = ", ".join(f"{f.name}={_default(f)!r}" for f in dataclasses.fields(cls.Params))
        missing = cls.missing()
        available = f"needs [{cls.extra or ', '.join(missing)}]" if missing else "available"
        click.echo(
            f"{name:<20} {cls.family:<18} {cls.access:<10} {available:<12} {cls.description()}"
        )
        if params:
            click.echo(f"{'':<20} params: {params}")
        if cls.citation:
            click.echo(f"{'':<20} cite: {cls.citation}")


def _default(field: Any) -> Any:
    """A parameter's default, also when a factory makes it (a transfer's ``search_params``)."""
    import dataclasses

    if field.default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def parse_params(items: tuple[str, ...], option: str = "--param") -> dict[str, Any]:
    """``--param KEY=VALUE`` pairs; a value that is not JSON is taken as a string."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"{option} {item!r} is not KEY=VALUE")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def parse_judge(text: str) -> JudgeSpec:
    """``NAME`` or ``NAME:KEY=VALUE[,KEY=VALUE...]`` (a value that is JSON is read as JSON,
    as ``--param`` reads it): ``gold-rm:checkpoint=gold-demo,margin=0.5``,
    ``ensemble:checkpoints=["a/","b/"],quorum=0.5``.

    Checked against the judge registry (unknown names list the valid ones, parameters are
    type-checked) before anything loads. ``rmh attack`` and ``rmh judges validate`` both
    read ``--judge`` with it.
    """
    from harness.judges import JudgeSpec, check_spec

    name, _, rest = text.partition(":")
    if not name:
        raise HarnessError(f"--judge {text!r}: give NAME or NAME:KEY=VALUE,...")
    # A comma starts a new parameter only before KEY=, so a JSON list keeps its commas.
    items = tuple(item for item in re.split(r",(?=[A-Za-z_][\w-]*=)", rest) if item)
    spec = JudgeSpec(name, parse_params(items, f"--judge {name}:") if rest else {})
    check_spec(spec)
    return spec


def parse_judges(items: tuple[str, ...]) -> tuple[JudgeSpec, ...]:
    """Every ``--judge`` (see ``parse_judge``), in order."""
    return tuple(parse_judge(item) for item in items)


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
    "--judge",
    "judges",
    multiple=True,
    metavar="NAME[:KEY=VALUE,...]",
    help="Another judge besides the heuristic one (and --gold's), repeatable, with its "
    "parameters: --judge fluency, --judge gold-rm:checkpoint=gold-demo. One named like "
    "a default judge replaces it (rmh judges list).",
)
@click.option(
    "--library",
    "library_store",
    type=click.Path(),
    default=None,
    metavar="STORE",
    help="Start the search from this findings store's exploits (the library): one seed per "
    "exploit found on prompts other than the attacked ones, ranked by how many prompts it "
    "beat; scoring them is part of the budget. Seedable attacks only.",
)
@click.option(
    "--library-seeds",
    type=click.IntRange(min=1),
    default=None,
    help="Library seeds per prompt (with --library). Default: 16.",
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
    judges: tuple[str, ...],
    library_store: str | None,
    library_seeds: int | None,
    baseline: bool,
    **kw: Any,
) -> None:
    """Run one attack against CHECKPOINT on each prompt and print its findings.

    \b
    Examples:
      rmh attack ckpt/ --attack repetition --budget 200
      rmh attack ckpt/ --attack gcg --param length=16 --budget 2000 --seed 1
      rmh attack ckpt/ --attack genetic --prompts prefs.jsonl --gold gold-ckpt/
      rmh attack demo --attack lm-guided --limit 10 --budget 600 --gold demo --judge fluency
      rmh attack demo --attack greedy-coordinate --budget 50 --gold demo --library findings.db
    """
    from attacks.registry import get_attack, resolve_attack_checkpoints
    from harness.runner import seeding
    from harness.runner.init import checkpoint_spec
    from harness.runner.trial import Trial, TrialSpec, seedable_attacks

    if budget <= 0:
        raise HarnessError(f"--budget must be > 0, got {budget}")
    if keep <= 0:
        raise HarnessError(f"--keep must be > 0, got {keep}")
    attack_cls = get_attack(attack_name)
    if library_seeds is not None and library_store is None:
        raise HarnessError("--library-seeds needs --library STORE")
    if library_store is not None and not attack_cls.seedable:
        raise HarnessError(
            f"--library: attack {attack_name!r} cannot start from library seeds; those that "
            f"can: {', '.join(seedable_attacks())}"
        )
    attack_params = parse_params(params)
    attack_cls(**attack_params)  # a bad parameter: refused before loading or building
    # a checkpoint parameter (a transfer's surrogate) as a judge's: demo names built
    attack_params = resolve_attack_checkpoints(attack_name, attack_params, checkpoint_spec)
    attack_instance = attack_cls(**attack_params)
    extra_judges = parse_judges(judges)
    attack_cls.check_available()  # fails fast, one line, when an extra is missing
    attack_instance.prepare()  # e.g. the attack's own LM: a bad path is one line, up front
    batch_size = kw.pop("batch_size")
    options = load_options_from(kw)
    if gold == "demo":
        gold = "gold-demo"  # --gold demo always meant the demo's gold RM
    prompts = tuple(load_prompts(prompts_file, limit))
    library = ()
    if library_store is not None:
        found = seeding.load_library(
            library_store, prompts=prompts, limit=library_seeds or seeding.DEFAULT_LIBRARY_SEEDS
        )
        library = found.seeds
        click.echo(f"note: {seeding.notice(found, [attack_name], [])}", err=True)
    spec = TrialSpec(
        checkpoint=checkpoint,
        attack=attack_name,
        params=attack_params,
        budget=budget,
        prompts=prompts,
        seed=seed,
        margin=margin,
        keep=keep,
        gold=gold,
        judges=extra_judges,
        options=options,
        batch_size=batch_size,
        library=library,
    )
    trial = Trial.prepare(spec)
    for model in trial.models():
        note = getattr(model, "pad_note", None)
        if note:
            click.echo(f"note: {note}", err=True)
    run_trial(trial, attack_cls, baseline=baseline, echo=click.echo)


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


def run_trial(
    trial: Trial, attack: type[Attack], *, baseline: bool, echo: Callable[[str], None]
) -> None:
    """Attack each prompt in turn, printing as it goes, then the success and chance rates."""
    from harness.core.visible import clip
    from harness.core.words import SOUP_WORDS
    from harness.runner.trial import TrialTotals, library_findings

    spec = trial.spec
    for judge in trial.judges:
        if judge.name == "gold-rm":
            echo(
                f"gold judge margin {judge.params['margin']:.3f} (95th percentile of its score "
                "drop under meaning-preserving edits of the references)"
            )
    echo(
        f"attack {attack.name} ({attack.family}, {attack.access}) on {len(spec.prompts)} "
        f"prompts, budget {spec.budget}/prompt, seed {spec.seed}, margin {spec.margin}; "
        f"judges: {', '.join(j.name for j in trial.judges)}"
    )
    attempts = []
    chance_single = chance_n = best_of_n_wins = 0
    started = time.perf_counter()
    for attempt in trial.attempts(baseline=baseline):
        attempts.append(attempt)
        outcome, n = attempt.outcome, len(spec.prompts)
        status = "ERROR" if outcome.error else f"{len(outcome.findings)} findings"
        if outcome.crossed > len(outcome.findings):
            status += f" kept of {outcome.crossed}"
        lm = f", {outcome.lm_tokens} LM tokens" if outcome.lm_tokens else ""
        if spec.library:
            status += (
                f" ({library_findings(outcome)} from library starts, "
                f"{outcome.searched_crossed} from the search)"
            )
        if outcome.surrogate_queries:
            lm += f", {outcome.surrogate_queries} surrogate queries"
        echo(
            f"[{attempt.index + 1}/{n}] {clip(attempt.pair.prompt, 50)}  best margin "
            f"{outcome.best_margin:+.3f}, {outcome.queries} queries{lm}, "
            f"{outcome.seconds:.1f}s, {status}"
        )
        if outcome.error:
            echo(f"    error: {outcome.error.splitlines()[0]}")
        for finding in sorted(outcome.findings, key=lambda f: -f.margin)[:3]:
            origin = finding.detail.get("start") or ("start" if finding.seeded else "search")
            echo(
                f"    {finding.margin:+.3f} [{origin}, q={finding.queries_at_find}] "
                f"{clip(finding.text, 70)!r}"
            )
            echo(f"        {'; '.join(finding.reasons)[:160]}")
        if attempt.baseline is not None:
            chance_single += attempt.baseline.single_wins
            chance_n += attempt.baseline.n
            best_of_n_wins += attempt.baseline.best_of_n
    totals = TrialTotals.of(attempts)
    ran = totals.ran
    surrogate = (
        f", {totals.surrogate_queries} surrogate queries" if totals.surrogate_queries else ""
    )
    echo(
        f"attack success rate: {totals.succeeded}/{ran} prompts "
        f"({totals.succeeded / max(ran, 1):.0%}); by search alone (not the starting point): "
        f"{totals.searched}/{ran}; errors: {totals.errors}; "
        f"{totals.queries} queries, {totals.lm_tokens} LM tokens{surrogate} in "
        f"{time.perf_counter() - started:.1f}s"
    )
    if totals.median_first_queries is not None:
        echo(
            f"median queries to the first finding: {totals.median_first_queries:g} (over the "
            f"{totals.succeeded} prompts with one)"
        )
    if spec.library:
        echo(
            f"from {len(spec.library)} library seeds: {totals.library_findings} findings were "
            f"seeds as placed ({totals.seeded}/{ran} prompts); the search made "
            f"{totals.searched_findings} ({totals.searched}/{ran} prompts)"
        )
    n = totals.attempts
    if baseline and chance_n:
        echo(
            f"chance baselines (random {SOUP_WORDS}-word soups): single candidate "
            f"{chance_single / chance_n:.1%}; best of {spec.budget} per prompt: "
            f"{best_of_n_wins}/{n} prompts ({best_of_n_wins / n:.0%})"
        )
