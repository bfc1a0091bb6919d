"""``rmh attack``: one attack on each prompt, printed with margins, queries and reasons."""

from __future__ import annotations

import time
from collections.abc import Callable

from attacks.base import Attack, AttackOutcome
from attacks.chance import random_baseline
from harness.core.data import PreferencePair, read_pairs
from harness.core.visible import clip
from harness.core.words import SOUP_WORDS
from harness.judges import GoldRMJudge, HeuristicJudge, Judge, calibrate_gold_margin
from harness.models.base import RewardModel
from harness.scoring import Scorer


def load_prompts(prompts_file: str | None, limit: int) -> list[PreferencePair]:
    """Distinct prompts with their chosen response as the reference."""
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
) -> list[AttackOutcome]:
    pairs = load_prompts(prompts_file, limit)
    scorer = Scorer(model, batch_size=batch_size)
    judges: list[Judge] = [HeuristicJudge()]
    if gold_model is not None:
        gold_scorer = Scorer(gold_model, batch_size=batch_size)
        gold_margin = calibrate_gold_margin(gold_scorer, pairs)
        echo(
            f"gold judge margin {gold_margin:.3f} (95th percentile of its score drop under "
            "meaning-preserving edits of the references)"
        )
        judges.append(GoldRMJudge(gold_scorer, margin=gold_margin))
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
        )
        outcomes.append(outcome)
        status = "ERROR" if outcome.error else f"{len(outcome.findings)} findings"
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
    searched = sum(bool(o.searched_findings) for o in outcomes)
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
